import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../faults/fault-schedule.ts";
import { freePort, spawnSidecar, spawnSimulator, writePartnersFile, type SidecarProcess, type SimulatorPartnerState, type SimulatorProcess, type SimulatorProgress } from "../support/processes.ts";

/**
 * The real sidecar process (`odc serve`) drains a large outbox while it is killed with SIGKILL
 * at seeded random moments and restarted on the same SQLite file. Afterwards every event must
 * have reached the partner at least once under its own id, and Odoo must have every row
 * recorded. Size and kills: CRASH_EVENTS (default 10,000), CRASH_KILLS (20), CRASH_SUBJECTS
 * (events / 20), CRASH_SEED.
 */

const EVENTS = Number(process.env.CRASH_EVENTS ?? 10_000);
const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const SUBJECTS = Number(process.env.CRASH_SUBJECTS ?? Math.max(1, Math.round(EVENTS / 20)));
const SEED = Number(process.env.CRASH_SEED ?? 20_261_126);
const LEASE_SECONDS = 10;
/** ODC_LEASE_SECONDS' default (sidecar/src/config/env.ts). */
const DEFAULT_LEASE_SECONDS = 120;
/** Bounds the whole run (not an assertion on duration: only so a hang fails instead of blocking CI). */
const RUN_TIMEOUT_MS = Number(process.env.CRASH_TIMEOUT_MS ?? 420_000);

const PARTNER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NUDGE_SECRET = "nudge-secret-for-crash-tests-0123456789";

type Progress = SimulatorProgress;
type PartnerState = SimulatorPartnerState;
interface State {
  outbox: Record<string, number> & { total: number };
  calls: Record<string, number>;
  partners: Record<string, PartnerState>;
}

