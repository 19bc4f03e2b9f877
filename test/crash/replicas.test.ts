import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../faults/fault-schedule.ts";
import { createTestDatabase, pgUser, type TestDatabase } from "../support/pg.ts";
import { freePort, spawnSidecar, spawnSimulator, writePartnersFile, type SidecarProcess, type SimulatorPartnerState, type SimulatorProcess, type SimulatorProgress } from "../support/processes.ts";

/**
 * Several real sidecar processes (`odc serve`) on one PostgreSQL store drain one Odoo outbox
 * while single replicas are killed with SIGKILL at seeded random moments and restarted (each
 * on its own port and its own local folder, so its consumer id survives the restart). Then:
 * every event reached the partner (redeliveries under the same id allowed: at least once),
 * order per subject among first arrivals, never more requests in any window than the
 * partner's limit nor more in flight than its concurrency, all replicas together (the
 * partner simulator measures both), and every outbox row recorded delivered in Odoo.
 * Meanwhile the supplier posts its acknowledgements of those POs to random replicas (some to
 * two at once, a partner's redelivery racing itself; one that fails is sent again, same
 * `webhook-id`, to another): each is stored once, applied in Odoo once, in order per PO,
 * none lost across the kills.
 * REPLICAS_EVENTS (default 10,000), REPLICAS_COUNT (3), REPLICAS_KILLS (10), REPLICAS_SEED,
 * REPLICAS_ACK_POS (40 POs acknowledged), REPLICAS_ACKS (5 acknowledgements each).
 */

const EVENTS = Number(process.env.REPLICAS_EVENTS ?? 10_000);
const REPLICAS = Number(process.env.REPLICAS_COUNT ?? 3);
const KILLS = Number(process.env.REPLICAS_KILLS ?? 10);
const SUBJECTS = Math.max(1, Math.round(EVENTS / 10));
const SEED = Number(process.env.REPLICAS_SEED ?? 20_261_204);
const RATE = { requests: Number(process.env.REPLICAS_RATE ?? 400), per_ms: 1_000 };
const CONCURRENCY = 12;
/** JSON-RPC calls in flight per replica: Odoo sees at most REPLICAS times this (README, "Several replicas"). */
const ODOO_CONCURRENCY = 2;
const RUN_TIMEOUT_MS = Number(process.env.REPLICAS_TIMEOUT_MS ?? 300_000);
const ACK_POS = Number(process.env.REPLICAS_ACK_POS ?? 40);
const ACKS = Number(process.env.REPLICAS_ACKS ?? 5);
/** Every DUPLICATE_EVERY-th acknowledgement is posted to two replicas at once. */
const DUPLICATE_EVERY = 4;
/** Acknowledgements of one PO follow each other after a pause about this long, spreading them over the drain and its kills. */
const ACK_PAUSE_MS = 3_000;

const PARTNER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NUDGE_SECRET = "nudge-secret-for-crash-tests-0123456789";

