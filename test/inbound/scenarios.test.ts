/**
 * Partners' news, end to end against the Odoo simulator: a real sidecar takes each document on
 * POST /inbound/<partner> (real fixture documents where they fit, generated ones otherwise),
 * stores it, and its apply worker calls connector.inbound.apply_events; the assertions read
 * the simulator's records (purchase orders, receipts, delivery orders, activities) and the
 * sidecar's store.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InboundListRow, InboundStore } from "../../sidecar/src/inbound/store.ts";
import { documentsDir, partnerFixturesDir } from "../../sidecar/src/partners/test-support/fixtures.ts";
import {
  ADMIN_TOKEN,
  aftershipTracking,
  cxmlConfirmation,
  cxmlShipNotice,
  easypostShipment,
  easypostTracking,
  shippoTracking,
  signed,
  startInboundStack,
  waitFor,
  SECRETS,
  type InboundStack,
} from "./support.ts";

let s: InboundStack;
beforeAll(async () => {
  s = await startInboundStack();
});
afterAll(async () => {
  await s?.stop();
});

const fixture = (path: string) => readFileSync(join(partnerFixturesDir, path));
const document = (name: string) => readFileSync(join(documentsDir, name));

function row(id: number): InboundListRow {
  const found = (s.sidecar.inbound.store as InboundStore).list({ beforeId: id + 1 }, 1)[0];
  if (!found || found.id !== id) throw new Error(`no inbound document ${id}`);
  return found;
}

/** Document id from the answer: JSON `document_id`, or the cXML Status text. */
function documentIdOf(answer: { text: string }): number {
  const cxml = /received as document (\d+)/.exec(answer.text);
  if (cxml) return Number(cxml[1]);
  return (JSON.parse(answer.text) as { document_id: number }).document_id;
}

async function decided(answer: { status: number; text: string }): Promise<InboundListRow> {
  expect([200, 202], answer.text).toContain(answer.status);
  const id = documentIdOf(answer);
  // Carrier webhooks are stored `received` and decoded after the answer, then wait `pending` for Odoo.
  await waitFor(() => !["received", "pending"].includes(row(id).status), `document ${id} to be decided`);
  return row(id);
}

const activitiesOf = (model: string, id: number) => s.odoo.inbound.activities.filter((a) => a.model === model && a.id === id);