interface RunResult {
  kills: { at: number; progress: number; pid: number }[];
  /** Kills that landed while events were still undelivered or unrecorded. */
  killsDuringDrain: number;
  restarts: number;
  durationMs: number;
  state: State;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`crash: SIGKILL the sidecar ${KILLS} times while it drains ${EVENTS} events over ${SUBJECTS} subjects`, () => {
  let dir = "";
  let sim: SimulatorProcess | null = null;
  let sidecar: SidecarProcess | null = null;
  let run: RunResult | null = null;
  let failure: unknown = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "odc-crash-"));
    const started = Date.now();
    const deadline = started + RUN_TIMEOUT_MS;
    const port = await freePort();
    const sidecarUrl = `http://127.0.0.1:${port}`;
    sim = await spawnSimulator({
      odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl },
      partners: [{ code: "WOODCORNER", secrets: [PARTNER_SECRET] }],
    });
    const partnersFile = join(dir, "partners.json");
    writePartnersFile(partnersFile, [
      {
        code: "WOODCORNER",
        endpoint: `${sim.ready.partners.WOODCORNER}/webhooks`,
        signing_secrets: ["env:PARTNER_SECRET"],
        subscriptions: { event_types: ["purchase_order.confirmed"] },
        limits: { concurrency: 16, rate: { requests: 5_000, per_ms: 1_000 }, timeout_ms: 5_000, breaker_threshold: 50, breaker_cooldown_ms: 500 },
        retry: { schedule_ms: [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000], jitter: 0.2 },
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
        env: { PARTNER_SECRET, ODC_POLL_INTERVAL_MS: "500", ODC_LEASE_SECONDS: String(LEASE_SECONDS), ODC_CLAIM_BATCH: "500" },
      });

    try {
      await sim.post("/control/seed", { vendorCode: "WOODCORNER", count: EVENTS, subjects: SUBJECTS, nudge: false });
      // Progress runs from 0 to 2 * EVENTS: events first accepted by the partner, plus rows
      // recorded delivered in Odoo. Kill k waits for its seeded share of progress and a seeded
      // pause after start-up, so kills spread over claiming, delivering and recording.
      const random = mulberry32(SEED);
      const total = 2 * EVENTS;
      const thresholds = Array.from({ length: KILLS }, () => Math.floor(random() * total * 0.95)).sort((a, b) => a - b);
      const progressOf = (p: Progress) => (p.partners.WOODCORNER?.unique ?? 0) + (p.outbox.delivered ?? 0);
      const kills: RunResult["kills"] = [];
      let killsDuringDrain = 0;
      let restarts = 0;
      for (let k = 0; k < KILLS; k++) {
        sidecar = await spawnOne();
        restarts++;
        const upAt = Date.now();
        const pause = Math.floor(random() * 400);
        let progress = 0;
        for (;;) {
          if (Date.now() > deadline) throw new Error(`run timed out at kill ${k}`);
          progress = progressOf(await sim.get<Progress>("/control/progress"));
          if (progress >= total) break;
          if (progress >= thresholds[k]! && Date.now() - upAt >= pause) break;
          await sleep(5 + Math.floor(random() * 20));
        }
        await sidecar.kill("SIGKILL");
        kills.push({ at: Date.now() - started, progress, pid: sidecar.proc.pid ?? 0 });
        if (progress < total) killsDuringDrain++;
        sidecar = null;
      }
      // The last start drains what is left: rows a killed process had leased come back at its
      // next start (the same consumer, a later generation), or when their lease ends.
      sidecar = await spawnOne();
      restarts++;
      for (;;) {
        if (Date.now() > deadline) throw new Error("run timed out in the final drain");
        const p = await sim.get<Progress>("/control/progress");
        if ((p.outbox.delivered ?? 0) === p.outbox.total) break;
        await sleep(100);
      }
      await sidecar.kill("SIGTERM");
      sidecar = null;
      const state = await sim.get<State>("/control/state");
      run = { kills, killsDuringDrain, restarts, durationMs: Date.now() - started, state };
      const w = state.partners.WOODCORNER!;
      console.log(
        `crash run: ${EVENTS} events, ${SUBJECTS} subjects, ${killsDuringDrain}/${kills.length} kills during the drain, ${restarts} starts, ` +
          `${w.requests} requests, ${w.duplicates} duplicate deliveries (${w.duplicatedIds} events), ${w.orderViolations} order violations, ` +
          `${state.calls.claim_batch ?? 0} claims, ${state.calls.record_results ?? 0} record calls, ${Math.round(run.durationMs / 1000)} s`,
      );
    } catch (err) {
      failure = err;
      let log = "";
      try {
        log = readFileSync(join(dir, "sidecar.log"), "utf8").slice(-4_000);
      } catch {
        // no log
      }
      console.error(`crash run failed: ${String(err)}\n--- sidecar log (tail) ---\n${log}`);
    }
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await sidecar?.kill("SIGKILL");
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const result = (): RunResult => {
    if (failure) throw failure;
    if (!run) throw new Error("the crash run did not complete");
    return run;
  };

  it(`kills the sidecar at least ${KILLS} times while events are still in flight`, () => {
    const r = result();
    expect(r.kills).toHaveLength(KILLS);
    expect(r.killsDuringDrain).toBe(KILLS);
  });

  it("loses nothing: every event reached the partner at least once", () => {
    const w = result().state.partners.WOODCORNER!;
    expect(w.missing_sample).toEqual([]);
    expect(w.missing).toBe(0);
    expect(w.unique).toBe(EVENTS);
  });

  it("delivers every duplicate under the same webhook-id: each accepted body's id is its webhook-id", () => {
    const w = result().state.partners.WOODCORNER!;
    expect(w.idMismatches).toBe(0);
    expect(w.accepted).toBe(w.unique + w.duplicates);
  });

  it("ends with every outbox row recorded delivered in Odoo", () => {
    const { outbox } = result().state;
    expect(outbox.total).toBe(EVENTS);
    expect(outbox.delivered).toBe(EVENTS);
  });

  it("keeps order per subject among first deliveries", () => {
    const w = result().state.partners.WOODCORNER!;
    expect(w.orderViolationSample).toEqual([]);
    expect(w.orderViolations).toBe(0);
  });
});

