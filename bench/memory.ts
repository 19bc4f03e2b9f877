/**
 * Sidecar memory with a large backlog waiting: MEMORY_EVENTS events (default 100,000) are
 * committed at once while the partner is down (every request answers 503, so the circuit
 * opens and nothing is delivered); the real sidecar process claims and stores all of them.
 * Its resident memory (VmRSS from /proc/<pid>/status) is sampled while it claims and for
 * MEMORY_HOLD_MS after, with the backlog waiting. Wanted: at most 150 MB.
 *
 *   npx tsx bench/memory.ts
 *   MEMORY_EVENTS=100000 MEMORY_PER_SUBJECT=5 MEMORY_HOLD_MS=20000 MEMORY_RUNNER=tsx,bundle npx tsx bench/memory.ts
 *
 * Two runners, one JSON line each: `tsx` starts `node bin/odc.mjs serve` (the sources through
 * the tsx loader, as `npm start` does); `bundle` runs the same sources compiled by esbuild.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, freePort, rssBytes, spawnSidecar, spawnSimulator, writePartnersFile } from "../test/support/processes.ts";

const EVENTS = Number(process.env.MEMORY_EVENTS ?? 100_000);
const PER_SUBJECT = Number(process.env.MEMORY_PER_SUBJECT ?? 5);
const HOLD_MS = Number(process.env.MEMORY_HOLD_MS ?? 20_000);
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NUDGE_SECRET = "nudge-secret-for-benchmarks-0123456789";
const MB = 1024 * 1024;

/**
 * `bundle`: the same sources compiled ahead of time by esbuild (as a deployment would ship
 * them), laid out so the migrations and contracts resolve as from the sources. Without the
 * in-process tsx loader (which runs its hooks in a second V8 isolate).
 */
function buildBundle(dir: string): string[] | null {
  const esbuild = join(ROOT, "node_modules/.bin/esbuild");
  if (!existsSync(esbuild)) return null;
  const storeDir = join(dir, "bundle/sidecar/src/store");
  mkdirSync(storeDir, { recursive: true });
  symlinkSync(join(ROOT, "sidecar/migrations"), join(dir, "bundle/sidecar/migrations"));
  symlinkSync(join(ROOT, "contracts"), join(dir, "bundle/contracts"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "bundle/node_modules"));
  const out = join(storeDir, "odc.mjs");
  const built = spawnSync(esbuild, [join(ROOT, "sidecar/src/cli.ts"), "--bundle", "--platform=node", "--format=esm", "--packages=external", `--outfile=${out}`, "--log-level=error"], { stdio: "inherit" });
  if (built.status !== 0) return null;
  const entry = join(storeDir, "run.mjs");
  writeFileSync(entry, 'import { main } from "./odc.mjs";\nprocess.exitCode = await main(process.argv.slice(2));\n');
  return [entry, "serve"];
}

/** `start`: exactly what `npm start` runs: the esbuild bundle in dist/ under plain node with the start script's flags. */
function startCommand(): string[] | null {
  const built = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  if (built.status !== 0) return null;
  const start = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
  const flags = start.split("&&").pop()!.trim().split(/\s+/).filter((t) => t.startsWith("--"));
  return [...flags, ...(process.env.MEMORY_NODE_FLAGS ?? "").split(" ").filter(Boolean), join(ROOT, "dist/odc.mjs"), "serve"];
}