describe("supplier acknowledgements", () => {
  it("full accept (real dnas cXML fixture, X12 units, blank payloadID deduplicated on a body hash)", async () => {
    const vendor = s.odoo.addVendor("Day-Nite", "DNAS");
    // As ordered: two lines of 2 EA, at the prices the supplier confirms (USD).
    const po = s.odoo.addPurchaseOrder(
      vendor.id,
      [
        { product_code: "A", vendor_product_code: "261950", description: "A", quantity: 2, uom: "EA", unit_price: 0.5 },
        { product_code: "B", vendor_product_code: "2271092", description: "B", quantity: 2, uom: "EA", unit_price: 0.12 },
      ],
      "USD",
    );
    po.name = "269765";
    po.lines[0]!.line_number = 1;
    po.lines[1]!.line_number = 2;
    s.odoo.approve(po.id);
    const answer = await s.post("DNAS", fixture("cxml/dnas_ConfirmationRequest_detail_accept_2021.xml"), signed.xml());
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('<Status code="201" text="Accepted">');
    const doc = await decided(answer);
    expect(doc).toMatchObject({ status: "applied", type: "supplier.order_acknowledged", subjectRef: "269765", verification: "cxml_shared_secret" });
    expect(doc.messageId).toMatch(/^sha256:/);
    expect(s.odoo.inbound.ackState(po.id).supplier_status).toBe("accepted");
    expect([...s.odoo.inbound.lineStates(po.id).values()].map((l) => l.quantity)).toEqual([2, 2]);
    // The stored copy never holds the partner's credential.
    const stored = (s.sidecar.inbound.store as InboundStore).body(doc.id)!.body.toString("utf8");
    expect(stored).not.toContain("password123");
    expect(stored).toContain("<SharedSecret>[redacted]</SharedSecret>");
  });

  it("full accept (generated cXML accept): supplier status accepted, promised dates on the lines", async () => {
    const po = s.approvedPo("WOODCORNER");
    const doc = await decided(
      await s.post(
        "WOODCORNER",
        cxmlConfirmation({ po: po.name, type: "accept", lines: [{ line: 10, quantity: 3, statuses: [{ type: "accept", quantity: 3, deliveryDate: "2026-12-03T08:00:00+01:00" }] }] }),
        signed.xml(),
      ),
    );
    expect(doc.status).toBe("applied");
    expect(s.odoo.inbound.ackState(po.id).supplier_status).toBe("accepted");
    expect(s.odoo.inbound.lineStates(po.id).get(10)!.promised_date).toBe("2026-12-03T07:00:00Z");
  });

  it("partial accept with backorder (cXML detail: 20 of 22.5 kg accepted, 2.5 backordered to a later date)", async () => {
    const po = s.approvedPo("WOODCORNER", "P00042");
    const doc = await decided(await s.post("WOODCORNER", document("cxml_confirmation_partial.xml"), signed.xml()));
    expect(doc.status).toBe("applied");
    expect(s.odoo.inbound.ackState(po.id).supplier_status).toBe("changed");
    const line20 = s.odoo.inbound.lineStates(po.id).get(20)!;
    expect(line20).toMatchObject({ quantity: 22.5, backordered: 2.5, backorder_date: "2026-12-17T12:00:00Z" });
    expect(s.odoo.inbound.lineStates(po.id).get(10)!.promised_date).toBe("2026-12-03T07:00:00Z");
  });

  it("reject (real Peppol OrderResponse UC3, Standard Webhooks signed): an exception for a person, an activity on the order", async () => {
    const po = s.approvedPo("PEPPOL", "5");
    const body = fixture("ubl/peppol_OrderResponse_UC3.xml");
    const doc = await decided(await s.post("PEPPOL", body, signed.standard(body, SECRETS.PEPPOL, undefined, new Date(), "application/xml")));
    expect(doc).toMatchObject({ status: "exception", verification: "standard_webhooks" });
    expect(s.odoo.inbound.ackState(po.id).supplier_status).toBe("rejected");
    expect(activitiesOf("purchase.order", po.id).map((a) => a.summary)).toEqual(["Vendor rejected 5"]);
    expect(s.odoo.orders.get(po.id)!.state).toBe("purchase");
  });

  it("reject (generated cXML reject)", async () => {
    const po = s.approvedPo("WOODCORNER");
    const doc = await decided(await s.post("WOODCORNER", cxmlConfirmation({ po: po.name, type: "reject", comment: "credit hold" }), signed.xml()));
    expect(doc.status).toBe("exception");
    expect(activitiesOf("purchase.order", po.id)).toHaveLength(1);
  });

  it("changed dates and quantities: the order lines follow while nothing was received; after a receipt it is an exception", async () => {
    const po = s.approvedPo("WOODCORNER");
    // cXML restates the ordered 3 and splits it: part changed (with a new date), the rest rejected.
    const change = (payloadId: string, quantity: number, version: number) =>
      cxmlConfirmation({
        po: po.name,
        type: "detail",
        payloadId,
        version,
        lines: [{ line: 10, quantity: 3, statuses: [{ type: "detail", quantity, deliveryDate: "2026-12-20" }, ...(quantity < 3 ? [{ type: "reject", quantity: 3 - quantity }] : [])] }],
      });
    const first = await decided(await s.post("WOODCORNER", change("chg-1@wc", 2, 1), signed.xml()));
    expect(first.status).toBe("applied");
    expect(s.odoo.inbound.lineStates(po.id).get(10)).toMatchObject({ quantity: 2, promised_date: "2026-12-20T12:00:00Z" });
    expect(s.odoo.orders.get(po.id)!.lines[0]!.quantity).toBe(2);
    expect(s.odoo.inbound.ackState(po.id).supplier_status).toBe("changed");

    s.odoo.inbound.receive(po.id, 10, 1);
    const second = await decided(await s.post("WOODCORNER", change("chg-2@wc", 1, 2), signed.xml()));
    expect(second.status).toBe("exception");
    expect(second.detail).toContain("do not reconcile");
    expect(s.odoo.inbound.lineStates(po.id).get(10)!.quantity).toBe(2);

    // An older version arriving late changes nothing.
    const late = await decided(await s.post("WOODCORNER", change("chg-0@wc", 3, 0), signed.xml()));
    expect(late.status).toBe("stale");
  });

  it("changes that need the buyer (real Peppol OrderResponse CA fixture: substitutes and a new price): exception, lines untouched", async () => {
    const vendorId = [...s.odoo.vendors.values()].find((v) => v.partner_code === "PEPPOL")!.id;
    const po = s.odoo.addPurchaseOrder(vendorId, [1, 2, 3].map((n) => ({ product_code: `L${n}`, vendor_product_code: `SN-3${n + 2}`, description: `L${n}`, quantity: 15, uom: "C62", unit_price: 1 })));
    po.name = "11233";
    po.lines.forEach((l, i) => (l.line_number = i + 1));
    s.odoo.approve(po.id);
    const body = fixture("ubl/peppol_OrderResponse_Example_CA.xml");
    const doc = await decided(await s.post("PEPPOL", body, signed.standard(body, SECRETS.PEPPOL, undefined, new Date(), "application/xml")));
    expect(doc.status).toBe("exception");
    expect(doc.detail).toContain("substitute offered");
    expect(s.odoo.inbound.ackState(po.id).supplier_status).toBe("exception");
    expect([...s.odoo.inbound.lineStates(po.id).values()].map((l) => l.quantity)).toEqual([15, 15, 15]);
    expect(activitiesOf("purchase.order", po.id)).toHaveLength(1);
  });

  it("a late acknowledgement after the PO was cancelled: an exception and an activity, the order stays cancelled", async () => {
    const po = s.approvedPo("WOODCORNER");
    s.odoo.cancel(po.id);
    const doc = await decided(await s.post("WOODCORNER", cxmlConfirmation({ po: po.name, type: "accept" }), signed.xml()));
    expect(doc).toMatchObject({ status: "exception", record: JSON.stringify({ model: "purchase.order", id: po.id, ref: po.name }) });
    expect(s.odoo.orders.get(po.id)!.state).toBe("cancel");
    expect(s.odoo.inbound.ackState(po.id).supplier_status).toBeNull();
    expect(activitiesOf("purchase.order", po.id).map((a) => a.summary)).toEqual([`Late vendor answer: ${po.name}`]);
    expect(doc.detail).toContain("is cancelled");
  });

  it("a document for a PO that does not exist: unknown_reference, quarantined, listed by the admin API", async () => {
    const before = s.odoo.inbound.snapshot();
    const doc = await decided(await s.post("WOODCORNER", cxmlConfirmation({ po: "P99999", type: "accept" }), signed.xml()));
    expect(doc.status).toBe("unknown_reference");
    expect(s.odoo.inbound.snapshot()).toBe(before);
    const list = await fetch(`${s.url}/admin/inbound/quarantine`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { documents: { document_id: number; status: string; subject_ref: string; detail: string }[] };
    expect(body.documents).toContainEqual(expect.objectContaining({ document_id: doc.id, status: "unknown_reference", subject_ref: "P99999" }));
    const raw = await fetch(`${s.url}/admin/inbound/documents/${doc.id}/body`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await raw.text()).toContain('orderID="P99999"');
    expect((await fetch(`${s.url}/admin/inbound/quarantine`)).status).toBe(401);
    expect((await fetch(`${s.url}/admin/inbound/quarantine`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
  });
});

describe("supplier ship notices", () => {
  it("an ASN for part of a PO, then its update, then its deletion", async () => {
    const po = s.approvedPo("WOODCORNER");
    const receipt = s.odoo.inbound.receiptOf(po.id);
    const original = structuredClone(receipt);
    const asn = await decided(
      await s.post("WOODCORNER", cxmlShipNotice({ shipmentId: `SHP-${po.id}`, po: po.name, payloadId: `asn-${po.id}@wc`, deliveryDate: "2026-12-05T10:00:00+01:00", tracking: "1Z999", items: [{ line: 10, quantity: 2, lot: "LOT-7" }] }), signed.xml()),
    );
    expect(asn.status).toBe("applied");
    let now = s.odoo.inbound.pickings.get(receipt.id)!;
    expect(now).toMatchObject({ scheduled_date: "2026-12-05T09:00:00Z", carrier_tracking_ref: "1Z999", asn_shipment_id: `SHP-${po.id}` });
    expect(now.expected).toEqual([{ line_number: 10, quantity: 2, uom: "C62", lots: ["LOT-7"] }]);

    const update = await decided(
      await s.post(
        "WOODCORNER",
        cxmlShipNotice({
          shipmentId: `SHP-${po.id}`,
          po: po.name,
          operation: "update",
          payloadId: `asn-${po.id}-u@wc`,
          previousPayloadId: `asn-${po.id}@wc`,
          noticeDate: "2026-12-02T08:00:00+01:00",
          deliveryDate: "2026-12-06T10:00:00+01:00",
          tracking: "1Z999",
          items: [{ line: 10, quantity: 3 }, { line: 20, quantity: 22.5, uom: "KGM" }],
        }),
        signed.xml(),
      ),
    );
    expect(update.status).toBe("applied");
    now = s.odoo.inbound.pickings.get(receipt.id)!;
    expect(now.scheduled_date).toBe("2026-12-06T09:00:00Z");
    expect(now.expected?.map((e) => [e.line_number, e.quantity])).toEqual([
      [10, 3],
      [20, 22.5],
    ]);

    const deletion = await decided(await s.post("WOODCORNER", cxmlShipNotice({ shipmentId: `SHP-${po.id}`, operation: "delete", payloadId: `asn-${po.id}-d@wc`, noticeDate: "2026-12-03T08:00:00+01:00" }), signed.xml()));
    expect(deletion.status).toBe("applied");
    now = s.odoo.inbound.pickings.get(receipt.id)!;
    expect({ ...now, notes: [] }).toEqual({ ...original, notes: [] });
  });

  it("the same three notices posted back to back are applied in the order they arrived (order per subject)", async () => {
    const po = s.approvedPo("WOODCORNER");
    const receipt = s.odoo.inbound.receiptOf(po.id);
    const id = `SHP-FAST-${po.id}`;
    const answers = [];
    answers.push(await s.post("WOODCORNER", cxmlShipNotice({ shipmentId: id, po: po.name, items: [{ line: 10, quantity: 1 }] }), signed.xml()));
    answers.push(await s.post("WOODCORNER", cxmlShipNotice({ shipmentId: id, po: po.name, operation: "update", noticeDate: "2026-12-01T09:00:00+01:00", items: [{ line: 10, quantity: 2 }] }), signed.xml()));
    answers.push(await s.post("WOODCORNER", cxmlShipNotice({ shipmentId: id, operation: "delete", noticeDate: "2026-12-01T10:00:00+01:00" }), signed.xml()));
    const docs = [];
    for (const a of answers) docs.push(await decided(a));
    expect(docs.map((d) => d.status)).toEqual(["applied", "applied", "applied"]);
    const sent = s.odoo.inbound.calls.flat().filter((e) => e.subject_ref === id).map((e) => (e.data as { operation: string }).operation);
    expect(sent).toEqual(["new", "update", "delete"]);
    expect(s.odoo.inbound.pickings.get(receipt.id)!.expected).toBeNull();
  });

  it("a header-level ASN (real FriendsOfCXML fixture, sender identity checked): applied without assuming the whole order shipped", async () => {
    const po = s.approvedPo("FOCXML", "DO1234");
    const doc = await decided(await s.post("FOCXML", fixture("cxml/friendsofcxml_ShipNoticeRequest.xml"), signed.xml()));
    expect(doc.status).toBe("applied");
    const receipt = s.odoo.inbound.receiptOf(po.id);
    expect(receipt).toMatchObject({ carrier_tracking_ref: "8202 8261 1194", expected: null, asn_shipment_id: "S2-123" });
  });
});

describe("carrier bookings and tracking", () => {
  it("a booking sets the tracking number and label on the delivery order; tracking follows it", async () => {
    const picking = s.odoo.inbound.addDeliveryOrder("EASYPOST");
    const tracking = `9400${picking.id}000001`;
    const booking = easypostShipment({ reference: picking.name, tracking });
    const booked = await decided(await s.post("EASYPOST", booking, signed.easypost(booking)));
    expect(booked).toMatchObject({ status: "applied", type: "carrier.shipment_booked" });
    expect(s.odoo.inbound.pickings.get(picking.id)).toMatchObject({ carrier_tracking_ref: tracking, label_url: `https://labels.example/${tracking}.png` });
    expect(s.odoo.inbound.pickings.get(picking.id)!.carrier_status).toBe("pre_transit");
    const update = easypostTracking({ tracking, status: "in_transit", at: "2026-12-01T10:00:00Z" });
    expect((await decided(await s.post("EASYPOST", update, signed.easypost(update)))).status).toBe("applied");
    expect(s.odoo.inbound.pickings.get(picking.id)!.carrier_status).toBe("in_transit");
  });

  it("tracking events out of order: a newer in_transit applied first makes the older pre_transit stale", async () => {
    const picking = s.odoo.inbound.addDeliveryOrder("EASYPOST", { tracking: "EZ-OOO-1" });
    const newer = easypostTracking({ tracking: "EZ-OOO-1", status: "in_transit", at: "2026-12-02T10:00:00Z" });
    const a = await decided(await s.post("EASYPOST", newer, signed.easypost(newer)));
    expect(a.status).toBe("applied");
    const older = easypostTracking({ tracking: "EZ-OOO-1", status: "pre_transit", at: "2026-12-01T10:00:00Z" });
    const b = await decided(await s.post("EASYPOST", older, signed.easypost(older)));
    expect(b.status).toBe("stale");
    expect(s.odoo.inbound.pickings.get(picking.id)).toMatchObject({ carrier_status: "in_transit", carrier_status_at: "2026-12-02T10:00:00Z" });
  });

  it("delivered followed by a late in_transit (Shippo, HMAC): the shipment stays delivered", async () => {
    const picking = s.odoo.inbound.addDeliveryOrder("SHIPPO", { tracking: "9205590164917312751089" });
    const delivered = shippoTracking({ tracking: "9205590164917312751089", status: "DELIVERED", at: "2026-12-03T15:00:00Z" });
    expect((await decided(await s.post("SHIPPO", delivered, signed.shippo(delivered)))).status).toBe("applied");
    const late = shippoTracking({ tracking: "9205590164917312751089", status: "TRANSIT", at: "2026-12-03T16:00:00Z" });
    const doc = await decided(await s.post("SHIPPO", late, signed.shippo(late)));
    expect(doc.status).toBe("stale");
    expect(s.odoo.inbound.pickings.get(picking.id)!.carrier_status).toBe("delivered");
  });

  it("a carrier exception raises an activity for a person (AfterShip)", async () => {
    const picking = s.odoo.inbound.addDeliveryOrder("AFTERSHIP", { tracking: "JD014600003828" });
    const body = aftershipTracking({ tracking: "JD014600003828", tag: "Exception", at: "2026-12-02T08:00:00+01:00" });
    const doc = await decided(await s.post("AFTERSHIP", body, signed.aftership(body)));
    expect(doc.status).toBe("exception");
    expect(activitiesOf("stock.picking", picking.id).map((a) => a.summary)).toEqual([`Carrier: exception for ${picking.name}`]);
    // The carrier's news is recorded too.
    expect(s.odoo.inbound.pickings.get(picking.id)!.carrier_status).toBe("exception");
  });

  it("a burst of tracking updates for one shipment reaches Odoo as its state changes, in the order they happened", async () => {
    const picking = s.odoo.inbound.addDeliveryOrder("EASYPOST", { tracking: "EZ-BURST-1" });
    const statuses = [...Array(8).fill("in_transit"), ...Array(3).fill("out_for_delivery"), "delivered"];
    const bodies = statuses.map((status, i) => easypostTracking({ tracking: "EZ-BURST-1", status, at: new Date(Date.UTC(2026, 11, 2, 8, i)).toISOString().replace(".000Z", "Z") }));
    // Posted in a scrambled order while the worker is held (so the whole burst is waiting,
    // whatever the machine's speed; normally the coalescing window collects it).
    const order = [3, 11, 0, 7, 9, 1, 10, 2, 8, 4, 6, 5];
    await s.sidecar.inbound.worker.stop();
    const answers = await Promise.all(order.map((i) => s.post("EASYPOST", bodies[i]!, signed.easypost(bodies[i]!))));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    s.sidecar.inbound.worker.start();
    const ids = answers.map(documentIdOf);
    await waitFor(() => ids.every((id) => !["received", "pending"].includes(row(id).status)), "the burst to be decided");
    const sent = s.odoo.inbound.calls.flat().filter((e) => e.subject_ref === "EZ-BURST-1");
    expect(sent.map((e) => (e.data as { status: string }).status)).toEqual(["in_transit", "out_for_delivery", "delivered"]);
    expect(ids.map((id) => row(id).status).filter((x) => x === "coalesced")).toHaveLength(9);
    expect(s.odoo.inbound.pickings.get(picking.id)!.carrier_status).toBe("delivered");
  });
});

describe("carrier webhooks, decoded after the answer", () => {
  it("a signed EasyPost webhook the decoder cannot read is answered 202, then kept rejected with the reason in quarantine; nothing reaches Odoo", async () => {
    const before = s.odoo.inbound.snapshot();
    const calls = s.odoo.inbound.calls.length;
    // A tracker without its tracking code: the envelope is EasyPost's, the content is not usable.
    const body = JSON.stringify({ object: "Event", id: "evt_undecodable_1", mode: "production", description: "tracker.updated", result: { object: "Tracker", status: "in_transit", carrier: "USPS" } });
    const answer = await s.post("EASYPOST", body, signed.easypost(body));
    expect(answer.status).toBe(202);
    expect(answer.json()).toMatchObject({ status: "received", duplicate: false, event_id: null });
    const doc = await decided(answer);
    expect(doc).toMatchObject({ status: "rejected", type: "(undecoded)", messageId: "evt_undecodable_1", detail: expect.stringContaining("not decodable") });
    expect(doc.detail).toContain("tracking_code");
    const list = await fetch(`${s.url}/admin/inbound/quarantine?partner=EASYPOST`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const quarantined = (await list.json()) as { documents: { document_id: number; status: string }[] };
    expect(quarantined.documents).toContainEqual(expect.objectContaining({ document_id: doc.id, status: "rejected" }));
    // Sent again, it is the same document, not a second one.
    expect((await s.post("EASYPOST", body, signed.easypost(body))).json()).toMatchObject({ document_id: doc.id, duplicate: true, status: "rejected" });
    expect(s.odoo.inbound.calls.length).toBe(calls);
    expect(s.odoo.inbound.snapshot()).toBe(before);
  });

  it("a webhook stored while an earlier one of the same shipment waits to be decoded goes after it", async () => {
    const picking = s.odoo.inbound.addDeliveryOrder("EASYPOST", { tracking: "EZ-ORDER-1" });
    await s.sidecar.inbound.worker.stop();
    const first = easypostTracking({ tracking: "EZ-ORDER-1", status: "in_transit", at: "2026-12-02T08:00:00Z" });
    const second = easypostTracking({ tracking: "EZ-ORDER-1", status: "delivered", at: "2026-12-02T09:00:00Z" });
    const answers = [await s.post("EASYPOST", first, signed.easypost(first)), await s.post("EASYPOST", second, signed.easypost(second))];
    expect(answers.map((a) => (a.json() as { status: string }).status)).toEqual(["received", "received"]);
    s.sidecar.inbound.worker.start();
    const ids = answers.map(documentIdOf);
    await waitFor(() => ids.every((id) => !["received", "pending"].includes(row(id).status)), "both decided");
    const sent = s.odoo.inbound.calls.flat().filter((e) => e.subject_ref === "EZ-ORDER-1");
    expect(sent.map((e) => (e.data as { status: string }).status)).toEqual(["in_transit", "delivered"]);
    expect(s.odoo.inbound.pickings.get(picking.id)!.carrier_status).toBe("delivered");
  });
});

describe("redeliveries, test mode, outages", () => {
  it("the same webhook delivered five times is applied once", async () => {
    s.odoo.inbound.addDeliveryOrder("EASYPOST", { tracking: "EZ-FIVE-1" });
    const body = easypostTracking({ tracking: "EZ-FIVE-1", status: "in_transit", at: "2026-12-02T10:00:00Z", id: "evt_five_times_1" });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await s.post("EASYPOST", body, signed.easypost(body)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(answers.map((a) => (a.json() as { duplicate: boolean }).duplicate)).toEqual([false, true, true, true, true]);
    const doc = await decided(answers[0]!);
    expect(doc).toMatchObject({ status: "applied", receipts: 5 });
    expect(s.odoo.inbound.calls.flat().filter((e) => e.subject_ref === "EZ-FIVE-1")).toHaveLength(1);
    // A redelivery after it was applied answers with the outcome.
    const again = await s.post("EASYPOST", body, signed.easypost(body));
    expect(again.json()).toMatchObject({ duplicate: true, status: "applied" });
  });

  it("five Shippo deliveries of one body (no message id: deduplicated on the body hash), five at once", async () => {
    s.odoo.inbound.addDeliveryOrder("SHIPPO", { tracking: "SHIPPO-FIVE-1" });
    const body = shippoTracking({ tracking: "SHIPPO-FIVE-1", status: "TRANSIT", at: "2026-12-02T10:00:00Z" });
    const answers = await Promise.all(Array.from({ length: 5 }, () => s.post("SHIPPO", body, signed.shippo(body))));
    expect(answers.filter((a) => (a.json() as { duplicate: boolean }).duplicate)).toHaveLength(4);
    const doc = await decided(answers[0]!);
    expect(doc.receipts).toBe(5);
    expect(s.odoo.inbound.calls.flat().filter((e) => e.subject_ref === "SHIPPO-FIVE-1")).toHaveLength(1);
  });

  it("test-mode documents (real EasyPost mode:test fixture) never reach Odoo for a production partner, and are applied for a test partner", async () => {
    const body = fixture("webhooks/easypost/tracking-webhook.json");
    const before = s.odoo.inbound.calls.length;
    const prod = await s.post("EASYPOST", body, signed.easypost(body));
    expect(prod.status).toBe(202);
    // Carrier webhooks are answered once stored; decoding (which finds the test mode) follows.
    expect(prod.json()).toMatchObject({ status: "received", duplicate: false, event_id: null });
    expect((await decided(prod)).status).toBe("test_skipped");
    const picking = s.odoo.inbound.addDeliveryOrder("EASYPOST-TEST", { tracking: "EZ4000000004" });
    // A test partner's test documents are applied only by a database that accepts them (a test database).
    s.odoo.inbound.acceptTestDocuments = true;
    const test = await decided(await s.post("EASYPOST-TEST", body, signed.easypost(body, SECRETS.EASYPOST_TEST)));
    expect(test.status).toBe("applied");
    expect(s.odoo.inbound.pickings.get(picking.id)!.carrier_status).toBe("delivered");
    expect(s.odoo.inbound.calls.slice(before).flat().map((e) => e.partner)).toEqual(["EASYPOST-TEST"]);
    s.odoo.inbound.acceptTestDocuments = false;
    // Shippo test: true and cXML deploymentMode="test" likewise.
    const shippo = shippoTracking({ tracking: "SHIPPO-TEST-1", status: "TRANSIT", at: "2026-12-02T10:00:00Z", test: true });
    expect((await decided(await s.post("SHIPPO", shippo, signed.shippo(shippo)))).status).toBe("test_skipped");
    const po = s.approvedPo("WOODCORNER");
    const cxmlTest = await s.post("WOODCORNER", cxmlConfirmation({ po: po.name, type: "reject", deploymentMode: "test" }), signed.xml());
    expect(cxmlTest.text).toContain("not applied (test_skipped)");
    await new Promise((r) => setTimeout(r, 100));
    expect(s.odoo.inbound.ackState(po.id).supplier_status).toBeNull();
    expect(s.odoo.inbound.calls.slice(before).flat().map((e) => e.partner)).toEqual(["EASYPOST-TEST"]);
  });

  it("while Odoo is unreachable documents are taken and kept; they are applied once it is back", async () => {
    const po = s.approvedPo("WOODCORNER");
    s.odoo.down = true;
    try {
      const answer = await s.post("WOODCORNER", cxmlConfirmation({ po: po.name, type: "accept" }), signed.xml());
      expect(answer.status).toBe(200);
      const id = documentIdOf(answer);
      await waitFor(() => row(id).attempts >= 2, "two failed attempts", 20_000);
      expect(row(id)).toMatchObject({ status: "pending", lastError: expect.stringContaining("HTTP 500") });
      expect(s.sidecar.health()).toMatchObject({ inbound: { last_error: expect.stringContaining("HTTP 500") } });
    } finally {
      s.odoo.down = false;
    }
    await waitFor(() => s.odoo.inbound.ackState(po.id).supplier_status === "accepted", "the acknowledgement applied after the outage", 20_000);
  });
});

describe("other formats", () => {
  it("a canonical supplier.order_acknowledged signed with Standard Webhooks", async () => {
    const po = s.approvedPo("CANON");
    const example = JSON.parse(readFileSync(join(import.meta.dirname, "../../contracts/v1/examples/supplier.order_acknowledged.json"), "utf8"));
    example.data.po_number = po.name;
    example.subject.ref = po.name;
    const body = JSON.stringify(example);
    const doc = await decided(await s.post("CANON", body, signed.standard(body)));
    expect(doc.status).toBe("applied");
    expect(s.odoo.inbound.ackState(po.id).supplier_status).toBe("changed");
    // A canonical body that breaks the contract is refused at the door.
    example.id = "0b7e4c1e-5a0f-4f57-9d8e-000000000001";
    example.data.status = "maybe";
    const bad = JSON.stringify(example);
    const refused = await s.post("CANON", bad, signed.standard(bad));
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({ error: { code: "invalid_event" } });
  });

  it("Shippo with the URL token baseline", async () => {
    s.odoo.inbound.addDeliveryOrder("SHIPPO-TOKEN", { tracking: "SHIPPO-TOK-1" });
    const body = shippoTracking({ tracking: "SHIPPO-TOK-1", status: "TRANSIT", at: "2026-12-02T10:00:00Z" });
    expect((await s.post("SHIPPO-TOKEN", body, { "content-type": "application/json" }, "?token=wrong-token-0123456789")).status).toBe(401);
    const doc = await decided(await s.post("SHIPPO-TOKEN", body, { "content-type": "application/json" }, `?token=${SECRETS.SHIPPO_TOKEN}`));
    expect(doc).toMatchObject({ status: "applied", verification: "url_token" });
  });

  it("an EasyPost event with nothing to apply (batch.created) is acknowledged and kept as ignored", async () => {
    const body = fixture("webhooks/easypost/post_json_example.json");
    const answer = await s.post("EASYPOST", body, signed.easypost(body));
    expect(answer.status).toBe(202);
    expect(answer.json()).toMatchObject({ status: "received" });
    expect(await decided(answer)).toMatchObject({ status: "ignored", type: "ignored", detail: expect.stringContaining("batch.created") });
  });
});
