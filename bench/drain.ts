/**
 * Drain throughput: the real sidecar process (`odc serve`) drains N events from the Odoo
 * simulator into a fast partner on loopback, against a naive relay (bench/naive-relay.ts)
 * measured in the same run against the same simulator. The simulator charges each JSON-RPC
 * call the cost measured on real Odoo 18 (docs/DESIGN.md): a fixed part plus a part per row.
 *
 *   npx tsx bench/drain.ts
 *   DRAIN_EVENTS=20000 DRAIN_PER_SUBJECT=5 NAIVE_EVENTS=500 ODOO_BASE_MS=10 ODOO_PER_ROW_MS=0.08 npx tsx bench/drain.ts
 *
 * Prints one JSON line with the figures.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnSidecar, spawnSimulator, writePartnersFile } from "../test/support/processes.ts";
import { runNaiveRelay } from "./naive-relay.ts";

const EVENTS = Number(process.env.DRAIN_EVENTS ?? 20_000);
const PER_SUBJECT = Number(process.env.DRAIN_PER_SUBJECT ?? 5);
const NAIVE_EVENTS = Number(process.env.NAIVE_EVENTS ?? 500);
// DESIGN.md: read 1 record ~8 ms, write 1 ~13 ms; claim + record of 1,000 rows ~90 ms.
const LATENCY = { baseMs: Number(process.env.ODOO_BASE_MS ?? 10), perRowMs: Number(process.env.ODOO_PER_ROW_MS ?? 0.08) };
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NUDGE_SECRET = "nudge-secret-for-benchmarks-0123456789";

interface Progress {
  outbox: Record<string, number> & { total: number };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "odc-bench-drain-"));
  const port = await freePort();
  const load = loadavg()[0]!;
  const sim = await spawnSimulator({
    odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl: `http://127.0.0.1:${port}`, latency: LATENCY },
    partners: [{ code: "WOODCORNER", secrets: [SECRET] }, { code: "NAIVE", secrets: [SECRET] }],
  });
  try {
    // 1. The naive relay, alone against the simulator (the sidecar is not running yet).
    await sim.post("/control/seed", { vendorCode: "NAIVE", count: NAIVE_EVENTS, subjects: Math.ceil(NAIVE_EVENTS / PER_SUBJECT), nudge: false });
    const naive = await runNaiveRelay({ odoo: sim.ready.odoo, partnerUrl: `${sim.ready.partners.NAIVE}/webhooks`, secret: SECRET, count: NAIVE_EVENTS });
    const naiveRate = (naive.events / naive.ms) * 1000;

    // 2. The sidecar, started idle, then N events committed at once (one nudge).
    const partnersFile = join(dir, "partners.json");
    writePartnersFile(partnersFile, [
      {
        code: "WOODCORNER",
        endpoint: `${sim.ready.partners.WOODCORNER}/webhooks`,
        signing_secrets: ["env:PARTNER_SECRET"],
        subscriptions: { event_types: ["purchase_order.confirmed"] },
        limits: { concurrency: 16, rate: { requests: 100_000, per_ms: 1_000 }, timeout_ms: 10_000 },
      },
    ]);
    const sidecar = await spawnSidecar({ sim: sim.ready, port, dbPath: join(dir, "store.sqlite"), partnersFile, nudgeSecret: NUDGE_SECRET, logFile: join(dir, "sidecar.log"), env: { PARTNER_SECRET: SECRET } });
    const base = (await sim.get<Progress>("/control/progress")).outbox.delivered ?? 0;
    const callsBefore = (await sim.get<{ calls: Record<string, number> }>("/control/state")).calls;
    const started = performance.now();
    await sim.post("/control/seed", { vendorCode: "WOODCORNER", count: EVENTS, subjects: Math.ceil(EVENTS / PER_SUBJECT) });
    let firstDeliveredAt = 0;
    for (;;) {
      const p = await sim.get<Progress>("/control/progress");
      const delivered = (p.outbox.delivered ?? 0) - base;
      if (delivered > 0 && !firstDeliveredAt) firstDeliveredAt = performance.now();
      if (delivered >= EVENTS) break;
      if (performance.now() - started > 600_000) throw new Error(`drain stalled: ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const ms = performance.now() - started;
    const state = await sim.get<{ calls: Record<string, number>; partners: Record<string, { unique: number; duplicates: number; orderViolations: number }> }>("/control/state");
    await sidecar.kill("SIGTERM");
    const sidecarRate = (EVENTS / ms) * 1000;
    const w = state.partners.WOODCORNER!;
    console.log(
      JSON.stringify({
        bench: "drain",
        machine: { cpus: cpus().length, node: process.version, load_1m_at_start: Math.round(load * 100) / 100 },
        odoo_latency: LATENCY,
        naive: { events: naive.events, ms: Math.round(naive.ms), events_per_s: Math.round(naiveRate * 10) / 10, rpc_calls: naive.calls },
        sidecar: {
          events: EVENTS,
          events_per_subject: PER_SUBJECT,
          ms: Math.round(ms),
          events_per_s: Math.round(sidecarRate),
          first_recorded_after_ms: Math.round(firstDeliveredAt - started),
          rpc_calls: Object.fromEntries(Object.entries(state.calls).map(([m, n]) => [m, n - (callsBefore[m] ?? 0)])),
          delivered_unique: w.unique,
          duplicates: w.duplicates,
          order_violations: w.orderViolations,
        },
        ratio_to_naive: Math.round((sidecarRate / naiveRate) * 10) / 10,
      }),
    );
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
