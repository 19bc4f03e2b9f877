import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { projectRoot } from "../../lib/paths.ts";
import { openPgStore, type Pg } from "../../store/pg/db.ts";
import { PgDeliveryStore } from "./store.ts";
import { PgPartnerState, PgPauses } from "./partners.ts";

export { PgDeliveryStore } from "./store.ts";
export { PgPartnerState, PgPauses } from "./partners.ts";

/** pg_advisory_lock namespace of replica identities (the second key is a hash of the consumer id). */
const REPLICA_LOCK_SPACE = 0x6f6463;

/** Everything several replicas share on PostgreSQL: deliveries, the partners' gates and breakers, pauses. */
export interface SharedStore {
  sql: Pg;
  replica: string;
  deliveries: PgDeliveryStore;
  partnerState: PgPartnerState;
  pauses: PgPauses;
  /** For /readyz: a write rolled back, and every committed migration applied; throws why not. */
  check(): Promise<void>;
  close(): Promise<void>;
}

const pgMigrations = (): number =>
  (JSON.parse(readFileSync(join(projectRoot, "sidecar/migrations-pg/meta/_journal.json"), "utf8")) as { entries: unknown[] }).entries.length;

class RolledBack extends Error {}

export class ReplicaIdTaken extends Error {}

/**
 * Opens the shared store for the replica `replica` (its consumer id). The id is held by a
 * session advisory lock for the replica's life (PostgreSQL lets it go when the connection
 * does, a SIGKILL included): a second replica started with the same id refuses to start,
 * since two replicas under one id would take each other's leases.
 */
export async function openShared(url: string, replica: string, log: Logger, options: { pool: number; deliveryLeaseMs: number; identityWaitMs?: number; onResumed?: (partner: string) => void }): Promise<SharedStore> {
  const sql = await openPgStore(url, { max: options.pool, applicationName: `odc ${replica}`.slice(0, 63) });
  const identity = await sql.reserve();
  // A replica restarted right after a SIGKILL may find its old session still letting go of the lock: a few seconds' grace.
  let held: { ok: boolean } | undefined;
  for (const until = Date.now() + (options.identityWaitMs ?? 10_000); ; await new Promise((r) => setTimeout(r, 200))) {
    [held] = await identity<{ ok: boolean }[]>`SELECT pg_try_advisory_lock(${REPLICA_LOCK_SPACE}, hashtext(${replica})) AS ok`;
    if (held?.ok || Date.now() > until) break;
  }
  if (!held?.ok) {
    identity.release();
    await sql.end({ timeout: 5 });
    throw new ReplicaIdTaken(`another replica is running with the consumer id ${replica}: give each replica its own ODC_CONSUMER_ID (or ODC_DB_PATH)`);
  }
  // The identity's connection, idle otherwise, also carries the lease and hold renewals: they never queue behind the pool.
  const keeper = identity as unknown as Pg;
  const deliveries = new PgDeliveryStore(sql, replica, log, { leaseMs: options.deliveryLeaseMs, keeper });
  const partnerState = new PgPartnerState(sql, replica, log, keeper);
  const pauses = await PgPauses.open(sql, log, (partner, paused) => {
    if (!paused) options.onResumed?.(partner);
  });
  return {
    sql,
    replica,
    deliveries,
    partnerState,
    pauses,
    async check() {
      try {
        await sql.begin(async (tx) => {
          await tx`INSERT INTO partner_pauses (partner, paused_at, paused_by) VALUES ('(readyz)', 0, 'readyz') ON CONFLICT DO NOTHING`;
          throw new RolledBack();
        });
      } catch (err) {
        if (!(err instanceof RolledBack)) throw err;
      }
      const [m] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM __drizzle_migrations`;
      const expected = pgMigrations();
      if ((m?.n ?? 0) < expected) throw new Error(`migrations: ${m?.n ?? 0} of ${expected} applied`);
    },
    async close() {
      partnerState.close();
      pauses.close();
      await deliveries.close();
      identity.release();
      await sql.end({ timeout: 5 });
    },
  };
}
