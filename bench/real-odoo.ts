/**
 * Drain throughput against a REAL Odoo 18 with the addon (served by scripts/odoo-serve.sh):
 * the sidecar (claim batches, durable store, signed deliveries, batched results) versus a
 * naive relay that claims, posts and records ONE event per call, measured in the same run on
 * the same database. The partner is a signature-verifying receiver in its own process.
 *
 *   ODOO_HOME=... bash scripts/odoo-bench.sh           # serves Odoo, runs this, stops Odoo
 *
 * Env: ODOO_URL ODOO_DB ODOO_USER ODOO_API_KEY (integration user), BENCH_EVENTS (default
 * 20000), BENCH_NAIVE_EVENTS (default 300), PG* for seeding rows with psql (bench/support/odoo-seed.ts).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../sidecar/src/config/env.ts";
import { parsePartners } from "../sidecar/src/config/partners.ts";
import { prepareRequest } from "../sidecar/src/delivery/wire.ts";
import { createLogger } from "../sidecar/src/lib/logger.ts";
import { OdooClient } from "../sidecar/src/odoo/client.ts";
import { OdooOutbox } from "../sidecar/src/odoo/outbox.ts";
import { Sidecar } from "../sidecar/src/service.ts";
import { psql as psqlIn, seedOutbox } from "./support/odoo-seed.ts";

const SECRET = "whsec_YmVuY2gtcmVhbC1vZG9vLXNlY3JldC0wMTIzNDU2Nzg5";
const env = process.env;
const N = Number(env.BENCH_EVENTS ?? 20_000);
const NAIVE = Number(env.BENCH_NAIVE_EVENTS ?? 300);
const psql = (sql: string) => psqlIn(env.ODOO_DB!, sql);
/** Seeds `count` pending rows cloned from a real purchase_order.confirmed payload, one subject each. */
const seed = (count: number) => void seedOutbox(env.ODOO_DB!, { count, partnerCode: "BENCH" });

/**
 * CPU seconds used so far by the processes whose command line matches (user + system, all
 * threads; /proc, clock ticks of 1/100 s): where an end-to-end drain spends the machine's two
 * cores, per process, measured around the drain.
 */
function cpuSeconds(match: (cmdline: string) => boolean): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!match(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "))) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100;
}
const isOdoo = (c: string) => c.includes("odoo-bin") && c.includes(`--http-port=${env.ODOO_PORT}`);
// The server's backends serving this database (another database's clients are not counted).
const isPostgres = (c: string) => c.startsWith("postgres:") && c.includes(` ${env.ODOO_DB} `);
const isReceiver = (c: string) => c.includes("bench/support/receiver.ts");

const counts = () => psql(`SELECT state || '=' || count(*) FROM connector_outbox WHERE partner_code = 'BENCH' GROUP BY state ORDER BY 1`).split("\n").join(" ");

async function startReceiver(): Promise<{ url: string; stop: () => Promise<{ accepted: number; unique: number; rejected: number; connections: number }> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/support/receiver.ts"], { env: { ...process.env, RECEIVER_SECRET: SECRET }, stdio: ["pipe", "pipe", "inherit"] });
  const lines: string[] = [];
  let wake: () => void = () => {};
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    lines.push(...d.split("\n").filter(Boolean));
    wake();
  });
  const next = async () => {
    while (lines.length === 0) await new Promise<void>((r) => (wake = r));
    return JSON.parse(lines.shift()!);
  };
  const { url } = await next();
  return { url, stop: async () => (child.kill("SIGTERM"), next()) };
}

async function naiveRelay(receiverUrl: string): Promise<number> {
  const odoo = new OdooClient({ url: env.ODOO_URL!, db: env.ODOO_DB!, login: env.ODOO_USER!, apiKey: env.ODOO_API_KEY!, concurrency: 1 });
  const outbox = new OdooOutbox(odoo);
  const started = performance.now();
  let done = 0;
  for (;;) {
    const { events } = await outbox.claimBatch(1, 120);
    if (events.length === 0) break;
    const e = events[0]!;
    const req = prepareRequest({ endpoint: `${receiverUrl}/naive`, wire: { format: "canonical", secrets: [SECRET] } }, [{ eventId: e.event.id, payload: JSON.stringify(e.event) }], { now: Date.now() });
    if ("ok" in req) throw new Error(req.reason);
    const res = await fetch(req.url, { method: "POST", headers: req.headers, body: req.body });
    await res.body?.cancel();
    await outbox.recordResults([{ event_id: e.event.id, state: res.ok ? "delivered" : "failed", partner: "BENCH", attempts: 1, error: res.ok ? null : `HTTP ${res.status}`, at: new Date().toISOString() }]);
    done++;
  }
  return done / ((performance.now() - started) / 1000);
}

