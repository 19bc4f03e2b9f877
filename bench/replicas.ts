/**
 * Drain throughput with several replicas on PostgreSQL, against one replica on SQLite and the
 * naive relay, in one run against one Odoo: a real Odoo 18 when ODOO_URL and ODOO_DB name one
 * (scripts/odoo-bench-replicas.sh serves it and sets them), the Odoo simulator otherwise (the
 * latency model of bench/drain.ts). Each configuration drains its own N events committed at
 * once; PostgreSQL runs get a fresh store database each (127.0.0.1:5432, as the tests).
 *
 *   npx tsx bench/replicas.ts
 *   REPLICAS_BENCH_EVENTS=10000 REPLICAS_BENCH_COUNTS=1,2,3 npx tsx bench/replicas.ts
 *   ODOO_HOME=... bash scripts/odoo-bench-replicas.sh
 *
 * Prints one JSON line with the figures.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createTestDatabase } from "../test/support/pg.ts";
import { freePort, spawnSidecar, spawnSimulator, writePartnersFile, type SidecarProcess } from "../test/support/processes.ts";
import { runNaiveRelay } from "./naive-relay.ts";
import { seedOutbox } from "./support/odoo-seed.ts";

const EVENTS = Number(process.env.REPLICAS_BENCH_EVENTS ?? 10_000);
const PER_SUBJECT = Number(process.env.DRAIN_PER_SUBJECT ?? 5);
const NAIVE_EVENTS = Number(process.env.NAIVE_EVENTS ?? 500);
const COUNTS = (process.env.REPLICAS_BENCH_COUNTS ?? "1,2,3").split(",").map(Number);
const LATENCY = { baseMs: Number(process.env.ODOO_BASE_MS ?? 10), perRowMs: Number(process.env.ODOO_PER_ROW_MS ?? 0.08) };
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NUDGE_SECRET = "nudge-secret-for-benchmarks-0123456789";

interface Progress {
  outbox: Record<string, number> & { total: number };
}

/** The real Odoo the sidecars and the naive relay use, or null for the simulator's. */
const REAL = process.env.ODOO_URL && process.env.ODOO_DB && process.env.ODOO_API_KEY ? { url: process.env.ODOO_URL, db: process.env.ODOO_DB, login: process.env.ODOO_USER ?? "connector", apiKey: process.env.ODOO_API_KEY } : null;

/**
 * Where the events come from and how many are delivered: the simulator's control API, or
 * rows written into the real Odoo's outbox and counted there (one connection, every 50 ms).
 */
function outboxOf(sim: Awaited<ReturnType<typeof spawnSimulator>>) {
  if (!REAL) {
    return {
      odoo: sim.ready.odoo,
      seed: async (vendorCode: string, count: number, nudge: boolean) => {
        const base = (await sim.get<Progress>("/control/progress")).outbox.delivered ?? 0;
        await sim.post("/control/seed", { vendorCode, count, subjects: Math.ceil(count / PER_SUBJECT), nudge });
        return async () => ((await sim.get<Progress>("/control/progress")).outbox.delivered ?? 0) - base;
      },
      close: async () => {},
    };
  }
  const sql = postgres({ host: process.env.PGHOST ?? "127.0.0.1", username: process.env.PGUSER ?? "root", database: REAL.db, max: 1, onnotice: () => {} });
  return {
    odoo: REAL,
    seed: async (vendorCode: string, count: number) => {
      const after = seedOutbox(REAL.db, { count, partnerCode: vendorCode, perSubject: PER_SUBJECT });
      return async () => (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM connector_outbox WHERE id > ${after} AND state = 'delivered'`)[0]!.n;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "odc-bench-replicas-"));
  const load = loadavg()[0]!;
  const ports = await Promise.all(Array.from({ length: Math.max(...COUNTS) }, () => freePort()));
  const sim = await spawnSimulator({
    odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl: `http://127.0.0.1:${ports[0]}`, latency: LATENCY },
    partners: [{ code: "WOODCORNER", secrets: [SECRET] }, { code: "NAIVE", secrets: [SECRET] }],
  });
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
  const runs: Record<string, unknown>[] = [];
  const outbox = outboxOf(sim);
  // The sidecars reach the Odoo the events are in (the simulator then only plays the partners).
  const ready = { ...sim.ready, odoo: outbox.odoo };
  try {
    await outbox.seed("NAIVE", NAIVE_EVENTS, false);
    const naive = await runNaiveRelay({ odoo: outbox.odoo, partnerUrl: `${sim.ready.partners.NAIVE}/webhooks`, secret: SECRET, count: NAIVE_EVENTS });
    const naiveRate = (naive.events / naive.ms) * 1000;

    const drain = async (label: string, replicas: number, env: (i: number) => Record<string, string>) => {
      const procs: SidecarProcess[] = [];
      for (let i = 0; i < replicas; i++) {
        mkdirSync(join(dir, `${label}-${i}`), { recursive: true });
        procs.push(await spawnSidecar({ sim: ready, port: ports[i]!, dbPath: join(dir, `${label}-${i}`, "store.sqlite"), partnersFile, nudgeSecret: NUDGE_SECRET, logFile: join(dir, `${label}-${i}.log`), env: { PARTNER_SECRET: SECRET, ODC_POLL_INTERVAL_MS: REAL ? "200" : "1000", ...env(i) } }));
      }
      const started = performance.now();
      const delivered = await outbox.seed("WOODCORNER", EVENTS, true);
      for (;;) {
        const n = await delivered();
        if (n >= EVENTS) break;
        if (performance.now() - started > 600_000) throw new Error(`${label} stalled: ${n} of ${EVENTS} delivered`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const ms = performance.now() - started;
      await Promise.all(procs.map((p) => p.kill("SIGTERM")));
      const rate = (EVENTS / ms) * 1000;
      runs.push({ store: label, replicas, events: EVENTS, ms: Math.round(ms), events_per_s: Math.round(rate), ratio_to_naive: Math.round((rate / naiveRate) * 10) / 10, load_1m: Math.round(loadavg()[0]! * 100) / 100 });
    };

    await drain("sqlite", 1, () => ({}));
    for (const n of COUNTS) {
      const db = await createTestDatabase();
      if (!db) throw new Error("no PostgreSQL at 127.0.0.1:5432");
      try {
        await drain(`postgresql-${n}`, n, () => ({ ODC_DATABASE_URL: db.url }));
      } finally {
        await db.drop();
      }
    }
    console.log(
      JSON.stringify({
        bench: "replicas",
        machine: { cpus: cpus().length, node: process.version, load_1m_at_start: Math.round(load * 100) / 100 },
        odoo: REAL ? `real Odoo 18 at ${REAL.url} (database ${REAL.db})` : { simulator: LATENCY },
        events_per_subject: PER_SUBJECT,
        naive: { events: naive.events, ms: Math.round(naive.ms), events_per_s: Math.round(naiveRate * 10) / 10 },
        runs,
      }),
    );
  } finally {
    await outbox.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