async function measure(runner: string, dir: string): Promise<void> {
  const command = runner === "bundle" ? buildBundle(dir) : runner === "start" ? startCommand() : undefined;
  if (command === null) {
    console.log(JSON.stringify({ bench: "memory", runner, skipped: "esbuild not found or build failed" }));
    return;
  }
  const port = await freePort();
  const load = loadavg()[0]!;
  const sim = await spawnSimulator({
    odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl: `http://127.0.0.1:${port}` },
    partners: [{ code: "WOODCORNER", secrets: [SECRET], faults: { seed: 1, rate: 1, weights: { http_503: 1 } } }],
  });
  try {
    const partnersFile = join(dir, "partners.json");
    writePartnersFile(partnersFile, [
      {
        code: "WOODCORNER",
        endpoint: `${sim.ready.partners.WOODCORNER}/webhooks`,
        signing_secrets: ["env:PARTNER_SECRET"],
        subscriptions: { event_types: ["purchase_order.confirmed"] },
        limits: { concurrency: 16, rate: { requests: 1_000, per_ms: 1_000 }, timeout_ms: 10_000 },
      },
    ]);
    const dbPath = join(dir, `store-${runner}.sqlite`);
    // The whole backlog claimed into the store: the worst case for the sidecar's memory.
    const sidecar = await spawnSidecar({ sim: sim.ready, port, dbPath, partnersFile, nudgeSecret: NUDGE_SECRET, logFile: join(dir, "sidecar.log"), env: { PARTNER_SECRET: SECRET, ODC_MAX_BACKLOG: String(EVENTS * 2) }, ...(command ? { command } : {}) });
    const pid = sidecar.proc.pid!;
    await new Promise((r) => setTimeout(r, 1_000));
    const idle = (await rssBytes(pid)) ?? 0;
    const samples: { t: number; rss: number }[] = [];
    const sample = async () => {
      const rss = await rssBytes(pid);
      if (rss !== null) samples.push({ t: Date.now(), rss });
    };
    const timer = setInterval(() => void sample(), 100);
    const started = Date.now();
    await sim.post("/control/seed", { vendorCode: "WOODCORNER", count: EVENTS, subjects: Math.ceil(EVENTS / PER_SUBJECT) });
    // Claimed and stored: the sidecar's own count of deliveries waiting.
    let stored = 0;
    for (;;) {
      const res = await fetch(`${sidecar.url}/healthz`);
      const health = (await res.json()) as { deliveries: { pending: number } };
      stored = health.deliveries.pending;
      if (stored >= EVENTS) break;
      if (Date.now() - started > 600_000) throw new Error(`claiming stalled at ${stored}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const claimedAt = Date.now();
    await new Promise((r) => setTimeout(r, HOLD_MS));
    clearInterval(timer);
    await sample();
    const during = samples.filter((s) => s.t <= claimedAt);
    const waiting = samples.filter((s) => s.t > claimedAt);
    const state = await sim.get<{ outbox: Record<string, number>; partners: Record<string, { requests: number }> }>("/control/state");
    await sidecar.kill("SIGTERM");
    const mb = (n: number) => Math.round((n / MB) * 10) / 10;
    console.log(
      JSON.stringify({
        bench: "memory",
        runner: runner === "bundle" ? "bundle (esbuild, plain node)" : runner === "start" ? "npm start (dist/odc.mjs under plain node with the start script's flags)" : "tsx (node bin/odc.mjs serve)",
        machine: { cpus: cpus().length, node: process.version, load_1m_at_start: Math.round(load * 100) / 100 },
        events_waiting: stored,
        events_per_subject: PER_SUBJECT,
        claim_ms: claimedAt - started,
        rss_mb: {
          idle: mb(idle),
          peak_while_claiming: mb(Math.max(...during.map((s) => s.rss))),
          peak_while_waiting: mb(Math.max(...waiting.map((s) => s.rss))),
          end: mb(samples[samples.length - 1]!.rss),
        },
        limit_mb: 150,
        store_file_mb: mb(statSync(dbPath).size + (statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0)),
        partner_requests_while_down: state.partners.WOODCORNER!.requests,
        outbox: state.outbox,
      }),
    );
  } finally {
    await sim.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "odc-bench-memory-"));
  try {
    for (const runner of (process.env.MEMORY_RUNNER ?? "start,tsx").split(",")) await measure(runner.trim(), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
