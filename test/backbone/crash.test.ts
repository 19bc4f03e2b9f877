import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, spawnSidecar, spawnSimulator, writePartnersFile, type SidecarProcess, type SimulatorProcess } from "../support/processes.ts";
import { connectOrExplain, deleteStream, NATS_URL, readStream, uniqueStream, type StoredMessage } from "./support.ts";

/**
 * Exactly once per event id on the server across publisher crashes: the real sidecar process
 * (`odc serve`) publishes a seeded outbox to the real JetStream and is SIGKILLed the moment the
 * server sees its publishes, so that acks are lost between the publish and the store's record
 * of it. A core NATS subscription on the same subjects sees every publish, duplicates
 * included (JetStream drops them from the stream, not from the wire). Afterwards: some events
 * were published more than once, and the stream holds exactly one message per event id, in
 * order per subject. Size: BACKBONE_CRASH_EVENTS (default 3,000), BACKBONE_CRASH_KILLS (6).
 */

const EVENTS = Number(process.env.BACKBONE_CRASH_EVENTS ?? 3_000);
const KILLS = Number(process.env.BACKBONE_CRASH_KILLS ?? 6);
const SUBJECTS = Math.max(1, Math.round(EVENTS / 20));
const NUDGE_SECRET = "nudge-secret-for-backbone-crash-0123456789";
/** Bounds the run so a hang fails (not an assertion on duration). */
const RUN_TIMEOUT_MS = 240_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`backbone crash: SIGKILL the publishing sidecar ${KILLS} times over ${EVENTS} events`, () => {
  let nc: NatsConnection;
  let sub: Subscription | null = null;
  let sim: SimulatorProcess | null = null;
  let sidecar: SidecarProcess | null = null;
  const dir = mkdtempSync(join(tmpdir(), "odc-backbone-crash-"));
  const { stream, prefix } = uniqueStream("CRASH");
  /** Every publish the server received, per Nats-Msg-Id. */
  const published = new Map<string, number>();
  let messages: StoredMessage[] = [];
  let outboxIds: string[] = [];
  let killsDuringPublish = 0;
  let failure: unknown = null;

  beforeAll(async () => {
    nc = await connectOrExplain();
    sub = nc.subscribe(`${prefix}.>`, {
      callback: (_err, msg) => {
        const id = msg.headers?.get("Nats-Msg-Id") ?? "";
        published.set(id, (published.get(id) ?? 0) + 1);
      },
    });
    await nc.flush();
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    const port = await freePort();
    sim = await spawnSimulator({ odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl: `http://127.0.0.1:${port}` }, partners: [] });
    const partnersFile = join(dir, "partners.json");
    writePartnersFile(partnersFile, [
      {
        code: "BACKBONE",
        format: "nats",
        endpoint: NATS_URL,
        subscriptions: { event_types: ["purchase_order.confirmed"], partner_codes: ["*"] },
        nats: { stream, subject_prefix: prefix, duplicate_window_ms: 600_000 },
        limits: { concurrency: 16, rate: { requests: 5_000, per_ms: 1_000 }, timeout_ms: 2_000, breaker_threshold: 100, breaker_cooldown_ms: 200 },
        retry: { schedule_ms: [100, 200, 400, 800], jitter: 0.2, max_age_ms: 600_000 },
      },
    ]);
    const spawnOne = () =>
      spawnSidecar({
        sim: sim!.ready,
        port,
        dbPath: join(dir, "store.sqlite"),
        partnersFile,
        nudgeSecret: NUDGE_SECRET,
        logFile: join(dir, "sidecar.log"),
        env: { ODC_POLL_INTERVAL_MS: "300", ODC_LEASE_SECONDS: "10", ODC_CLAIM_BATCH: "500" },
      });
    const total = () => [...published.keys()].length;
    try {
      await sim.post("/control/seed", { vendorCode: "WOODCORNER", count: EVENTS, subjects: SUBJECTS, nudge: false });
      for (let k = 0; k < KILLS; k++) {
        sidecar = await spawnOne();
        // Kill as soon as the server has seen this start publish past its share: acks in flight are lost.
        const before = [...published.values()].reduce((a, b) => a + b, 0);
        const target = Math.floor(((k + 1) * EVENTS) / (KILLS + 1));
        for (;;) {
          if (Date.now() > deadline) throw new Error(`run timed out at kill ${k}`);
          const now = [...published.values()].reduce((a, b) => a + b, 0);
          if (total() >= target && now > before) break;
          await sleep(1);
        }
        await sidecar.kill("SIGKILL");
        sidecar = null;
        if (total() < EVENTS) killsDuringPublish++;
      }
      sidecar = await spawnOne();
      for (;;) {
        if (Date.now() > deadline) throw new Error("run timed out in the final drain");
        const p = await sim.get<{ outbox: Record<string, number> & { total: number } }>("/control/progress");
        if ((p.outbox.delivered ?? 0) === p.outbox.total) break;
        await sleep(100);
      }
      await sidecar.kill("SIGTERM");
      sidecar = null;
      await nc.flush();
      messages = await readStream(nc, stream);
      const state = await sim.get<{ outbox: { total: number } }>("/control/state");
      expect(state.outbox.total).toBe(EVENTS);
      outboxIds = [...new Set(messages.map((m) => JSON.parse(m.body).id as string))];
      const republished = [...published.values()].filter((n) => n > 1).length;
      console.log(
        `backbone crash run: ${EVENTS} events, ${killsDuringPublish}/${KILLS} kills while publishing, ` +
          `${[...published.values()].reduce((a, b) => a + b, 0)} publishes seen by the server, ${republished} event ids published more than once, ` +
          `${messages.length} messages in the stream`,
      );
    } catch (err) {
      failure = err;
      try {
        console.error(readFileSync(join(dir, "sidecar.log"), "utf8").slice(-3_000));
      } catch {
        // no log
      }
    }
  }, RUN_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await sidecar?.kill("SIGKILL");
    await sim?.stop();
    sub?.unsubscribe();
    if (nc) {
      await deleteStream(nc, stream);
      await nc.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("the run completed with kills while publishing", () => {
    expect(failure).toBeNull();
    expect(killsDuringPublish).toBeGreaterThan(0);
  });

  it("some events were published more than once (acks lost to the kills)", () => {
    expect([...published.values()].filter((n) => n > 1).length).toBeGreaterThan(0);
  });

  it("the stream holds exactly one message per event id, every event of the outbox", () => {
    expect(messages).toHaveLength(EVENTS);
    const ids = messages.map((m) => m.msgId);
    expect(new Set(ids).size).toBe(EVENTS);
    expect(outboxIds).toHaveLength(EVENTS);
    expect(new Set(published.keys())).toEqual(new Set(ids));
  });

  it("order per subject holds in the stream", () => {
    const last = new Map<string, number>();
    let violations = 0;
    for (const m of messages) {
      const key = m.headers["Odc-Subject"]!;
      const seq = Number(m.headers["Odc-Sequence"]);
      if (seq <= (last.get(key) ?? 0)) violations++;
      last.set(key, seq);
    }
    expect(messages.length).toBeGreaterThan(0);
    expect(violations).toBe(0);
    expect(last.size).toBe(SUBJECTS);
  });
});
