/**
 * Staff at work while the sidecar records results, in a real Odoo 18 (run by
 * scripts/odoo-staff-load.sh, which serves the database and greps Odoo's log afterwards):
 * STAFF_POS (default 50) purchase orders confirmed and their receipts validated one after the
 * other, and STAFF_DELIVERIES (20) delivery orders validated in between, through JSON-RPC as
 * a person would, while the real sidecar claims, delivers to a loopback partner and records
 * the results. Each receipt is validated right after its order's confirmation: the moment the
 * sidecar records that order's delivery. Exit 0 when every event of these documents was
 * delivered and recorded.
 *
 * STAFF_SIDECAR_DOWN=1 runs the same with the sidecar down while staff work; it starts after.
 *
 * Needs ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY (the integration user), ODOO_ADMIN_PASSWORD
 * (default "admin"), SIDECAR_PORT and NUDGE_SECRET (as given to odoo-serve.sh).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { OdooClient } from "../../sidecar/src/odoo/client.ts";
import { Sidecar } from "../../sidecar/src/service.ts";
import { PartnerReceiver } from "../simulator/partner.ts";
import { logistics } from "./logistics.ts";
import { PARTNER_SECRET, required, run } from "./run.ts";


async function main(): Promise<number> {
  const url = required("ODOO_URL");
  const db = required("ODOO_DB");
  const orders = Number(process.env.STAFF_POS ?? "50");
  const deliveries = Number(process.env.STAFF_DELIVERIES ?? "20");
  const admin = new OdooClient({ url, db, login: process.env.ODOO_ADMIN_LOGIN ?? "admin", apiKey: process.env.ODOO_ADMIN_PASSWORD ?? "admin", retries: 1 });
  const run = Date.now().toString(36).toUpperCase();
  const supplierCode = `LOAD-SUP-${run}`;
  const carrierCode = `LOAD-CAR-${run}`;

  const partner = new PartnerReceiver([PARTNER_SECRET]);
  await partner.start();
  const dir = mkdtempSync(join(tmpdir(), "odc-staff-"));
  const env = loadEnv({ ...process.env, ODC_PARTNERS_FILE: "(inline)", ODC_DB_PATH: join(dir, "store.sqlite"), ODC_PORT: required("SIDECAR_PORT"), ODC_NUDGE_SECRET: required("NUDGE_SECRET"), ODC_LOG_LEVEL: process.env.ODC_LOG_LEVEL ?? "warn", ODC_POLL_INTERVAL_MS: "1000" });
  const partners = parsePartners(
    {
      partners: [
        { code: supplierCode, endpoint: `${partner.url}/supplier`, signing_secrets: ["env:S"], subscriptions: { event_types: ["purchase_order.confirmed", "purchase_order.changed", "receipt.validated"] } },
        { code: carrierCode, endpoint: `${partner.url}/carrier`, signing_secrets: ["env:S"], subscriptions: { event_types: ["shipment.ready", "shipment.dispatched"] } },
      ],
    },
    { S: PARTNER_SECRET },
  );
  const sidecar = new Sidecar({ env, partners, log: createLogger(env.ODC_LOG_LEVEL) });
  // STAFF_SIDECAR_DOWN=1: staff work while no sidecar listens (every commit's nudge fails), and
  // the sidecar starts only afterwards: the rows waited in Odoo and are all delivered then.
  const downFirst = process.env.STAFF_SIDECAR_DOWN === "1";
  if (!downFirst) await sidecar.start();

  const shop = await logistics(admin, "Load", run, { supplier: supplierCode, carrier: carrierCode });
  const { vendorId, productId, validate } = shop;

  const started = Date.now();
  const poIds: number[] = [];
  const pickingIds: number[] = [];
  const every = Math.max(1, Math.floor(orders / Math.max(1, deliveries)));
  let delivered = 0;
  for (let i = 0; i < orders; i++) {
    const poId = await admin.execute<number>("purchase.order", "create", [{ partner_id: vendorId, order_line: [[0, 0, { product_id: productId, product_qty: 3, price_unit: 99 }]] }]);
    await admin.execute("purchase.order", "button_confirm", [[poId]]);
    poIds.push(poId);
    const [po] = await admin.execute<{ picking_ids: number[] }[]>("purchase.order", "read", [[poId]], { fields: ["picking_ids"] });
    for (const receiptId of po!.picking_ids) {
      await validate(receiptId, `receipt of PO ${poId}`);
      pickingIds.push(receiptId);
    }
    if (delivered < deliveries && (i + 1) % every === 0) {
      const pickingId = await shop.deliveryOrder(2);
      await admin.execute("stock.picking", "action_assign", [[pickingId]]);
      await validate(pickingId, `delivery order ${pickingId}`);
      pickingIds.push(pickingId);
      delivered++;
    }
  }
  const staffMs = Date.now() - started;
  console.log(`staff: ${orders} POs confirmed and received, ${delivered} delivery orders validated in ${(staffMs / 1000).toFixed(1)} s${downFirst ? " with the sidecar down" : ""}`);
  if (downFirst) {
    await sidecar.start();
    console.log("sidecar started");
  }

  type Row = { event_uuid: string; state: string; event_type: string };
  const domain = ["|", "&", ["subject_model", "=", "purchase.order"], ["subject_id", "in", poIds], "&", ["subject_model", "=", "stock.picking"], ["subject_id", "in", pickingIds]];
  const readRows = () => admin.execute<Row[]>("connector.outbox", "search_read", [domain], { fields: ["event_uuid", "state", "event_type"] });
  let rows: Row[] = [];
  const deadline = Date.now() + 120_000;
  do {
    await new Promise((r) => setTimeout(r, 500));
    rows = await readRows();
  } while (rows.some((r) => r.state !== "delivered") && Date.now() < deadline);
  const byType: Record<string, string> = {};
  for (const type of [...new Set(rows.map((r) => r.event_type))].sort()) {
    const of = rows.filter((r) => r.event_type === type);
    byType[type] = `${of.filter((r) => r.state === "delivered").length}/${of.length}`;
  }
  const received = new Set(partner.accepted.map((e) => e.webhookId));
  const missing = rows.filter((r) => !received.has(r.event_uuid)).length;
  const [sent] = await admin.execute<{ connector_supplier_status: string | false }[]>("purchase.order", "read", [[poIds[0]!]], { fields: ["connector_supplier_status"] });
  console.log(`outbox delivered by type: ${JSON.stringify(byType)}; not received by the partner: ${missing}; first PO's vendor status: ${sent!.connector_supplier_status}`);
  const ok = rows.length > 0 && rows.every((r) => r.state === "delivered") && missing === 0 && delivered === deliveries;
  await sidecar.stop(1_000);
  await partner.stop();
  rmSync(dir, { recursive: true, force: true });
  return ok ? 0 : 1;
}

run(main);