type Progress = SimulatorProgress;
interface PartnerState extends SimulatorPartnerState {
  window_ms: number;
  max_in_window: number;
  max_in_flight: number;
}
interface InboundState {
  rows: number;
  calls: number;
  items: number;
  repeats: number;
  first_applied: Record<string, string[]>;
  outcomes: Record<string, number>;
}
/** One acknowledgement as posted, and what the replica that stored it answered. */
interface PostedAck {
  po: string;
  /** The acknowledgement's own id: its message id, what the store deduplicates on. */
  messageId: string;
  webhookId: string;
  eventId: string;
  twice: boolean;
}
interface State {
  outbox: Record<string, number> & { total: number };
  calls: Record<string, number>;
  odoo: { max_in_flight: number; pool_full: number };
  partners: Record<string, PartnerState>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const user = await pgUser();

describe.skipIf(!user)(`replicas: ${REPLICAS} sidecars on PostgreSQL drain ${EVENTS} events while single replicas are SIGKILLed ${KILLS} times`, () => {
  let dir = "";
  let db: TestDatabase | null = null;
  let sim: SimulatorProcess | null = null;
  const running: (SidecarProcess | null)[] = [];
  let state: State | null = null;
  let kills = 0;
  let killsDuringDrain = 0;
  let failure: unknown = null;
  let readyz: { ready: boolean; checks: Record<string, { ok: boolean }> } | null = null;
  const posted: PostedAck[] = [];
  let inbound: InboundState | null = null;
  let stored: { documents: number; distinct_messages: number; receipts_of_twice: number[]; decided_once: number; final: number } | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "odc-replicas-"));
    db = await createTestDatabase();
    const started = Date.now();
    const deadline = started + RUN_TIMEOUT_MS;
    const ports = await Promise.all(Array.from({ length: REPLICAS }, () => freePort()));
    sim = await spawnSimulator({
      // Odoo refuses past the replicas' total ("pool is full"); the partner answers some requests
      // late (so requests overlap and the shared concurrency is exercised) and fails a few.
      odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl: `http://127.0.0.1:${ports[0]}`, maxConcurrent: REPLICAS * ODOO_CONCURRENCY, latency: { baseMs: 5, perRowMs: 0.02 } },
      partners: [
        {
          code: "WOODCORNER",
          secrets: [PARTNER_SECRET],
          windowMs: RATE.per_ms,
          faults: { seed: SEED, rate: 0.01, slowRate: 0.3, slowMaxMs: 40, weights: { http_503: 1, reset: 1, slow_error: 1 } },
        },
      ],
    });
    const partnersFile = join(dir, "partners.json");
    writePartnersFile(partnersFile, [
      {
        code: "WOODCORNER",
        endpoint: `${sim.ready.partners.WOODCORNER}/webhooks`,
        signing_secrets: ["env:PARTNER_SECRET"],
        // The supplier posts its acknowledgements back, signed with the same Standard Webhooks secret.
        inbound: { format: "canonical", verification: { scheme: "standard_webhooks", secrets: ["env:PARTNER_SECRET"] }, rate: { requests: 10_000, per_ms: 1_000 } },
        subscriptions: { event_types: ["purchase_order.confirmed"] },
        limits: { concurrency: CONCURRENCY, rate: RATE, timeout_ms: 5_000, breaker_threshold: 50, breaker_cooldown_ms: 500 },
        retry: { schedule_ms: [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000], jitter: 0.2 },
      },
    ]);
    const spawnReplica = (i: number) => {
      mkdirSync(join(dir, `r${i}`), { recursive: true });
      return spawnSidecar({
        sim: sim!.ready,
        port: ports[i]!,
        // Each replica's own folder: its consumer id (and what is not shared yet) lives there.
        dbPath: join(dir, `r${i}`, "local.sqlite"),
        partnersFile,
        nudgeSecret: NUDGE_SECRET,
        logFile: join(dir, `r${i}.log`),
        env: {
          PARTNER_SECRET,
          ODC_DATABASE_URL: db!.url,
          ODC_DATABASE_POOL: "4",
          ODC_DELIVERY_LEASE_SECONDS: process.env.REPLICAS_DLEASE ?? "4",
          ODC_POLL_INTERVAL_MS: "500",
          ODC_LEASE_SECONDS: "10",
          ODC_CLAIM_BATCH: "500",
          ODOO_CONCURRENCY: String(ODOO_CONCURRENCY),
        },
      });
    };

    /** POSTs one acknowledgement to a random running replica until one stores it (a killed one's request fails: sent again, same id). */
    const example = JSON.parse(readFileSync(join(import.meta.dirname, "../../contracts/v1/examples/supplier.order_acknowledged.json"), "utf8")) as Record<string, any>;
    const postRandom = mulberry32(SEED + 1);
    const postOnce = async (body: string, headers: Record<string, string>, avoid = -1): Promise<{ event_id: string; duplicate: boolean }> => {
      for (;;) {
        if (Date.now() > deadline) throw new Error("run timed out posting acknowledgements");
        const up = running.flatMap((r, i) => (r && i !== avoid ? [r] : []));
        const target = up[Math.floor(postRandom() * up.length)];
        if (target) {
          try {
            const res = await fetch(`${target.url}/inbound/WOODCORNER`, { method: "POST", headers, body, signal: AbortSignal.timeout(5_000) });
            const text = await res.text();
            if (res.status === 202) return JSON.parse(text) as { event_id: string; duplicate: boolean };
            if (res.status < 500 && res.status !== 429) throw new Error(`acknowledgement refused: ${res.status} ${text.slice(0, 300)}`);
          } catch (err) {
            if ((err as Error).message.startsWith("acknowledgement refused")) throw err;
            // Killed mid-request, or not listening yet: sent again below.
          }
        }
        await sleep(50 + Math.floor(postRandom() * 100));
      }
    };
    const postAcknowledgements = async (poNames: readonly string[]) => {
      const webhook = new Webhook(PARTNER_SECRET);
      let n = 0;
      // One chain per PO: its acknowledgements one after the other (each stored before the next is sent), so their order is defined.
      await Promise.all(
        poNames.map(async (po, p) => {
          await sleep(Math.floor(postRandom() * ACK_PAUSE_MS * 2));
          for (let k = 0; k < ACKS; k++) {
            const ack = structuredClone(example);
            ack.id = randomUUID();
            ack.occurred_at = new Date(Date.UTC(2026, 11, 1, 8, k, p % 60)).toISOString().replace(".000Z", "Z");
            ack.subject.ref = ack.data.po_number = po;
            ack.data.partner_document_id = `CONF-${po}-${k}`;
            ack.data.version = k + 1;
            const body = JSON.stringify(ack);
            const webhookId = `msg_${po}_${k}`;
            const at = new Date();
            const headers = { "content-type": "application/json", "webhook-id": webhookId, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": webhook.sign(webhookId, at, body) };
            const twice = ++n % DUPLICATE_EVERY === 0;
            const answers = twice ? await Promise.all([postOnce(body, headers), postOnce(body, headers)]) : [await postOnce(body, headers)];
            if (new Set(answers.map((a) => a.event_id)).size !== 1) throw new Error(`one acknowledgement, two event ids: ${JSON.stringify(answers)}`);
            posted.push({ po, messageId: ack.id as string, webhookId, eventId: answers[0]!.event_id.toLowerCase(), twice });
            await sleep(Math.floor(ACK_PAUSE_MS / 2 + postRandom() * ACK_PAUSE_MS));
          }
        }),
      );
    };

    try {
      const seeded = await sim.post<{ order_names: string[] }>("/control/seed", { vendorCode: "WOODCORNER", count: EVENTS, subjects: SUBJECTS, nudge: false });
      for (let i = 0; i < REPLICAS; i++) running[i] = await spawnReplica(i);
      // The supplier acknowledges POs while the replicas drain and are killed.
      const acknowledging = postAcknowledgements(seeded.order_names.slice(0, ACK_POS));
      acknowledging.catch(() => undefined);
      readyz = (await (await fetch(`${running[0]!.url}/readyz`)).json()) as typeof readyz;
      const random = mulberry32(SEED);
      const total = 2 * EVENTS;
      const progressOf = (p: Progress) => (p.partners.WOODCORNER?.unique ?? 0) + (p.outbox.delivered ?? 0);
      // Kill k when progress (first arrivals plus rows recorded in Odoo) passes its seeded share:
      // one kill in each tenth of the first 60 %, so that the kills (each followed by a restart
      // that takes a second or two while the other replicas drain on) never pile up at the end
      // and all land while events are still in flight.
      const thresholds = Array.from({ length: KILLS }, (_, k) => Math.floor(((k + random()) / KILLS) * total * 0.6));
      for (let k = 0; k < KILLS; k++) {
        for (;;) {
          if (Date.now() > deadline) throw new Error(`run timed out before kill ${k}`);
          const p = progressOf(await sim.get<Progress>("/control/progress"));
          if (p >= thresholds[k]!) break;
          await sleep(20 + Math.floor(random() * 30));
        }
        const victim = Math.floor(random() * REPLICAS);
        const p = progressOf(await sim.get<Progress>("/control/progress"));
        await running[victim]!.kill("SIGKILL");
        running[victim] = null;
        kills++;
        if (p < total) killsDuringDrain++;
        // Restarted at once or after a while; the others go on meanwhile.
        await sleep(Math.floor(random() * 1_000));
        running[victim] = await spawnReplica(victim);
      }
      const killsDoneS = Math.round((Date.now() - started) / 1000);
      await acknowledging;
      const acksDoneS = Math.round((Date.now() - started) / 1000);
      for (;;) {
        if (Date.now() > deadline) throw new Error("run timed out in the final drain");
        const p = await sim.get<Progress>("/control/progress");
        if ((p.outbox.delivered ?? 0) === p.outbox.total && (await sim.get<InboundState>("/control/inbound")).rows >= posted.length) break;
        await sleep(100);
      }
      await Promise.all(running.map((r) => r?.kill("SIGTERM")));
      running.length = 0;
      state = await sim.get<State>(`/control/state?window=${RATE.per_ms}`);
      inbound = await sim.get<InboundState>("/control/inbound");
      const sql = postgres(db!.url, { max: 1, onnotice: () => {} });
      try {
        const [docs] = await sql<{ documents: number; distinct_messages: number; final: number }[]>`
          SELECT count(*)::int AS documents, count(DISTINCT message_id)::int AS distinct_messages, count(*) FILTER (WHERE status NOT IN ('received', 'pending'))::int AS final FROM inbound_documents`;
        const twice = posted.filter((p) => p.twice).map((p) => p.messageId);
        const receipts = await sql<{ receipts: number }[]>`SELECT receipts FROM inbound_documents WHERE message_id = ANY(${twice}::text[]) ORDER BY id`;
        const [decided] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbound_transitions WHERE from_state = 'pending' AND to_state <> 'pending'`;
        stored = { ...docs!, receipts_of_twice: receipts.map((r) => r.receipts), decided_once: decided!.n };
      } finally {
        await sql.end({ timeout: 1 });
      }
      const w = state.partners.WOODCORNER!;
      console.log(
        `replicas run: ${EVENTS} events, ${SUBJECTS} subjects, ${REPLICAS} replicas, ${killsDuringDrain}/${kills} kills during the drain, ` +
          `${w.requests} requests, ${w.duplicates} duplicate deliveries (${w.duplicatedIds} events), ${w.orderViolations} order violations, ` +
          `max ${w.max_in_window} in a ${w.window_ms} ms window (limit ${RATE.requests}), max ${w.max_in_flight} in flight (limit ${CONCURRENCY}), ` +
          `${state.calls.claim_batch ?? 0} claims, ${state.calls.record_results ?? 0} record calls, Odoo max ${state.odoo.max_in_flight} calls in flight (limit ${REPLICAS * ODOO_CONCURRENCY}), ` +
          `${posted.length} acknowledgements (${posted.filter((p) => p.twice).length} posted twice at once) in ${inbound.calls} apply_events calls, ${inbound.repeats} sent again, outcomes ${JSON.stringify(inbound.outcomes)}, kills done at ${killsDoneS} s, acknowledgements at ${acksDoneS} s, ${Math.round((Date.now() - started) / 1000)} s`,
      );
    } catch (err) {
      failure = err;
      const tails = Array.from({ length: REPLICAS }, (_, i) => {
        try {
          return `--- replica ${i} log (tail) ---\n${readFileSync(join(dir, `r${i}.log`), "utf8").slice(-3_000)}`;
        } catch {
          return `--- replica ${i}: no log`;
        }
      });
      console.error(`replicas run failed: ${String(err)}\n${tails.join("\n")}`);
    }
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await Promise.all(running.map((r) => r?.kill("SIGKILL")));
    await sim?.stop();
    if (!process.env.REPLICAS_KEEP) await db?.drop();
    else console.log(`database kept: ${db?.url}`);
    if (dir && !process.env.REPLICAS_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`replicas run kept in ${dir}`);
  });

  const result = (): State => {
    if (failure) throw failure;
    if (!state) throw new Error("the replicas run did not complete");
    return state;
  };

  it("is ready on the shared store (/readyz checks it)", () => {
    result();
    expect(readyz?.ready).toBe(true);
    expect(readyz?.checks.shared_store?.ok).toBe(true);
  });

  it(`kills a replica ${KILLS} times while events are still in flight`, () => {
    result();
    expect(kills).toBe(KILLS);
    expect(killsDuringDrain).toBe(KILLS);
  });

  it("loses nothing: every event reached the partner at least once, under its own id", () => {
    const w = result().partners.WOODCORNER!;
    expect(w.missing_sample).toEqual([]);
    expect(w.missing).toBe(0);
    expect(w.unique).toBe(EVENTS);
    expect(w.idMismatches).toBe(0);
    expect(w.accepted).toBe(w.unique + w.duplicates);
  });

  it("keeps order per subject among first arrivals, across replicas", () => {
    const w = result().partners.WOODCORNER!;
    expect(w.orderViolationSample).toEqual([]);
    expect(w.orderViolations).toBe(0);
  });

  it("never exceeds the partner's rate window or concurrency, all replicas together", () => {
    const w = result().partners.WOODCORNER!;
    expect(w.window_ms).toBe(RATE.per_ms);
    expect(w.max_in_window).toBeLessThanOrEqual(RATE.requests);
    expect(w.max_in_flight).toBeLessThanOrEqual(CONCURRENCY);
  });

  it("keeps Odoo's calls within the replicas' total ODOO_CONCURRENCY", () => {
    const { odoo } = result();
    expect(odoo.max_in_flight).toBeLessThanOrEqual(REPLICAS * ODOO_CONCURRENCY);
    expect(odoo.pool_full).toBe(0);
  });

  it("applies every acknowledgement in Odoo once, none lost across the kills", () => {
    result();
    expect(posted).toHaveLength(ACK_POS * ACKS);
    expect(new Set(posted.map((p) => p.eventId)).size).toBe(posted.length);
    // One connector.inbound row per event id, as the addon keeps them: each applied once (a repeat is answered duplicate).
    expect(inbound!.rows).toBe(posted.length);
    const applied = new Set(Object.values(inbound!.first_applied).flat());
    expect(posted.filter((p) => !applied.has(p.eventId)).map((p) => p.webhookId)).toEqual([]);
    expect(Object.values(inbound!.first_applied).flat()).toHaveLength(posted.length);
  });

  it("applies each PO's acknowledgements in the order the supplier sent them, across replicas", () => {
    result();
    const sent = new Map<string, string[]>();
    for (const p of posted) sent.set(p.po, [...(sent.get(p.po) ?? []), p.eventId]);
    const outOfOrder = [...sent].filter(([po, ids]) => JSON.stringify(inbound!.first_applied[po]) !== JSON.stringify(ids)).map(([po]) => po);
    expect(outOfOrder).toEqual([]);
  });

  it("stores each acknowledgement once (one posted to two replicas at once is a receipt), and records its outcome once", () => {
    result();
    expect(stored!.documents).toBe(posted.length);
    expect(stored!.distinct_messages).toBe(posted.length);
    expect(stored!.final).toBe(posted.length);
    expect(stored!.receipts_of_twice).toHaveLength(posted.filter((p) => p.twice).length);
    expect(stored!.receipts_of_twice.every((r) => r >= 2)).toBe(true);
    expect(stored!.decided_once).toBe(posted.length);
  });

  it("ends with every outbox row recorded delivered in Odoo", () => {
    const { outbox } = result();
    expect(outbox.total).toBe(EVENTS);
    expect(outbox.delivered).toBe(EVENTS);
  });
});
