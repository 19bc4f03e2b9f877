/**
 * The inbound scenarios against a real Odoo 18 with the addon (run by
 * scripts/odoo-inbound-e2e.sh, which serves the database): purchase orders, delivery orders
 * and carriers are created as staff would (JSON-RPC as admin); partners' documents are posted
 * to a real sidecar's POST /inbound/<partner>; its apply worker calls the addon's
 * connector.inbound.apply_events; the checks read the sidecar's store and Odoo's records.
 *
 * Needs ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY (the integration user, as printed by
 * scripts/odoo-serve.sh), ODOO_ADMIN_PASSWORD (default "admin"), SIDECAR_PORT.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { OdooClient } from "../../sidecar/src/odoo/client.ts";
import { Sidecar } from "../../sidecar/src/service.ts";
import type { InboundListRow, InboundStore } from "../../sidecar/src/inbound/store.ts";
import { cxmlConfirmation, cxmlShipNotice, easypostTracking, signed } from "../inbound/support.ts";
import { required, run } from "./run.ts";

const WOOD_SECRET = "real-odoo-wood-secret";
const EASYPOST_SECRET = "real-odoo-easypost-secret";
const ADMIN_TOKEN = "real-odoo-admin-token-0123456789";

let failures = 0;
function check(name: string, ok: boolean, detail: unknown = ""): void {
  if (!ok) failures++;
  console.log(`  ${ok ? "ok  " : "FAIL"} ${name}${ok ? "" : `: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`}`);
}

async function main(): Promise<number> {
  const url = required("ODOO_URL");
  const db = required("ODOO_DB");
  const admin = new OdooClient({ url, db, login: process.env.ODOO_ADMIN_LOGIN ?? "admin", apiKey: process.env.ODOO_ADMIN_PASSWORD ?? "admin", retries: 1 });
  const version = await admin.version();
  console.log(`odoo ${version.server_version} at ${url}, database ${db}`);
  const run = Date.now().toString(36).toUpperCase();
  const WOOD = `WOOD-${run}`;
  const CARRIER = `EP-${run}`;

  // ---- what staff set up in Odoo ------------------------------------------------------------
  const vendorId = await admin.execute<number>("res.partner", "create", [{ name: `Wood Corner ${run}`, is_company: true, connector_partner_code: WOOD }]);
  const [unit] = await admin.execute<{ id: number }[]>("uom.uom", "search_read", [[["name", "=", "Units"]]], { fields: ["id"], limit: 1 });
  const [kg] = await admin.execute<{ id: number }[]>("uom.uom", "search_read", [[["name", "=", "kg"]]], { fields: ["id"], limit: 1 });
  const desk = await admin.execute<number>("product.product", "create", [{ name: `Desk ${run}`, default_code: `DESK-${run}`, type: "consu", is_storable: true, uom_id: unit!.id, uom_po_id: unit!.id }]);
  const panel = await admin.execute<number>("product.product", "create", [{ name: `Panel ${run}`, default_code: `PANEL-${run}`, type: "consu", is_storable: true, uom_id: kg!.id, uom_po_id: kg!.id }]);
  const order = async () => {
    const id = await admin.execute<number>("purchase.order", "create", [
      {
        partner_id: vendorId,
        order_line: [
          [0, 0, { product_id: desk, product_qty: 3, price_unit: 450 }],
          [0, 0, { product_id: panel, product_qty: 22.5, price_unit: 10 }],
        ],
      },
    ]);
    await admin.execute("purchase.order", "button_confirm", [[id]]);
    const [po] = await admin.execute<{ name: string }[]>("purchase.order", "read", [[id]], { fields: ["name"] });
    return { id, name: po!.name };
  };
  const shippingProduct = await admin.execute<number>("product.product", "create", [{ name: `Shipping ${run}`, type: "service" }]);
  const carrierId = await admin.execute<number>("delivery.carrier", "create", [{ name: `EasyPost ${run}`, delivery_type: "fixed", fixed_price: 6, connector_partner_code: CARRIER, product_id: shippingProduct }]);
  const customer = await admin.execute<number>("res.partner", "create", [{ name: `Customer ${run}`, is_company: true }]);
  const [warehouse] = await admin.execute<{ out_type_id: [number, string]; lot_stock_id: [number, string] }[]>("stock.warehouse", "search_read", [[]], { fields: ["out_type_id", "lot_stock_id"], limit: 1 });
  const [customers] = await admin.execute<{ id: number }[]>("stock.location", "search_read", [[["usage", "=", "customer"]]], { fields: ["id"], limit: 1 });
  const delivery = async (tracking: string) => {
    const id = await admin.execute<number>("stock.picking", "create", [
      {
        picking_type_id: warehouse!.out_type_id[0],
        partner_id: customer,
        location_id: warehouse!.lot_stock_id[0],
        location_dest_id: customers!.id,
        carrier_id: carrierId,
        carrier_tracking_ref: tracking,
        move_ids: [[0, 0, { name: "Desk", product_id: desk, product_uom_qty: 1, product_uom: unit!.id, location_id: warehouse!.lot_stock_id[0], location_dest_id: customers!.id }]],
      },
    ]);
    await admin.execute("stock.picking", "action_confirm", [[id]]);
    return id;
  };
  const readPo = async (id: number) =>
    (await admin.execute<Record<string, unknown>[]>("purchase.order", "read", [[id]], { fields: ["state", "connector_supplier_status", "order_line"] }))[0]!;
  const readLines = async (id: number) =>
    admin.execute<{ connector_line_number: number; product_qty: number; connector_backorder_qty: number; date_planned: string }[]>("purchase.order.line", "search_read", [[["order_id", "=", id]]], {
      fields: ["connector_line_number", "product_qty", "connector_backorder_qty", "date_planned"],
      order: "connector_line_number",
    });
  const readPicking = async (id: number) => (await admin.execute<Record<string, unknown>[]>("stock.picking", "read", [[id]], { fields: ["carrier_tracking_ref", "connector_carrier_status", "scheduled_date", "state"] }))[0]!;
  const activities = async (model: string, id: number) => admin.execute<number>("mail.activity", "search_count", [[["res_model", "=", model], ["res_id", "=", id]]]);

  // ---- the sidecar ----------------------------------------------------------------------------
  const dir = mkdtempSync(join(tmpdir(), "odc-real-inbound-"));
  const env = loadEnv({
    ...process.env,
    ODC_PARTNERS_FILE: "(inline)",
    ODC_DB_PATH: join(dir, "store.sqlite"),
    ODC_PORT: process.env.SIDECAR_PORT ?? "0",
    ODC_NUDGE_SECRET: process.env.NUDGE_SECRET ?? "real-odoo-inbound-nudge-0123",
    ODC_ADMIN_TOKEN: ADMIN_TOKEN,
    ODC_INBOUND_RETRY_MAX_MS: "2000",
    ODC_LOG_LEVEL: process.env.ODC_LOG_LEVEL ?? "warn",
  });
  const partners = parsePartners(
    {
      partners: [
        { code: WOOD, inbound: { format: "cxml", verification: { scheme: "cxml_shared_secret", secrets: ["env:W"] } } },
        { code: CARRIER, inbound: { format: "easypost", verification: { scheme: "easypost_hmac", secrets: ["env:E"] }, coalesce_ms: 300 } },
      ],
    },
    { W: WOOD_SECRET, E: EASYPOST_SECRET },
  );
  const sidecar = new Sidecar({ env, partners, log: createLogger(env.ODC_LOG_LEVEL) });
  const port = await sidecar.start();
  const base = `http://127.0.0.1:${port}`;
  const post = async (partner: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${base}/inbound/${partner}`, { method: "POST", headers, body });
    return { status: res.status, text: await res.text() };
  };
  const row = (id: number): InboundListRow => (sidecar.inbound.store as InboundStore).list({ beforeId: id + 1 }, 1)[0]!;
  const idOf = (answer: { text: string }) => Number(/received as document (\d+)/.exec(answer.text)?.[1] ?? (JSON.parse(answer.text) as { document_id: number }).document_id);
  const decided = async (answer: { status: number; text: string }) => {
    const id = idOf(answer);
    const until = Date.now() + 60_000;
    // Carrier webhooks are stored `received` and decoded after the answer, then wait `pending` for Odoo.
    while ((row(id).status === "received" || row(id).status === "pending") && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return row(id);
  };
  const cxml = (o: Parameters<typeof cxmlConfirmation>[0]) => cxmlConfirmation({ ...o, secret: WOOD_SECRET, identity: WOOD });
  const asn = (o: Parameters<typeof cxmlShipNotice>[0]) => cxmlShipNotice(o).replaceAll("s3cret-wood", WOOD_SECRET);
  const ep = (body: string) => signed.easypost(body, EASYPOST_SECRET);

  try {
    console.log("supplier acknowledgements");
    {
      const po = await order();
      const doc = await decided(await post(WOOD, cxml({ po: po.name, type: "accept", lines: [{ line: 10, quantity: 3, statuses: [{ type: "accept", quantity: 3, deliveryDate: "2026-12-03T08:00:00+01:00" }] }] }), signed.xml()));
      const state = await readPo(po.id);
      check("full accept: applied, supplier status accepted", doc.status === "applied" && state.connector_supplier_status === "accepted", { doc: doc.status, detail: doc.detail, state });
    }
    {
      const po = await order();
      const body = cxml({
        po: po.name,
        type: "detail",
        lines: [
          { line: 10, quantity: 3, statuses: [{ type: "accept", quantity: 3 }] },
          { line: 20, quantity: 22.5, uom: "KGM", statuses: [{ type: "accept", quantity: 20, deliveryDate: "2026-12-03" }, { type: "backordered", quantity: 2.5, deliveryDate: "2026-12-17" }] },
        ],
      });
      const doc = await decided(await post(WOOD, body, signed.xml()));
      const state = await readPo(po.id);
      const lines = await readLines(po.id);
      check("partial accept with backorder: applied, status changed, 2.5 kg backordered", doc.status === "applied" && state.connector_supplier_status === "changed" && lines[1]?.connector_backorder_qty === 2.5, { doc: doc.status, detail: doc.detail, state, lines });
    }
    {
      const po = await order();
      const doc = await decided(await post(WOOD, cxml({ po: po.name, type: "reject", comment: "credit hold" }), signed.xml()));
      const state = await readPo(po.id);
      check("reject: exception, supplier status rejected, an activity on the order", doc.status === "exception" && state.connector_supplier_status === "rejected" && (await activities("purchase.order", po.id)) === 1, { doc: doc.status, detail: doc.detail, state });
    }
    {
      const po = await order();
      const before = await readLines(po.id);
      const body = cxml({ po: po.name, type: "detail", lines: [{ line: 10, quantity: 3, statuses: [{ type: "detail", quantity: 2, deliveryDate: "2026-12-20" }, { type: "reject", quantity: 1 }] }] });
      const doc = await decided(await post(WOOD, body, signed.xml()));
      const lines = await readLines(po.id);
      check("changed dates and quantities: line 10 now 2, planned date moved", doc.status === "applied" && lines[0]?.product_qty === 2 && lines[0]?.date_planned !== before[0]?.date_planned, { doc: doc.status, detail: doc.detail, lines });
    }
    {
      const po = await order();
      // button_cancel returns None: Odoo's answer then carries no `result` (the client reads null).
      await admin.execute("purchase.order", "button_cancel", [[po.id]]);
      const doc = await decided(await post(WOOD, cxml({ po: po.name, type: "accept" }), signed.xml()));
      const state = await readPo(po.id);
      check("late acknowledgement after cancel: exception, order stays cancelled, status untouched", doc.status === "exception" && state.state === "cancel" && !state.connector_supplier_status && (await activities("purchase.order", po.id)) === 1, { doc: doc.status, detail: doc.detail, state });
    }
    {
      const doc = await decided(await post(WOOD, cxml({ po: `NOPE-${run}`, type: "accept" }), signed.xml()));
      const quarantine = (await (await fetch(`${base}/admin/inbound/quarantine`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { documents: { document_id: number }[] };
      check("a PO that does not exist: unknown_reference, quarantined", doc.status === "unknown_reference" && quarantine.documents.some((d) => d.document_id === doc.id), { doc: doc.status, detail: doc.detail });
    }

    console.log("supplier ship notices");
    {
      const po = await order();
      const [receipt] = await admin.execute<{ id: number }[]>("stock.picking", "search_read", [[["purchase_id", "=", po.id], ["picking_type_code", "=", "incoming"]]], { fields: ["id"] });
      const original = await readPicking(receipt!.id);
      const id = `SHP-${run}-${po.id}`;
      const first = await decided(await post(WOOD, asn({ shipmentId: id, po: po.name, deliveryDate: "2026-12-05T10:00:00+01:00", tracking: `1Z${run}`, items: [{ line: 10, quantity: 2, lot: "LOT-7" }] }).replaceAll("WOODCORNER", WOOD), signed.xml()));
      const afterNew = await readPicking(receipt!.id);
      check("ASN for part of a PO: applied, tracking and date on the receipt", first.status === "applied" && afterNew.carrier_tracking_ref === `1Z${run}`, { doc: first.status, detail: first.detail, afterNew });
      const update = await decided(
        await post(WOOD, asn({ shipmentId: id, po: po.name, operation: "update", noticeDate: "2026-12-02T08:00:00+01:00", deliveryDate: "2026-12-06T10:00:00+01:00", tracking: `1Z${run}`, items: [{ line: 10, quantity: 3 }, { line: 20, quantity: 22.5, uom: "KGM" }] }).replaceAll("WOODCORNER", WOOD), signed.xml()),
      );
      const afterUpdate = await readPicking(receipt!.id);
      check("its update: applied, new date", update.status === "applied" && afterUpdate.scheduled_date !== afterNew.scheduled_date, { doc: update.status, detail: update.detail, afterUpdate });
      const deletion = await decided(await post(WOOD, asn({ shipmentId: id, operation: "delete", noticeDate: "2026-12-03T08:00:00+01:00" }).replaceAll("WOODCORNER", WOOD), signed.xml()));
      const afterDelete = await readPicking(receipt!.id);
      check("its deletion: applied, the receipt back as before", deletion.status === "applied" && afterDelete.carrier_tracking_ref === original.carrier_tracking_ref && afterDelete.scheduled_date === original.scheduled_date, { doc: deletion.status, detail: deletion.detail, original, afterDelete });
    }

    console.log("carrier tracking");
    {
      const picking = await delivery(`T1-${run}`);
      const newer = easypostTracking({ tracking: `T1-${run}`, status: "in_transit", at: "2026-12-02T10:00:00Z" });
      const a = await decided(await post(CARRIER, newer, ep(newer)));
      const older = easypostTracking({ tracking: `T1-${run}`, status: "pre_transit", at: "2026-12-01T10:00:00Z" });
      const b = await decided(await post(CARRIER, older, ep(older)));
      const state = await readPicking(picking);
      check("tracking out of order: newer applied, older stale", a.status === "applied" && b.status === "stale" && state.connector_carrier_status === "in_transit", { a: [a.status, a.detail], b: [b.status, b.detail], state });
    }
    {
      const picking = await delivery(`T2-${run}`);
      const delivered = easypostTracking({ tracking: `T2-${run}`, status: "delivered", at: "2026-12-03T15:00:00Z" });
      const a = await decided(await post(CARRIER, delivered, ep(delivered)));
      const late = easypostTracking({ tracking: `T2-${run}`, status: "in_transit", at: "2026-12-03T16:00:00Z" });
      const b = await decided(await post(CARRIER, late, ep(late)));
      const state = await readPicking(picking);
      check("delivered then a late in_transit: stays delivered", a.status === "applied" && b.status === "stale" && state.connector_carrier_status === "delivered", { a: [a.status, a.detail], b: [b.status, b.detail], state });
    }
    {
      const picking = await delivery(`T3-${run}`);
      const failure = easypostTracking({ tracking: `T3-${run}`, status: "failure", at: "2026-12-02T08:00:00Z", detail: "address_not_found" });
      const doc = await decided(await post(CARRIER, failure, ep(failure)));
      check("a carrier exception raises an activity", doc.status === "exception" && (await activities("stock.picking", picking)) === 1, { doc: [doc.status, doc.detail] });
    }
    {
      await delivery(`T4-${run}`);
      const body = easypostTracking({ tracking: `T4-${run}`, status: "in_transit", at: "2026-12-02T10:00:00Z", id: `evt_five_${run}` });
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await post(CARRIER, body, ep(body)));
      const doc = await decided(answers[0]!);
      const rows = await admin.execute<number>("connector.inbound", "search_count", [[["event_uuid", "=", doc.eventId]]]);
      check("the same webhook five times: applied once", doc.status === "applied" && doc.receipts === 5 && rows === 1 && answers.every((a) => a.status === 202), { doc: [doc.status, doc.receipts], rows });
    }
    {
      const picking = await delivery(`T5-${run}`);
      const statuses = [...Array(6).fill("in_transit"), ...Array(3).fill("out_for_delivery"), "delivered"];
      await sidecar.inbound.worker.stop();
      const answers = [];
      for (const [i, status] of statuses.entries()) {
        const body = easypostTracking({ tracking: `T5-${run}`, status, at: new Date(Date.UTC(2026, 11, 2, 8, i)).toISOString().replace(".000Z", "Z") });
        answers.push(await post(CARRIER, body, ep(body)));
      }
      sidecar.inbound.worker.start();
      const docs = [];
      for (const a of answers) docs.push(await decided(a));
      const inOdoo = await admin.execute<number>("connector.inbound", "search_count", [[["subject_ref", "=", `T5-${run}`]]]);
      const state = await readPicking(picking);
      check("a burst of 10 updates reaches Odoo as 3 state changes", inOdoo === 3 && docs.filter((d) => d.status === "coalesced").length === 7 && state.connector_carrier_status === "delivered", { inOdoo, statuses: docs.map((d) => d.status), state });
    }
  } finally {
    await sidecar.stop(1_000);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(failures === 0 ? "all inbound scenarios passed against the real Odoo" : `${failures} scenario check(s) failed`);
  return failures === 0 ? 0 : 1;
}

run(main);
