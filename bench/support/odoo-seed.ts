/**
 * Pending outbox rows for benchmarks against a real Odoo 18 (the database of
 * scripts/odoo-serve.sh), written with psql: each a clone of a real purchase_order.confirmed
 * payload (test/real-odoo/e2e.ts leaves one), with its own event id, subject and sequence.
 */
import { spawnSync } from "node:child_process";

const pgArgs = (db: string) => ["-h", process.env.PGHOST ?? "127.0.0.1", "-U", process.env.PGUSER ?? "root", "-d", db, "-v", "ON_ERROR_STOP=1", "-tAq"];

/** Runs SQL in the Odoo database; psql variables (`:name`) are passed with -v, never spliced in. */
export function psql(db: string, sql: string, vars: Record<string, string | number> = {}): string {
  const args = [...pgArgs(db), ...Object.entries(vars).flatMap(([k, v]) => ["-v", `${k}=${v}`])];
  const r = spawnSync("psql", args, { input: sql, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Cancels what earlier runs left pending, then commits `count` pending rows for the vendor
 * `partnerCode` at once, `perSubject` consecutive sequences per purchase order. Returns the
 * id the new rows start after.
 */
export function seedOutbox(db: string, options: { count: number; partnerCode: string; perSubject?: number }): number {
  const per = options.perSubject ?? 1;
  const offset = Number(psql(db, `SELECT coalesce(max(subject_id), 10000000) FROM connector_outbox WHERE subject_id >= 10000000`));
  const firstId = Number(psql(db, `SELECT coalesce(max(id), 0) FROM connector_outbox`));
  psql(
    db,
    `UPDATE connector_outbox SET state = 'cancelled' WHERE state IN ('pending', 'leased', 'failed');
     WITH t AS (SELECT payload, company_id FROM connector_outbox WHERE event_type = 'purchase_order.confirmed' AND subject_id < 10000000 ORDER BY id LIMIT 1),
          g AS (SELECT gen_random_uuid()::text AS u, n, :offset + 1 + (n - 1) / :per AS s, 1 + (n - 1) % :per AS q FROM generate_series(1, :count) n)
     INSERT INTO connector_outbox (subject_id, sequence, attempts, company_id, event_uuid, event_type, subject_model, subject_ref, partner_code, state, payload, replay, create_date, write_date)
     SELECT g.s, g.q, 0, t.company_id, g.u, 'purchase_order.confirmed', 'purchase.order', 'BENCH' || g.s, :'code', 'pending',
            jsonb_set(jsonb_set(jsonb_set(jsonb_set(t.payload, '{id}', to_jsonb(g.u)), '{subject,id}', to_jsonb(g.s)), '{sequence}', to_jsonb(g.q)), '{data,vendor,partner_code}', to_jsonb(:'code'::text)),
            false, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
       FROM g, t ORDER BY g.n;`,
    { count: options.count, offset, per, code: options.partnerCode },
  );
  // This machine's PostgreSQL runs with autovacuum off; a production one vacuums and analyzes
  // the outbox as it goes (the addon sets aggressive thresholds on the table).
  psql(db, `VACUUM ANALYZE connector_outbox`);
  return firstId;
}
