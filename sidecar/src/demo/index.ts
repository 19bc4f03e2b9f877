/**
 * `npm run demo`: the whole relay on its embedded SQLite store, against the bundled Odoo
 * simulator and a simulated supplier on loopback. Approves a handful of purchase orders,
 * narrates each event's path as it happens, prints a summary, exits 0 when every event was
 * delivered and recorded in Odoo (1 otherwise).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../config/env.ts";
import { parsePartners } from "../config/partners.ts";
import { createLogger, stdoutDestination } from "../lib/logger.ts";
import { Sidecar } from "../service.ts";
import { OdooSimulator } from "../../../test/simulator/odoo.ts";
import { PartnerReceiver } from "../../../test/simulator/partner.ts";

const NUDGE_SECRET = "demo-nudge-secret-0123456789abcdef";
const SUPPLIER_SECRET = "whsec_ZGVtby1zdXBwbGllci1zZWNyZXQtMDEyMzQ1Njc4OQ==";
const started = Date.now();
const t = () => `+${String(Date.now() - started).padStart(5)} ms`;
const say = (line: string) => process.stdout.write(`${t()}  ${line}\n`);

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "odc-demo-"));
  const odoo = new OdooSimulator({ db: "demo", nudgeSecret: NUDGE_SECRET, latency: { baseMs: 8, perRowMs: 0.1 } });
  await odoo.start();
  // The supplier refuses the very first request with 503 + Retry-After, to show a durable retry.
  const supplier = new PartnerReceiver([SUPPLIER_SECRET], (n) => (n === 0 ? { status: 503, headers: { "retry-after": "1" }, body: "maintenance" } : null));
  await supplier.start();
  say(`Odoo simulator on ${odoo.url} (database "${odoo.db}"), supplier WOODCORNER on ${supplier.url}`);

  const env = loadEnv(odoo.sidecarSettings(NUDGE_SECRET, join(dir, "odc.sqlite"), { ODC_POLL_INTERVAL_MS: "2000", ODC_LOG_LEVEL: process.env.ODC_LOG_LEVEL ?? "warn" }));
  const partners = parsePartners(
    {
      partners: [
        {
          code: "WOODCORNER",
          name: "Wood Corner (supplier)",
          endpoint: `${supplier.url}/webhooks/odoo`,
          signing_secrets: ["env:SUPPLIER_SECRET"],
          subscriptions: { event_types: ["purchase_order.confirmed"] },
          limits: { concurrency: 2, rate: { requests: 10, per_ms: 1000 } },
          retry: { schedule_ms: [500, 2_000, 10_000] },
        },
      ],
    },
    { SUPPLIER_SECRET },
  );
  const refs = new Map<string, string>();
  /** Events whose final result the sidecar has seen Odoo accept. */
  const recorded = new Set<string>();
  const sidecar = new Sidecar({
    env,
    partners,
    log: createLogger(env.ODC_LOG_LEVEL, stdoutDestination(env.ODC_LOG_SYNC)),
    observer: {
      claimed: (events) => say(`sidecar  claimed ${events.length} event(s) from the outbox: ${events.map((e) => e.event.subject.ref).join(", ")}`),
      attempted: (partner, row, outcome, final) => {
        const ref = refs.get(row.eventId) ?? row.eventId;
        if (outcome.ok) say(`sidecar  ${ref} -> ${partner}: HTTP ${outcome.status}, signature verified by the supplier (webhook-id ${row.eventId.slice(0, 8)}...)`);
        else say(`sidecar  ${ref} -> ${partner}: ${outcome.message} (${outcome.errorClass}); ${final === "dead" ? "dead" : "retry scheduled"}`);
      },
      reported: (results) => {
        for (const r of results) if (r.state === "delivered" || r.state === "dead") recorded.add(r.event_id);
        say(`sidecar  recorded ${results.length} result(s) in Odoo in one call: ${results.map((r) => `${refs.get(r.event_id)}=${r.state}`).join(", ")}`);
      },
    },
  });
  const port = await sidecar.start();
  odoo.sidecarUrl = `http://127.0.0.1:${port}`;
  say(`sidecar listening on ${odoo.sidecarUrl} (store ${env.ODC_DB_PATH})`);

  const vendor = odoo.addVendor("Wood Corner", "WOODCORNER", "BE0477472701");
  const catalogue = [
    { product_code: "FURN_7800", vendor_product_code: "WC-DESK-CMB", description: "[FURN_7800] Desk Combination", uom: "C62", unit_price: 450 },
    { product_code: "FURN_8220", vendor_product_code: "WC-CHAIR-4", description: "[FURN_8220] Four Person Desk", uom: "C62", unit_price: 2350 },
    { product_code: "PANEL_OAK", vendor_product_code: null, description: "Wood panel, oak", uom: "KGM", unit_price: 10 },
  ];
  const rows = [];
  for (let i = 0; i < 5; i++) {
    const po = odoo.addPurchaseOrder(vendor.id, catalogue.slice(0, 1 + (i % 3)).map((p, j) => ({ ...p, quantity: 1 + i + j * 2.5 })));
    const row = odoo.approve(po.id);
    refs.set(row.event_uuid, po.name);
    rows.push(row);
    say(`odoo     ${po.name} approved (${po.lines.length} line(s)): outbox row ${row.id} written in the same transaction; nudge sent after commit`);
    await new Promise((r) => setTimeout(r, 150));
  }

  const deadline = Date.now() + 20_000;
  while (rows.some((r) => !recorded.has(r.event_uuid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

  process.stdout.write("\nsummary\n");
  process.stdout.write("  PO      outbox state  partner     attempts  webhook-id\n");
  for (const row of rows) {
    const delivery = sidecar.store.db.$client.prepare("select partner, attempts from deliveries where event_id = ?").get(row.event_uuid) as { partner: string; attempts: number } | undefined;
    process.stdout.write(`  ${row.subject_ref}  ${row.state.padEnd(12)}  ${(delivery?.partner ?? "-").padEnd(10)}  ${String(delivery?.attempts ?? 0).padStart(8)}  ${row.event_uuid}\n`);
  }
  const delivered = rows.filter((r) => r.state === "delivered").length;
  const received = supplier.uniqueIds.size;
  process.stdout.write(
    `\n  ${delivered}/${rows.length} delivered and recorded in Odoo; the supplier accepted ${received} distinct event(s) in ${supplier.arrivals.length} request(s) (${supplier.rejectedSignatures} bad signatures); nudges sent ${odoo.nudgesSent}\n`,
  );

  await sidecar.stop(1_000);
  await supplier.stop();
  await odoo.stop();
  rmSync(dir, { recursive: true, force: true });
  return delivered === rows.length && received === rows.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
