/**
 * Partner formats against a real Odoo 18 (run by scripts/odoo-e2e.sh after the walking
 * skeleton): staff confirm a PO for a cXML vendor and a PO for a vendor whose cXML supplier
 * refuses it, and ready a delivery order for an EasyPost carrier; the real sidecar sends each
 * in its partner's format to loopback simulators that parse it, and Odoo shows the results:
 * the rows delivered or dead with the supplier's text, and the picking with the tracking
 * reference, the label and a chatter note.
 *
 * Needs the same environment as test/real-odoo/e2e.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { OdooClient } from "../../sidecar/src/odoo/client.ts";
import { Sidecar } from "../../sidecar/src/service.ts";
import { CxmlSupplier, EasypostSimulator } from "../simulator/suppliers.ts";
import { required, run } from "./run.ts";

const SECRETS = { CXML_SECRET: "real-odoo-cxml-shared-secret", EASYPOST_KEY: "EZAKreal0123456789" };
const CXML = { from: { domain: "NetworkID", identity: "AN01000000001" }, to: { domain: "DUNS", identity: "831234567" } };

async function main(): Promise<number> {
  const url = required("ODOO_URL");
  const db = required("ODOO_DB");
  const admin = new OdooClient({ url, db, login: process.env.ODOO_ADMIN_LOGIN ?? "admin", apiKey: process.env.ODOO_ADMIN_PASSWORD ?? "admin", retries: 1 });
  const run = Date.now().toString(36).toUpperCase();
  const codes = { cxml: `CXML-${run}`, refusing: `CXMLNO-${run}`, carrier: `EASYPOST-${run}` };

  const cxml = new CxmlSupplier({ ...CXML, sharedSecret: SECRETS.CXML_SECRET });
  // The refusing supplier answers HTTP 200 with cXML Status 400, as real ones do.
  const refusing = new CxmlSupplier({ ...CXML, sharedSecret: SECRETS.CXML_SECRET, status: () => ({ code: 400, text: "Bad Request", message: "unknown SupplierPartID E2E-SUP-DESK" }) });
  const easypost = new EasypostSimulator(SECRETS.EASYPOST_KEY);
  await Promise.all([cxml.start(), refusing.start(), easypost.start()]);

  const dir = mkdtempSync(join(tmpdir(), "odc-real-formats-"));
  const env = loadEnv({ ...process.env, ODC_PARTNERS_FILE: "(inline)", ODC_DB_PATH: join(dir, "store.sqlite"), ODC_PORT: required("SIDECAR_PORT"), ODC_NUDGE_SECRET: required("NUDGE_SECRET"), ODC_LOG_LEVEL: process.env.ODC_LOG_LEVEL ?? "warn" });
  const cxmlSection = { ...CXML, shared_secret: "env:CXML_SECRET", bill_to: { name: "YourCompany", street: ["250 Executive Park Blvd"], city: "San Francisco", postal_code: "94134", country: "US" } };
  const poTypes = ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"];
  const partners = parsePartners(
    {
      partners: [
        { code: codes.cxml, format: "cxml", endpoint: `${cxml.url}/cxml`, subscriptions: { event_types: poTypes }, cxml: cxmlSection },
        { code: codes.refusing, format: "cxml", endpoint: `${refusing.url}/cxml`, subscriptions: { event_types: poTypes }, cxml: cxmlSection },
        { code: codes.carrier, format: "easypost", endpoint: `${easypost.url}/v2`, subscriptions: { event_types: ["shipment.ready"] }, easypost: { api_key: "env:EASYPOST_KEY", service: "Priority" } },
      ],
    },
    SECRETS,
  );
  const sidecar = new Sidecar({ env, partners, log: createLogger(env.ODC_LOG_LEVEL) });
  await sidecar.start();

  // Staff's side: vendors with partner codes, a product with the vendor's code, POs confirmed.
  const vendor = await admin.execute<number>("res.partner", "create", [{ name: `cXML Supplier ${run}`, is_company: true, connector_partner_code: codes.cxml }]);
  const refuser = await admin.execute<number>("res.partner", "create", [{ name: `Refusing Supplier ${run}`, is_company: true, connector_partner_code: codes.refusing }]);
  const product = await admin.execute<number>("product.product", "create", [{ name: `E2E Desk ${run}`, default_code: `E2E-DESK-${run}`, type: "consu", is_storable: true, weight: 12.5 }]);
  const template = (await admin.execute<{ product_tmpl_id: [number, string] }[]>("product.product", "read", [[product]], { fields: ["product_tmpl_id"] }))[0]!.product_tmpl_id[0];
  await admin.execute("product.supplierinfo", "create", [{ partner_id: vendor, product_tmpl_id: template, product_code: "E2E-SUP-DESK", price: 99 }]);
  const confirm = async (partnerId: number) => {
    const id = await admin.execute<number>("purchase.order", "create", [{ partner_id: partnerId, order_line: [[0, 0, { product_id: product, product_qty: 4, price_unit: 99 }]] }]);
    await admin.execute("purchase.order", "button_confirm", [[id]]);
    return id;
  };
  const poId = await confirm(vendor);
  const refusedPoId = await confirm(refuser);

  // A delivery order for a customer, with a delivery method whose partner code is the carrier's,
  // shipped from the company's address (a new database has none: a carrier cannot rate without it).
  const us = (await admin.execute<{ id: number }[]>("res.country", "search_read", [[["code", "=", "US"]]], { fields: ["id"], limit: 1 }))[0]!.id;
  const company = (await admin.execute<{ partner_id: [number, string] }[]>("res.company", "search_read", [[]], { fields: ["partner_id"], limit: 1 }))[0]!.partner_id[0];
  await admin.execute("res.partner", "write", [[company], { street: "250 Executive Park Blvd", city: "San Francisco", zip: "94134", country_id: us }]);
  const customer = await admin.execute<number>("res.partner", "create", [{ name: `Brandon Freeman ${run}`, street: "4557 De Silva St", city: "Fremont", zip: "94538", country_id: us }]);
  const shippingProduct = await admin.execute<number>("product.product", "create", [{ name: `Shipping ${run}`, type: "service" }]);
  const carrier = await admin.execute<number>("delivery.carrier", "create", [{ name: `EasyPost ${run}`, product_id: shippingProduct, delivery_type: "fixed", connector_partner_code: codes.carrier }]);
  const warehouse = (await admin.execute<{ id: number; lot_stock_id: [number, string]; out_type_id: [number, string] }[]>("stock.warehouse", "search_read", [[]], { fields: ["lot_stock_id", "out_type_id"], limit: 1 }))[0]!;
  const stock = warehouse.lot_stock_id[0];
  await admin.execute("stock.quant", "create", [{ product_id: product, location_id: stock, inventory_quantity: 10 }]).then((q) => admin.execute("stock.quant", "action_apply_inventory", [[q]]));
  const customers = (await admin.execute<{ id: number }[]>("stock.location", "search_read", [[["usage", "=", "customer"]]], { fields: ["id"], limit: 1 }))[0]!.id;
  const pickingId = await admin.execute<number>("stock.picking", "create", [
    { partner_id: customer, picking_type_id: warehouse.out_type_id[0], location_id: stock, location_dest_id: customers, carrier_id: carrier, move_ids: [[0, 0, { name: "E2E Desk", product_id: product, product_uom_qty: 1, location_id: stock, location_dest_id: customers }]] },
  ]);
  await admin.execute("stock.picking", "action_confirm", [[pickingId]]);
  await admin.execute("stock.picking", "action_assign", [[pickingId]]);
  console.log(`odoo: confirmed PO ${poId} (cXML vendor ${codes.cxml}) and ${refusedPoId} (${codes.refusing}); delivery order ${pickingId} ready with carrier ${codes.carrier}`);

  type Row = { subject_model: string; subject_id: number; subject_ref: string; event_type: string; state: string; last_error: string | false; partner_code: string | false };
  type Picking = { name: string; state: string; carrier_tracking_ref: string | false; connector_label_url: string | false; connector_carrier_status: string | false };
  const rows = () => admin.execute<Row[]>("connector.outbox", "search_read", [["|", "&", ["subject_model", "=", "purchase.order"], ["subject_id", "in", [poId, refusedPoId]], "&", ["subject_model", "=", "stock.picking"], ["subject_id", "=", pickingId]]], { fields: ["subject_model", "subject_id", "subject_ref", "event_type", "state", "last_error", "partner_code"] });
  const picking = async () => (await admin.execute<Picking[]>("stock.picking", "read", [[pickingId]], { fields: ["name", "state", "carrier_tracking_ref", "connector_label_url", "connector_carrier_status"] }))[0]!;
  const settled = (r: Row[], p: Picking) => r.length >= 3 && r.every((x) => x.state === "delivered" || x.state === "dead") && p.carrier_tracking_ref !== false;
  let seen: Row[] = [];
  let shown = await picking();
  const deadline = Date.now() + 60_000;
  while (!settled(seen, shown) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    [seen, shown] = await Promise.all([rows(), picking()]);
  }

  // Staff validate the delivery once the label is on it: the booking stays, the picking is done.
  if (shown.carrier_tracking_ref) {
    await admin.execute("stock.picking", "button_validate", [[pickingId]]);
    shown = await picking();
  }
  const order = cxml.orders.find((o) => o.type === "new");
  const booking = easypost.bookings[0];
  const messages = await admin.execute<{ body: string }[]>("mail.message", "search_read", [[["model", "=", "stock.picking"], ["res_id", "=", pickingId]]], { fields: ["body"] });
  const activities = await admin.execute<{ summary: string | false; note: string | false }[]>("mail.activity", "search_read", [[["res_model", "=", "purchase.order"], ["res_id", "=", refusedPoId]]], { fields: ["summary", "note"] });
  for (const r of seen) console.log(`  outbox ${r.event_type} ${r.subject_ref} -> ${r.partner_code || "-"}: ${r.state}${r.last_error ? ` (${r.last_error})` : ""}`);
  console.log(`  cXML supplier took ${cxml.orders.length} OrderRequest(s)${order ? `: orderID ${order.orderId}, ${order.lines.length} line(s), SupplierPartID ${order.lines[0]?.supplierPartId}` : ""}; refused ${cxml.refused.length}`);
  console.log(`  refusing supplier answered ${refusing.requests} request(s) with Status 400`);
  console.log(`  EasyPost booked ${easypost.bookings.length} label(s)${booking ? ` for ${booking.request.reference} (parcel ${JSON.stringify("parcel" in booking.request ? booking.request.parcel : null)})` : ""}; refused ${easypost.refused.length}`);
  console.log(`  picking ${shown.name}: state ${shown.state}, tracking ${shown.carrier_tracking_ref || "-"}, label ${shown.connector_label_url || "-"}, carrier status ${shown.connector_carrier_status || "-"}`);
  console.log(`  picking chatter: ${messages.map((m) => m.body.replace(/<[^>]+>/g, "")).filter((b) => /label|tracking/i.test(b)).join(" | ") || "(no note)"}`);
  console.log(`  activities on the refused PO: ${activities.map((a) => `${a.summary || ""} ${String(a.note || "").replace(/<[^>]+>/g, "")}`.trim()).join(" | ") || "(none)"}`);

  const byRef = (model: string, id: number) => seen.find((r) => r.subject_model === model && r.subject_id === id);
  const ok =
    byRef("purchase.order", poId)?.state === "delivered" &&
    order?.orderId !== undefined &&
    order.lines[0]?.supplierPartId === "E2E-SUP-DESK" &&
    cxml.refused.length === 0 &&
    byRef("purchase.order", refusedPoId)?.state === "dead" &&
    String(byRef("purchase.order", refusedPoId)?.last_error).includes("unknown SupplierPartID") &&
    byRef("stock.picking", pickingId)?.state === "delivered" &&
    easypost.refused.length === 0 &&
    booking !== undefined &&
    shown.carrier_tracking_ref === booking.answer["tracking_code"] &&
    shown.state === "done" &&
    shown.connector_label_url === (booking.answer["postage_label"] as { label_url: string }).label_url;

  // Staff change the order (quantity and planned date), then cancel it: the supplier gets an
  // update and a delete, each referring to the version it replaces, in order.
  const lineId = (await admin.execute<{ order_line: number[] }[]>("purchase.order", "read", [[poId]], { fields: ["order_line"] }))[0]!.order_line[0]!;
  await admin.execute("purchase.order", "write", [[poId], { order_line: [[1, lineId, { product_qty: 6 }]], date_planned: "2027-01-15 09:00:00" }]);
  const waitOrders = async (n: number) => {
    const until = Date.now() + 30_000;
    while (cxml.orders.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  };
  await waitOrders(2);
  await admin.execute("purchase.order", "button_cancel", [[poId]]);
  await waitOrders(3);
  const versions = cxml.orders.map((o) => ({ type: o.type, payloadId: o.payloadId, ref: o.documentReference, quantity: o.lines[0]?.quantity ?? null }));
  console.log(`  the cXML supplier got, in order: ${versions.map((v) => `${v.type}${v.quantity ? ` qty ${v.quantity}` : ""}${v.ref ? ` (replacing ${v.ref.slice(0, 8)}...)` : ""}`).join(", ")}`);
  const history = ok && versions.length === 3 && versions.map((v) => v.type).join(",") === "new,update,delete" && versions[1]!.quantity === "6" && versions[1]!.ref === versions[0]!.payloadId && versions[2]!.ref === versions[1]!.payloadId && cxml.refused.length === 0;
  console.log(history ? "formats: every partner took its format, and Odoo shows the answers" : "formats: FAILED");
  await sidecar.stop(1_000);
  await Promise.all([cxml.stop(), refusing.stop(), easypost.stop()]);
  rmSync(dir, { recursive: true, force: true });
  return history ? 0 : 1;
}

run(main);