describe("crash: the sidecar dies while its claim is in flight (default lease)", () => {
  let dir = "";
  let sim: SimulatorProcess | null = null;
  let sidecar: SidecarProcess | null = null;

  afterAll(async () => {
    await sidecar?.kill("SIGKILL");
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let partner: PartnerState | null = null;

  it("still delivers and records both events of the subject", async () => {
    dir = mkdtempSync(join(tmpdir(), "odc-crash-claim-"));
    const port = await freePort();
    sim = await spawnSimulator({ odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl: `http://127.0.0.1:${port}` }, partners: [{ code: "WOODCORNER", secrets: [PARTNER_SECRET] }] });
    const partnersFile = join(dir, "partners.json");
    writePartnersFile(partnersFile, [
      { code: "WOODCORNER", endpoint: `${sim.ready.partners.WOODCORNER}/webhooks`, signing_secrets: ["env:PARTNER_SECRET"], subscriptions: { event_types: ["purchase_order.confirmed"] } },
    ]);
    const spawnOne = () =>
      spawnSidecar({
        sim: sim!.ready,
        port,
        dbPath: join(dir, "store.sqlite"),
        partnersFile,
        nudgeSecret: NUDGE_SECRET,
        logFile: join(dir, "sidecar.log"),
        // Default lease and poll interval: what a crash costs in production.
        env: { PARTNER_SECRET },
      });
    const waitProgress = async (what: string, done: (p: Progress) => boolean, timeoutMs = 30_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const p = await sim!.get<Progress>("/control/progress");
        if (done(p)) return p;
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(p)}`);
        await sleep(20);
      }
    };

    sidecar = await spawnOne();
    // Its start-up claim must be answered before Odoo starts holding answers.
    for (const until = Date.now() + 30_000; ; await sleep(20)) {
      const health = (await (await fetch(`${sidecar.url}/healthz`)).json()) as { odoo?: { last_claim_at?: string | null } };
      if (health.odoo?.last_claim_at) break;
      if (Date.now() > until) throw new Error("the sidecar never claimed");
    }
    // Odoo leases the rows, then its answer is held: the sidecar dies before it arrives.
    await sim.post("/control/odoo", { methodLatencyMs: { claim_batch: 60_000 } });
    const first = await sim.post<{ order_ids: number[] }>("/control/seed", { vendorCode: "WOODCORNER", count: 1, subjects: 1 });
    await waitProgress("the first event to be leased", (p) => (p.outbox.leased ?? 0) === 1);
    await sidecar.kill("SIGKILL");
    sidecar = null;
    await sim.post("/control/odoo", { methodLatencyMs: {} });
    // Meanwhile the same order changes again in Odoo: sequence 2 of the same subject.
    await sim.post("/control/seed", { vendorCode: "WOODCORNER", count: 1, orders: first.order_ids, nudge: false });
    const restartedAt = Date.now();
    sidecar = await spawnOne();
    const readyMs = Date.now() - restartedAt;
    // The restarted replica takes back the row it held (the lease, 120 s by default, has not
    // run out): well before the lease, or this wait fails.
    await waitProgress("the row claimed before the kill to reach the partner", (p) => (p.partners.WOODCORNER?.unique ?? 0) >= 1, DEFAULT_LEASE_SECONDS * 1000 / 2);
    const firstDeliveryMs = Date.now() - restartedAt;
    await waitProgress("both rows to be recorded delivered", (p) => (p.outbox.delivered ?? 0) === 2, DEFAULT_LEASE_SECONDS * 1000 / 2);
    console.log(`crash recovery: restart to first delivery of the row claimed before the kill ${(firstDeliveryMs / 1000).toFixed(2)} s (process ready after ${(readyMs / 1000).toFixed(2)} s; default lease ${DEFAULT_LEASE_SECONDS} s)`);

    partner = (await sim.get<State>("/control/state")).partners.WOODCORNER!;
    expect(partner.unique).toBe(2);
    expect(partner.idMismatches).toBe(0);
  }, (DEFAULT_LEASE_SECONDS + 60) * 1000);

  // Rows leased by a claim whose answer never reached the store (process killed, or the call
  // timed out) come back on the replica's next claim (a later generation of the same
  // consumer), or, for another replica, when their lease ends; either way the same claim or
  // the next takes the later rows of the same subjects. The store holds a delivery whose previous sequence it has not
  // seen (every claimed event is stored, routed or not) until that sequence arrives or the
  // lease plus a margin has passed.
  it("does not let a later event of a subject overtake one leased by the dead process", () => {
    expect(partner, "the scenario above ran").not.toBeNull();
    expect(partner!.orderViolationSample).toEqual([]);
  });
});
