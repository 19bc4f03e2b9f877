import { join } from "node:path";
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { projectRoot } from "../../lib/paths.ts";

export type Pg = postgres.Sql;

/**
 * The database's clock in epoch ms, as of the statement's start, for SQL text (`sql.unsafe`):
 * leases and the partners' gates never depend on a replica's clock (and one value per
 * statement lets the planner use it).
 */
export const DB_NOW = "(extract(epoch from statement_timestamp()) * 1000)::bigint";

const migrationsFolder = join(projectRoot, "sidecar/migrations-pg");
/** pg_advisory_lock key of the migrations: replicas starting together migrate one after the other. */
const MIGRATION_LOCK = 0x6f6463_01;

export interface PgStoreOptions {
  /** Connections of this replica's pool (ODC_DATABASE_POOL). */
  max?: number;
  /** Application name PostgreSQL shows in pg_stat_activity. */
  applicationName?: string;
}

/**
 * Connects to the PostgreSQL store (ODC_DATABASE_URL) with a bounded pool and applies the
 * committed migrations (sidecar/migrations-pg) under an advisory lock, on a connection of its
 * own so the session lock and the migration share it.
 */
export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<Pg> {
  const common = { onnotice: () => {}, connection: { application_name: options.applicationName ?? "odc" } } as const;
  const one = postgres(url, { ...common, max: 1 });
  try {
    await one`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(drizzle(one), { migrationsFolder, migrationsSchema: "public", migrationsTable: "__drizzle_migrations" });
    } finally {
      await one`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    await one.end({ timeout: 5 });
  }
  return postgres(url, {
    ...common,
    max: options.max ?? 5,
    idle_timeout: 60,
    // int8 (bigint columns, count(*), sums) comes back as a number: epoch ms, ids and counts are all below 2^53.
    types: { int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
  });
}

/**
 * The two background timers of a shared store (deliveries, inbound documents): lease
 * renewal every third of the lease, and the counts read for /metrics and health every
 * `countsEveryMs` (0: never; one read at once otherwise). Neither keeps the process alive.
 */
export interface StoreTimers {
  stop(): void;
}

export function startStoreTimers(options: { leaseMs: number; renew: () => Promise<unknown>; countsEveryMs: number; refreshCounts: () => Promise<unknown> }): StoreTimers {
  const renew = setInterval(() => void options.renew(), Math.max(100, Math.floor(options.leaseMs / 3)));
  renew.unref();
  let counts: NodeJS.Timeout | null = null;
  if (options.countsEveryMs > 0) {
    void options.refreshCounts();
    counts = setInterval(() => void options.refreshCounts(), options.countsEveryMs);
    counts.unref();
  }
  return {
    stop() {
      clearInterval(renew);
      if (counts) clearInterval(counts);
    },
  };
}
