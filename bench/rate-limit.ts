/**
 * Rate-limit accuracy: the real sidecar process drains a backlog into a partner limited to
 * RATE_LIMIT requests per RATE_WINDOW_MS; the delivered rate while the backlog lasts, as the
 * partner counts arrivals, is reported as a ratio to the limit (wanted: 0.95 to 1.00), with
 * the largest number of arrivals in any sliding window.
 *
 *   npx tsx bench/rate-limit.ts
 *   RATE_LIMIT=200 RATE_WINDOW_MS=1000 RATE_BACKLOG=2000 RATE_CONCURRENCY=16 npx tsx bench/rate-limit.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { maxInWindow } from "../test/support/accepted.ts";
import { freePort, spawnSidecar, spawnSimulator, writePartnersFile } from "../test/support/processes.ts";

const LIMIT = Number(process.env.RATE_LIMIT ?? 200);
const WINDOW_MS = Number(process.env.RATE_WINDOW_MS ?? 1_000);
const BACKLOG = Number(process.env.RATE_BACKLOG ?? 2_000);
const CONCURRENCY = Number(process.env.RATE_CONCURRENCY ?? 16);
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NUDGE_SECRET = "nudge-secret-for-benchmarks-0123456789";

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "odc-bench-rate-"));
  const port = await freePort();
  const load = loadavg()[0]!;
  const sim = await spawnSimulator({ odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl: `http://127.0.0.1:${port}` }, partners: [{ code: "WOODCORNER", secrets: [SECRET] }] });
  try {
    const partnersFile = join(dir, "partners.json");
    writePartnersFile(partnersFile, [
      {
        code: "WOODCORNER",
        endpoint: `${sim.ready.partners.WOODCORNER}/webhooks`,
        signing_secrets: ["env:PARTNER_SECRET"],
        subscriptions: { event_types: ["purchase_order.confirmed"] },
        limits: { concurrency: CONCURRENCY, rate: { requests: LIMIT, per_ms: WINDOW_MS }, timeout_ms: 10_000 },
      },
    ]);
    const sidecar = await spawnSidecar({ sim: sim.ready, port, dbPath: join(dir, "store.sqlite"), partnersFile, nudgeSecret: NUDGE_SECRET, logFile: join(dir, "sidecar.log"), env: { PARTNER_SECRET: SECRET } });
    await sim.post("/control/seed", { vendorCode: "WOODCORNER", count: BACKLOG, subjects: BACKLOG });
    for (;;) {
      const p = await sim.get<{ outbox: Record<string, number> }>("/control/progress");
      if ((p.outbox.delivered ?? 0) >= BACKLOG) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await sidecar.kill("SIGTERM");
    const { arrivals } = await sim.get<{ arrivals: number[] }>(`/control/arrivals?code=WOODCORNER`);
    // The backlog exists from the first arrival until the last one: count whole windows only,
    // from the first arrival, that end before the last arrival.
    const first = arrivals[0]!;
    const last = arrivals[arrivals.length - 1]!;
    const windows = Math.floor((last - first) / WINDOW_MS);
    const perWindow = Array.from({ length: windows }, (_, i) => arrivals.filter((t) => t >= first + i * WINDOW_MS && t < first + (i + 1) * WINDOW_MS).length);
    const delivered = perWindow.reduce((s, n) => s + n, 0);
    const rate = (delivered / (windows * WINDOW_MS)) * 1000;
    const limitPerS = (LIMIT / WINDOW_MS) * 1000;
    console.log(
      JSON.stringify({
        bench: "rate-limit",
        machine: { cpus: cpus().length, node: process.version, load_1m_at_start: Math.round(load * 100) / 100 },
        limit: { requests: LIMIT, per_ms: WINDOW_MS, concurrency: CONCURRENCY },
        backlog: BACKLOG,
        requests: arrivals.length,
        whole_windows: windows,
        per_window: { min: Math.min(...perWindow), max: Math.max(...perWindow) },
        delivered_per_s: Math.round(rate * 10) / 10,
        ratio_to_limit: Math.round((rate / limitPerS) * 1000) / 1000,
        max_in_any_sliding_window: maxInWindow(arrivals, WINDOW_MS),
      }),
    );
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