async function sidecarDrain(receiverUrl: string): Promise<{ rate: number; delivered: number }> {
  const dir = mkdtempSync(join(tmpdir(), "odc-bench-"));
  const cfg = loadEnv({ ...env, ODC_NUDGE_SECRET: "bench-nudge-secret-0123456789", ODC_PARTNERS_FILE: "(bench)", ODC_DB_PATH: join(dir, "s.sqlite"), ODC_PORT: "0", ODC_CLAIM_BATCH: env.ODC_CLAIM_BATCH ?? "1000", ODC_RESULT_BATCH: "1000", ODC_LOG_LEVEL: "warn", ODC_POLL_INTERVAL_MS: "200" });
  const partners = parsePartners({ partners: [{ code: "BENCH", endpoint: `${receiverUrl}/sidecar`, signing_secrets: ["env:S"], subscriptions: { event_types: ["purchase_order.confirmed"] }, limits: { concurrency: Number(env.BENCH_CONCURRENCY ?? 64), rate: { requests: 1_000_000, per_ms: 1000 } }, ...(env.BENCH_BATCH ? { delivery: { mode: "batched", max_events: Number(env.BENCH_BATCH), max_wait_ms: 50 } } : {}) }] }, { S: SECRET });
  let recorded = 0;
  let claimed = 0;
  let attempted = 0;
  // When each stage reached its half and its end (ms from the start): which one lags.
  const marks: Record<string, number> = {};
  const mark = (stage: string, count: number) => {
    if (count >= N / 2 && marks[`${stage} half`] === undefined) marks[`${stage} half`] = performance.now() - started;
    if (count >= N && marks[`${stage} all`] === undefined) marks[`${stage} all`] = performance.now() - started;
  };
  const sidecar = new Sidecar({
    env: cfg,
    partners,
    log: createLogger("warn"),
    observer: {
      claimed: (events) => {
        if (claimed === 0) marks["first claim"] = performance.now() - started;
        mark("claimed", (claimed += events.length));
      },
      attempted: () => mark("delivered", ++attempted),
      reported: (r) => mark("recorded", (recorded += r.filter((x) => x.state === "delivered").length)),
    },
  });
  const started = performance.now();
  await sidecar.start();
  marks["started"] = performance.now() - started;
  while (recorded < N) {
    await new Promise((r) => setTimeout(r, 20));
    if (performance.now() - started > 600_000) break;
  }
  const seconds = (performance.now() - started) / 1000;
  await sidecar.stop(2_000);
  rmSync(dir, { recursive: true, force: true });
  console.log(`stages (ms from the start): ${Object.entries(marks).sort((a, b) => a[1] - b[1]).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ")}`);
  return { rate: recorded / seconds, delivered: recorded };
}

const receiver = await startReceiver();
console.log(`real Odoo ${env.ODOO_URL} db ${env.ODOO_DB}; receiver ${receiver.url}`);
seed(NAIVE);
const naive = await naiveRelay(receiver.url);
console.log(`naive relay (claim 1, post, record 1 per event): ${naive.toFixed(1)} events/s over ${NAIVE}; outbox: ${counts()}`);
seed(N);
const cpuBefore = { odoo: cpuSeconds(isOdoo), postgres: cpuSeconds(isPostgres), receiver: cpuSeconds(isReceiver), sidecar: process.cpuUsage() };
const sc = await sidecarDrain(receiver.url);
const sidecarCpu = process.cpuUsage(cpuBefore.sidecar);
const cpu = {
  sidecar: (sidecarCpu.user + sidecarCpu.system) / 1e6,
  receiver: cpuSeconds(isReceiver) - cpuBefore.receiver,
  odoo: cpuSeconds(isOdoo) - cpuBefore.odoo,
  postgres: cpuSeconds(isPostgres) - cpuBefore.postgres,
};
const perK = (x: number) => ((x * 1e6) / Math.max(1, sc.delivered)).toFixed(0);
const wall = sc.delivered / sc.rate;
console.log(`sidecar (${env.BENCH_BATCH ? `batched, ${env.BENCH_BATCH} events per request` : "immediate, one request per event"}, claim batch ${env.ODC_CLAIM_BATCH ?? 1000}): ${sc.rate.toFixed(0)} events/s end to end (claimed, delivered signed, recorded) over ${sc.delivered}; outbox: ${counts()}`);
console.log(
  `CPU during the drain (${wall.toFixed(1)} s wall, ${(Object.values(cpu).reduce((a, b) => a + b, 0) / wall).toFixed(2)} cores busy on average): ` +
    Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(1)} s (${perK(v)} ms per 1,000 events)`).join(", "),
);
const r = await receiver.stop();
console.log(`receiver: accepted ${r.accepted} (unique ${r.unique}), bad signatures ${r.rejected}, TCP connections ${r.connections}`);
console.log(`RATIO sidecar/naive = ${(sc.rate / naive).toFixed(1)}x`);
process.exit(0);
