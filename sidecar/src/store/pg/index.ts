import type { Logger } from "pino";
import { openPgStore, type Pg } from "./db.ts";
import { PgDeliveryStore } from "./deliveries.ts";
import { PgPartnerState, PgPauses } from "./partners.ts";

export { openPgStore, type Pg } from "./db.ts";
export { PgDeliveryStore } from "./deliveries.ts";
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
  close(): Promise<void>;
}

export class ReplicaIdTaken extends Error {}

/**
 * Opens the shared store for the replica `replica` (its consumer id). The id is held by a
 * session advisory lock for the replica's life (PostgreSQL lets it go when the connection
 * does, a SIGKILL included): a second replica started with the same id refuses to start,
 * since two replicas under one id would take each other's leases.
 */
export async function openShared(url: string, replica: string, log: Logger, options: { pool: number; deliveryLeaseMs: number; onResumed?: (partner: string) => void }): Promise<SharedStore> {
  const sql = await openPgStore(url, { max: options.pool, applicationName: `odc ${replica}`.slice(0, 63) });
  const identity = await sql.reserve();
  const [held] = await identity<{ ok: boolean }[]>`SELECT pg_try_advisory_lock(${REPLICA_LOCK_SPACE}, hashtext(${replica})) AS ok`;
  if (!held?.ok) {
    identity.release();
    await sql.end({ timeout: 5 });
    throw new ReplicaIdTaken(`another replica is running with the consumer id ${replica}: give each replica its own ODC_CONSUMER_ID (or ODC_DB_PATH)`);
  }
  const deliveries = new PgDeliveryStore(sql, replica, log, { leaseMs: options.deliveryLeaseMs });
  const partnerState = new PgPartnerState(sql, replica, log);
  const pauses = await PgPauses.open(sql, log, (partner, paused) => {
    if (!paused) options.onResumed?.(partner);
  });
  return {
    sql,
    replica,
    deliveries,
    partnerState,
    pauses,
    async close() {
      partnerState.close();
      pauses.close();
      await deliveries.close();
      identity.release();
      await sql.end({ timeout: 5 });
    },
  };
}
