/**
 * A document's whole life against a real Odoo 18 (run by scripts/odoo-e2e.sh, which serves the
 * database), as staff would live it through JSON-RPC while the real sidecar delivers:
 *
 * - a purchase order confirmed, its line's quantity changed, its planned date changed, then
 *   cancelled: the supplier receives purchase_order.confirmed, .changed, .changed, .cancelled,
 *   in that order, each with the content of that moment (the new quantity, the new date);
 * - a delivery order made ready (reserved) and then cancelled: the carrier receives
 *   shipment.ready then shipment.cancelled, in that order;
 * - several orders at once, so events of different subjects interleave while each subject's
 *   own stay in order.
 *
 * Exit 0 when every event of these documents is delivered and recorded in Odoo, arrived once
 * or more at the right partner, in sequence order per subject, with the expected content.
 *
 * Needs ODOO_URL, ODOO_DB, ODOO_ADMIN_PASSWORD (default "admin"), ODOO_USER and ODOO_API_KEY
 * (the integration user), SIDECAR_PORT and NUDGE_SECRET (as given to odoo-serve.sh).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { checkEvent } from "../../sidecar/src/contracts/validate.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { OdooClient } from "../../sidecar/src/odoo/client.ts";
import { Sidecar } from "../../sidecar/src/service.ts";
import { PartnerReceiver, type ReceivedEvent } from "../simulator/partner.ts";
import { logistics } from "./logistics.ts";
import { PARTNER_SECRET, required, run } from "./run.ts";

type Canonical = { id: string; type: string; sequence: number; subject: { model: string; id: number; ref: string }; data: Record<string, unknown> };

async function main(): Promise<number> {
  const url = required("ODOO_URL");
  const db = required("ODOO_DB");
  const orders = Number(process.env.LIFECYCLE_POS ?? "5");
  const admin = new OdooClient({ url, db, login: process.env.ODOO_ADMIN_LOGIN ?? "admin", apiKey: process.env.ODOO_ADMIN_PASSWORD ?? "admin", retries: 1 });
  const tag = Date.now().toString(36).toUpperCase();
  const supplierCode = `LIFE-SUP-${tag}`;
  const carrierCode = `LIFE-CAR-${tag}`;

  // Two receivers, so that an event sent to the wrong partner shows.
  const supplier = new PartnerReceiver([PARTNER_SECRET]);
  const carrier = new PartnerReceiver([PARTNER_SECRET]);
  await supplier.start();
  await carrier.start();
  const dir = mkdtempSync(join(tmpdir(), "odc-life-"));
  const env = loadEnv({ ...process.env, ODC_PARTNERS_FILE: "(inline)", ODC_DB_PATH: join(dir, "store.sqlite"), ODC_PORT: required("SIDECAR_PORT"), ODC_NUDGE_SECRET: required("NUDGE_SECRET"), ODC_LOG_LEVEL: process.env.ODC_LOG_LEVEL ?? "warn" });
  const partners = parsePartners(
    {
      partners: [
        { code: supplierCode, endpoint: `${supplier.url}/orders`, signing_secrets: ["env:S"], subscriptions: { event_types: ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"] } },
        { code: carrierCode, endpoint: `${carrier.url}/shipments`, signing_secrets: ["env:S"], subscriptions: { event_types: ["shipment.ready", "shipment.dispatched", "shipment.cancelled"] } },
      ],
    },
    { S: PARTNER_SECRET },
  );
  const sidecar = new Sidecar({ env, partners, log: createLogger(env.ODC_LOG_LEVEL) });
  await sidecar.start();

  const shop = await logistics(admin, "Lifecycle", tag, { supplier: supplierCode, carrier: carrierCode });
  const { vendorId, productId } = shop;
  await shop.addStock(1000);

  // Expected life of each document, as the partner must see it: [type, check of its data].
  type Expect = [string, (data: Record<string, unknown>) => string | null][];
  const expected = new Map<string, Expect>();
  const lineQty = (d: Record<string, unknown>) => (d.lines as { quantity: number }[] | undefined)?.[0]?.quantity;
  const poIds: number[] = [];
  const pickingIds: number[] = [];

  for (let i = 0; i < orders; i++) {
    const poId = await admin.execute<number>("purchase.order", "create", [{ partner_id: vendorId, order_line: [[0, 0, { product_id: productId, product_qty: 3 + i, price_unit: 99 }]] }]);
    poIds.push(poId);
    await admin.execute("purchase.order", "button_confirm", [[poId]]);
    const [po] = await admin.execute<{ order_line: number[] }[]>("purchase.order", "read", [[poId]], { fields: ["order_line"] });
    const newQty = 10 + i;
    await admin.execute("purchase.order.line", "write", [[po!.order_line[0]!], { product_qty: newQty }]);
    const newDate = `2027-0${1 + (i % 9)}-15 08:00:00`;
    await admin.execute("purchase.order", "write", [[poId], { date_planned: newDate }]);
    await admin.execute("purchase.order", "button_cancel", [[poId]]);
    expected.set(`purchase.order:${poId}`, [
      ["purchase_order.confirmed", (d) => (lineQty(d) === 3 + i ? null : `confirmed with quantity ${lineQty(d)}, expected ${3 + i}`)],
      ["purchase_order.changed", (d) => (lineQty(d) === newQty ? null : `first change with quantity ${lineQty(d)}, expected ${newQty}`)],
      ["purchase_order.changed", (d) => (String(d.planned_date ?? "").startsWith(newDate.slice(0, 10)) && lineQty(d) === newQty ? null : `second change with planned_date ${String(d.planned_date)} and quantity ${lineQty(d)}, expected ${newDate.slice(0, 10)} and ${newQty}`)],
      ["purchase_order.cancelled", () => null],
    ]);

    const pickingId = await shop.deliveryOrder(2);
    pickingIds.push(pickingId);
    await admin.execute("stock.picking", "action_assign", [[pickingId]]);
    await admin.execute("stock.picking", "action_cancel", [[pickingId]]);
    expected.set(`stock.picking:${pickingId}`, [
      ["shipment.ready", (d) => (Array.isArray(d.parcels) || d.picking ? null : "no picking in shipment.ready")],
      ["shipment.cancelled", (d) => (d.picking ? null : "no picking in shipment.cancelled")],
    ]);
  }
  console.log(`staff: ${orders} POs confirmed, changed twice and cancelled; ${orders} delivery orders made ready and cancelled`);

  type Row = { event_uuid: string; state: string; event_type: string; subject_model: string; subject_id: number; sequence: number };
  const domain = ["|", "&", ["subject_model", "=", "purchase.order"], ["subject_id", "in", poIds], "&", ["subject_model", "=", "stock.picking"], ["subject_id", "in", pickingIds]];
  const readRows = () => admin.execute<Row[]>("connector.outbox", "search_read", [domain], { fields: ["event_uuid", "state", "event_type", "subject_model", "subject_id", "sequence"] });
  const wanted = [...expected.values()].reduce((n, e) => n + e.length, 0);
  let rows: Row[] = [];
  const deadline = Date.now() + 60_000;
  do {
    await new Promise((r) => setTimeout(r, 300));
    rows = await readRows();
  } while ((rows.length < wanted || rows.some((r) => r.state !== "delivered")) && Date.now() < deadline);

  const problems: string[] = [];
  if (rows.length !== wanted) problems.push(`Odoo's outbox holds ${rows.length} events of these documents, expected ${wanted}`);
  for (const r of rows) if (r.state !== "delivered") problems.push(`${r.event_type} of ${r.subject_model}:${r.subject_id} is ${r.state} in Odoo`);
  const firstArrival = new Map<string, ReceivedEvent & { at_partner: "supplier" | "carrier" }>();
  for (const [name, receiver] of [["supplier", supplier], ["carrier", carrier]] as const) for (const e of receiver.accepted) if (!firstArrival.has(e.webhookId)) firstArrival.set(e.webhookId, { ...e, at_partner: name });
  for (const [subject, life] of expected) {
    const arrived = [...firstArrival.values()].filter((e) => e.subject === subject);
    const types = arrived.map((e) => e.type);
    if (types.join(",") !== life.map(([t]) => t).join(",")) {
      problems.push(`${subject}: the partner received ${types.join(", ") || "nothing"}, expected ${life.map(([t]) => t).join(", ")}`);
      continue;
    }
    const sequences = arrived.map((e) => e.sequence);
    if (sequences.some((s, k) => k > 0 && s <= sequences[k - 1]!)) problems.push(`${subject}: arrived out of sequence order (${sequences.join(", ")})`);
    arrived.forEach((e, k) => {
      const event = JSON.parse(e.body) as Canonical;
      const valid = checkEvent(event);
      if (!valid.ok) problems.push(`${subject} ${e.type}: not a valid canonical event (${valid.reason})`);
      const wrong = life[k]![1](event.data);
      if (wrong) problems.push(`${subject}: ${wrong}`);
      const to = e.type.startsWith("shipment.") ? "carrier" : "supplier";
      if (e.at_partner !== to) problems.push(`${subject} ${e.type} went to the ${e.at_partner}, expected the ${to}`);
    });
  }
  const redeliveries = supplier.accepted.length + carrier.accepted.length - firstArrival.size;
  console.log(`outbox: ${rows.filter((r) => r.state === "delivered").length}/${wanted} delivered and recorded in Odoo; partners: ${firstArrival.size} distinct events, ${redeliveries} redeliveries, bad signatures ${supplier.rejectedSignatures + carrier.rejectedSignatures}`);
  for (const p of problems) console.log(`  PROBLEM ${p}`);
  await sidecar.stop(1_000);
  await supplier.stop();
  await carrier.stop();
  rmSync(dir, { recursive: true, force: true });
  return problems.length === 0 ? 0 : 1;
}

run(main);
