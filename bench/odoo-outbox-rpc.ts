/**
 * Odoo's own side of a drain, alone: claim_batch + record_results (delivered) in batches of
 * BATCH against a real Odoo 18 (scripts/odoo-serve.sh), no partner, no sidecar store. This is
 * the ceiling any relay can reach against that Odoo. Seeds rows like bench/real-odoo.ts.
 *
 *   set -a; . <env file printed by odoo-serve.sh>; set +a; npx tsx bench/odoo-outbox-rpc.ts
 */
import { spawnSync } from "node:child_process";
import { OdooClient } from "../sidecar/src/odoo/client.ts";
import { OdooOutbox } from "../sidecar/src/odoo/outbox.ts";

const env = process.env;
const N = Number(env.BENCH_EVENTS ?? 20_000);
const psql = (sql: string) => {
  const r = spawnSync("psql", ["-h", "127.0.0.1", "-U", env.PGUSER ?? "root", "-d", env.ODOO_DB!, "-v", "ON_ERROR_STOP=1", "-tAq"], { input: sql, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};
const offset = Number(psql(`SELECT coalesce(max(subject_id), 10000000) FROM connector_outbox WHERE partner_code = 'BENCH'`));
psql(`UPDATE connector_outbox SET state = 'cancelled' WHERE state IN ('pending', 'leased', 'failed');
  WITH t AS (SELECT payload, company_id FROM connector_outbox WHERE event_type = 'purchase_order.confirmed' ORDER BY id LIMIT 1)
  INSERT INTO connector_outbox (subject_id, sequence, attempts, company_id, event_uuid, event_type, subject_model, subject_ref, partner_code, state, payload, replay, create_date, write_date)
  SELECT ${offset} + n, 1, 0, t.company_id, gen_random_uuid()::text, 'purchase_order.confirmed', 'purchase.order', 'BENCH' || n, 'BENCH', 'pending',
         jsonb_set(t.payload, '{subject,id}', to_jsonb(${offset} + n)), false, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
    FROM generate_series(1, ${N}) n, t;`);
psql(`UPDATE connector_outbox SET payload = jsonb_set(payload, '{id}', to_jsonb(event_uuid)) WHERE state = 'pending'`);
// This machine's PostgreSQL runs with autovacuum off; a production one vacuums and analyzes
// the outbox as it goes (the addon sets aggressive thresholds on the table).
psql(`VACUUM ANALYZE connector_outbox`);
const odoo = new OdooClient({ url: env.ODOO_URL!, db: env.ODOO_DB!, login: env.ODOO_USER!, apiKey: env.ODOO_API_KEY!, concurrency: 2 });
const outbox = new OdooOutbox(odoo);
for (const batch of (env.BATCHES ?? "500,1000").split(",").map(Number)) {
  psql(`UPDATE connector_outbox SET state = 'pending', lease_until = NULL WHERE partner_code = 'BENCH' AND subject_id > ${offset}`);
  psql(`VACUUM ANALYZE connector_outbox`);
  let claimMs = 0;
  let recordMs = 0;
  let done = 0;
  const t0 = performance.now();
  for (;;) {
    let t = performance.now();
    const { events } = await outbox.claimBatch(batch, 120);
    claimMs += performance.now() - t;
    if (events.length === 0) break;
    t = performance.now();
    await outbox.recordResults(events.map((e) => ({ event_id: e.event.id, state: "delivered", partner: "BENCH", attempts: 1, error: null, at: new Date().toISOString() })));
    recordMs += performance.now() - t;
    done += events.length;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ bench: "odoo-outbox-rpc", batch, rows: done, rows_per_s: Math.round(done / s), claim_ms_per_1000: Math.round((claimMs / done) * 1000), record_ms_per_1000: Math.round((recordMs / done) * 1000) }));
}
