import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DecodeResult } from "../decode-result.ts";
import type { SupplierOrderAcknowledged, SupplierShipmentNoticed } from "../events/inbound.ts";
import { contractsDir, readDocument } from "../test-support/fixtures.ts";
import { parseXml } from "../xml/safe-xml.ts";
import { buildCxmlResponse, decodeCxml, decodeCxmlResponse, encodeCxml, redactCxmlSecrets, type CxmlOrderOptions } from "./index.ts";

const options: CxmlOrderOptions = {
  from: { domain: "NetworkID", identity: "YOURCOMPANY" },
  to: { domain: "NetworkID", identity: "WOODCORNER" },
  sharedSecret: "s3cret",
  billTo: { name: "YourCompany", street: ["250 Executive Park Blvd"], city: "San Francisco", state: "CA", postalCode: "94134", country: "US" },
};

const confirmedExample = () => JSON.parse(readFileSync(join(contractsDir, "examples/purchase_order.confirmed.json"), "utf8"));

function ack(result: DecodeResult): SupplierOrderAcknowledged {
  if (!result.ok || result.kind !== "event" || result.event.type !== "supplier.order_acknowledged") throw new Error(JSON.stringify(result));
  return result.event.data;
}

function asn(result: DecodeResult): SupplierShipmentNoticed {
  if (!result.ok || result.kind !== "event" || result.event.type !== "supplier.shipment_noticed") throw new Error(JSON.stringify(result));
  return result.event.data;
}

function cxml(request: string, header = ""): string {
  return `<?xml version="1.0"?><cXML payloadID="t@x" timestamp="2026-11-26T10:00:00Z"><Header>${header}</Header><Request>${request}</Request></cXML>`;
}

describe("cXML ConfirmationRequest → supplier.order_acknowledged", () => {
  it("splits a line into accepted and backordered portions (6+4 style) and calls the order partially accepted", () => {
    const data = ack(decodeCxml(readDocument("cxml_confirmation_partial.xml")));
    expect(data).toMatchObject({ po_number: "P00042", partner_document_id: "CONF-778", version: 1, status: "partially_accepted", operation: "new", note: "Oak panels partly backordered" });
    expect(data.order_message_ref).toBe("0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d@odoo-distribution-connector");
    const [desk, oak] = data.lines;
    expect(desk).toMatchObject({ line_number: 10, status: "accepted", quantities: { accepted: 3 } });
    expect(desk!.portions[0]!.promised_shipment_date).toMatchObject({ kind: "date", local: "2026-12-01" });
    expect(desk!.portions[0]!.promised_delivery?.start?.utc).toBe("2026-12-03T07:00:00Z");
    expect(oak).toMatchObject({ line_number: 20, status: "backordered", ordered_quantity: 22.5, uom: "KGM", quantities: { accepted: 20, backordered: 2.5 } });
    expect(oak!.portions[1]).toMatchObject({ status: "backordered", comment: "next mill run" });
    expect(oak!.portions[1]!.promised_delivery?.start?.local).toBe("2026-12-17");
  });

  it("reads an update that replaces the previous acknowledgement: price change, substitution, rejected line", () => {
    const result = decodeCxml(readDocument("cxml_confirmation_update_price_substitution.xml"));
    const data = ack(result);
    expect(data).toMatchObject({ operation: "update", version: 2, partner_document_id: "CONF-778", previous_document_ref: "1764151200.4711@woodcorner.example", status: "changed" });
    expect(data.lines[0]!.portions[0]).toMatchObject({
      status: "changed",
      partner_status: "detail",
      unit_price: { amount: 465, currency: "EUR" },
      substitution: { supplier_part: "WC-DESK-CMB2", description: "Desk Combination, 2027 model" },
    });
    expect(data.lines[1]).toMatchObject({ line_number: 20, status: "rejected", quantities: { rejected: 22.5 } });
    expect(result.ok && result.kind === "event" && result.event.testMode).toBe(true);
  });

  it("refuses statuses that do not add up to the line quantity, naming the line", () => {
    const result = decodeCxml(readDocument("cxml_confirmation_quantity_mismatch.xml"));
    expect(result).toMatchObject({
      ok: false,
      code: "inconsistent_quantities",
      reason: "ConfirmationStatus quantities add up to 9, not the line quantity 10, for line 10",
      path: "cXML/Request/ConfirmationRequest/ConfirmationItem",
      line: 8,
    });
  });

  it("refuses a `reject` confirmation that lists items, accepts a bare one", () => {
    expect(decodeCxml(readDocument("cxml_confirmation_reject_with_items.xml"))).toMatchObject({ ok: false, code: "invalid_document", reason: expect.stringContaining('"reject" must not list ConfirmationItem') });
    expect(ack(decodeCxml(readDocument("cxml_confirmation_reject.xml")))).toMatchObject({ status: "rejected", note: "credit hold", lines: [] });
  });

  it.each([
    ["type rejected (not valid cXML)", `<ConfirmationHeader type="rejected" noticeDate="2026-01-01"/><OrderReference orderID="P1"/>`, "unknown_code", /ConfirmationHeader@type "rejected"/],
    ["missing noticeDate", `<ConfirmationHeader type="accept"/><OrderReference orderID="P1"/>`, "invalid_document", /noticeDate is missing/],
    ["unreadable noticeDate", `<ConfirmationHeader type="accept" noticeDate="soon"/><OrderReference orderID="P1"/>`, "invalid_document", /noticeDate "soon" is not a date/],
    ["operation delete", `<ConfirmationHeader type="accept" operation="delete" noticeDate="2026-01-01"/><OrderReference orderID="P1"/>`, "invalid_document", /not new or update/],
    ["missing OrderReference", `<ConfirmationHeader type="accept" noticeDate="2026-01-01"/>`, "invalid_document", /OrderReference is missing/],
    [
      "unknown unit",
      `<ConfirmationHeader type="accept" noticeDate="2026-01-01"/><OrderReference orderID="P1"/><ConfirmationItem quantity="1" lineNumber="1"><UnitOfMeasure>PIECES</UnitOfMeasure><ConfirmationStatus type="accept" quantity="1"><UnitOfMeasure>C62</UnitOfMeasure></ConfirmationStatus></ConfirmationItem>`,
      "unknown_code",
      /Rec 20 "PIECES"/,
    ],
    [
      "accept header with a backordered line",
      `<ConfirmationHeader type="accept" noticeDate="2026-01-01"/><OrderReference orderID="P1"/><ConfirmationItem quantity="1" lineNumber="1"><UnitOfMeasure>C62</UnitOfMeasure><ConfirmationStatus type="backordered" quantity="1"><UnitOfMeasure>C62</UnitOfMeasure></ConfirmationStatus></ConfirmationItem>`,
      "invalid_document",
      /only allows accepted items/,
    ],
    [
      "a line listed twice",
      `<ConfirmationHeader type="detail" noticeDate="2026-01-01"/><OrderReference orderID="P1"/>${'<ConfirmationItem quantity="1" lineNumber="7"><UnitOfMeasure>C62</UnitOfMeasure><ConfirmationStatus type="accept" quantity="1"><UnitOfMeasure>C62</UnitOfMeasure></ConfirmationStatus></ConfirmationItem>'.repeat(2)}`,
      "invalid_document",
      /line 7 appears in more than one ConfirmationItem/,
    ],
    [
      "a negative quantity",
      `<ConfirmationHeader type="detail" noticeDate="2026-01-01"/><OrderReference orderID="P1"/><ConfirmationItem quantity="1" lineNumber="1"><UnitOfMeasure>C62</UnitOfMeasure><ConfirmationStatus type="accept" quantity="2"><UnitOfMeasure>C62</UnitOfMeasure></ConfirmationStatus><ConfirmationStatus type="reject" quantity="-1"><UnitOfMeasure>C62</UnitOfMeasure></ConfirmationStatus></ConfirmationItem>`,
      "invalid_document",
      /quantity -1 is negative/,
    ],
    [
      "a non-numeric line number",
      `<ConfirmationHeader type="detail" noticeDate="2026-01-01"/><OrderReference orderID="P1"/><ConfirmationItem quantity="1" lineNumber="A1"><UnitOfMeasure>C62</UnitOfMeasure><ConfirmationStatus type="accept" quantity="1"><UnitOfMeasure>C62</UnitOfMeasure></ConfirmationStatus></ConfirmationItem>`,
      "invalid_document",
      /lineNumber "A1" is not a positive whole number/,
    ],
  ])("refuses %s", (_name, body, code, reason) => {
    const result = decodeCxml(cxml(`<ConfirmationRequest>${body}</ConfirmationRequest>`));
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it("reads paper confirmed in reams (Rec 20 RM), as office-supply partners send it", () => {
    const body = `<ConfirmationRequest><ConfirmationHeader type="detail" noticeDate="2026-01-01T08:00:00-05:00"/><OrderReference orderID="P7"/><ConfirmationItem quantity="20" lineNumber="1"><UnitOfMeasure>RM</UnitOfMeasure><ConfirmationStatus type="accept" quantity="20"><UnitOfMeasure>RM</UnitOfMeasure></ConfirmationStatus></ConfirmationItem></ConfirmationRequest>`;
    const data = ack(decodeCxml(cxml(body)));
    expect(data.lines[0]).toMatchObject({ line_number: 1, uom: "RM", quantities: { accepted: 20 } });
  });

  it("maps partner unit codes through the partner's table", () => {
    const body = `<ConfirmationRequest><ConfirmationHeader type="accept" noticeDate="2026-01-01"/><OrderReference orderID="P1"/><ConfirmationItem quantity="2" lineNumber="1"><UnitOfMeasure>PCE</UnitOfMeasure><ConfirmationStatus type="accept" quantity="2"><UnitOfMeasure>PCE</UnitOfMeasure></ConfirmationStatus></ConfirmationItem></ConfirmationRequest>`;
    const data = ack(decodeCxml(cxml(body), { units: { overrides: { PCE: "C62" } } }));
    expect(data.lines[0]!.uom).toBe("C62");
  });
});

describe("cXML ShipNoticeRequest → supplier.shipment_noticed", () => {
  it("reads several portions (one per order), serials, batches, carrier and tracking URL", () => {
    const data = asn(decodeCxml(readDocument("cxml_shipnotice_two_orders.xml")));
    expect(data).toMatchObject({ shipment_id: "WC-SHP-5531", operation: "new", shipment_type: "actual", fulfillment: "partial", carrier: { scac: "UPSN", name: "UPS" } });
    expect(data.tracking_numbers).toEqual([{ number: "1Z999AA10123456784", url: "https://www.ups.com/track?tracknum=1Z999AA10123456784" }]);
    expect(data.portions.map((p) => [p.po_number, p.lines_known, p.lines.length])).toEqual([
      ["P00042", true, 2],
      ["P00043", true, 1],
    ]);
    expect(data.portions[0]!.lines[0]).toMatchObject({ line_number: 10, supplier_part: "WC-DESK-CMB", buyer_part: "FURN_7800", quantity: 3, uom: "C62", serials: ["DSK-0001", "DSK-0002", "DSK-0003"] });
    expect(data.portions[0]!.lines[1]).toMatchObject({ line_number: 20, quantity: 20, uom: "KGM", lots: [{ lot: "OAK-2026-11", expiry_date: "2028-01-31", best_before_date: null }] });
    expect(data.portions[1]!.lines[0]).toMatchObject({ quantity: 1.25, uom: "LTR" });
  });

  it("reads a delete that points at the notice it revokes", () => {
    expect(asn(decodeCxml(readDocument("cxml_shipnotice_delete.xml")))).toMatchObject({ shipment_id: "WC-SHP-5531", operation: "delete", previous_document_ref: "asn-5531@woodcorner.example", portions: [] });
  });

  it("reads an update", () => {
    const body = `<ShipNoticeRequest><ShipNoticeHeader shipmentID="S1" operation="update" noticeDate="2026-01-02"><DocumentReference payloadID="asn-1"/></ShipNoticeHeader><ShipNoticePortion><OrderReference orderID="P1"/></ShipNoticePortion></ShipNoticeRequest>`;
    expect(asn(decodeCxml(cxml(body)))).toMatchObject({ operation: "update", previous_document_ref: "asn-1", portions: [{ po_number: "P1", lines_known: false }] });
  });

  it.each([
    ["an unknown operation", `<ShipNoticeHeader shipmentID="S1" operation="replace" noticeDate="2026-01-02"/>`, /operation "replace" is not one of new, update, delete/],
    ["a missing shipmentID", `<ShipNoticeHeader noticeDate="2026-01-02"/>`, /shipmentID is missing/],
    ["an item without quantity", `<ShipNoticeHeader shipmentID="S1" noticeDate="2026-01-02"/><ShipNoticePortion><OrderReference orderID="P1"/><ShipNoticeItem lineNumber="1"><UnitOfMeasure>C62</UnitOfMeasure></ShipNoticeItem></ShipNoticePortion>`, /quantity is missing/],
  ])("refuses %s", (_name, body, reason) => {
    const result = decodeCxml(cxml(`<ShipNoticeRequest>${body}</ShipNoticeRequest>`));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe("cXML documents that are not well-formed (as seen in the wild)", () => {
  it("refuses an unescaped & with its line, and the refusal fits a Status 400 answer", () => {
    const result = decodeCxml(readDocument("cxml_shipnotice_not_well_formed.xml"));
    expect(result).toMatchObject({ ok: false, code: "not_well_formed", line: 12 });
    if (result.ok) return;
    const answer = buildCxmlResponse({ code: 400, message: result.reason, payloadId: "r@sidecar", timestamp: new Date("2026-01-01T00:00:00Z") });
    expect(decodeCxmlResponse(answer)).toMatchObject({ ok: true, status: { code: 400, message: result.reason } });
  });

  it.each([
    ["truncated in the middle", (x: string) => x.slice(0, x.length / 2)],
    ["a closing tag missing", (x: string) => x.replace("</ShipNoticePortion>", "")],
    ["two roots", (x: string) => `${x}<cXML/>`],
  ])("refuses a document %s", (_name, damage) => {
    const good = readDocument("cxml_shipnotice_two_orders.xml").toString("utf8");
    expect(decodeCxml(damage(good))).toMatchObject({ ok: false, code: "not_well_formed", line: expect.any(Number) });
  });
});

describe("cXML Response (synchronous answer)", () => {
  it("builds a Response that reads back with its status code", () => {
    const xml = buildCxmlResponse({ code: 400, message: "ConfirmationItem quantities do not add up", payloadId: "r-1@sidecar", timestamp: new Date("2026-11-26T10:00:00Z") });
    expect(xml).toContain('<Status code="400" text="Bad Request">ConfirmationItem quantities do not add up</Status>');
    expect(decodeCxmlResponse(xml)).toMatchObject({ ok: true, payloadId: "r-1@sidecar", accepted: false, retryable: false, status: { code: 400, message: "ConfirmationItem quantities do not add up" } });
    expect(decodeCxmlResponse(buildCxmlResponse({ code: 200, payloadId: "r-2", timestamp: new Date() }))).toMatchObject({ ok: true, accepted: true, status: { text: "OK" } });
    expect(decodeCxmlResponse(buildCxmlResponse({ code: 503, payloadId: "r-3", timestamp: new Date() }))).toMatchObject({ ok: true, retryable: true });
  });

  it("escapes what it echoes", () => {
    const xml = buildCxmlResponse({ code: 400, message: `bad <ItemOut> & "quotes"`, payloadId: "r", timestamp: new Date() });
    expect(decodeCxmlResponse(xml)).toMatchObject({ ok: true, status: { message: `bad <ItemOut> & "quotes"` } });
  });

  it("refuses a Response without a Status code", () => {
    expect(decodeCxmlResponse(`<cXML payloadID="x" timestamp="2026-01-01T00:00:00Z"><Response><Status text="OK"/></Response></cXML>`)).toMatchObject({ ok: false, reason: expect.stringMatching(/code is missing/) });
  });
});

describe("cXML OrderRequest (outbound)", () => {
  it("encodes purchase_order.confirmed with lineNumber, Rec 20 units, dates and money currency", () => {
    const result = encodeCxml(confirmedExample(), options);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.contentType).toBe("text/xml; charset=utf-8");
    const body = result.body;
    expect(body).toContain('<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.063/cXML.dtd">');
    expect(body).toContain('payloadID="0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d@odoo-distribution-connector"');
    expect(body).toContain('<OrderRequestHeader orderID="P00042" orderDate="2026-11-26T09:12:00+00:00" type="new" orderVersion="1">');
    expect(body).toContain('<ItemOut quantity="22.5" lineNumber="20" requestedDeliveryDate="2026-12-03">');
    expect(body).toContain("<UnitOfMeasure>KGM</UnitOfMeasure>");
    expect(body).toContain('<Money currency="EUR">450.00</Money>');
    expect(body).toContain("<SharedSecret>s3cret</SharedSecret>");
    expect(body).not.toContain("DocumentReference");
    expect(parseXml(body).ok).toBe(true);
  });

  it.each([
    ["purchase_order.changed", "update"],
    ["purchase_order.cancelled", "delete"],
  ])("%s becomes type=%s with a DocumentReference to the previous version", (type, orderType) => {
    const event = { ...confirmedExample(), type, sequence: 3, id: "11111111-1111-4111-8111-111111111111" };
    const result = encodeCxml(event, { ...options, previousEventId: "0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.body).toContain(`type="${orderType}" orderVersion="3"`);
    expect(result.body).toContain('<DocumentReference payloadID="0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d@odoo-distribution-connector"/>');
    const back = decodeCxml(result.body);
    expect(back.ok && back.kind === "order" && back.order).toMatchObject({ operation: orderType, version: 3, previous_message_ref: "0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d@odoo-distribution-connector" });
  });

  it("writes the requested delivery date in the supplier's time zone when configured", () => {
    const event = confirmedExample();
    event.data.lines[0].planned_date = "2026-12-03T23:30:00Z";
    const result = encodeCxml(event, { ...options, deliveryDateTimeZone: "Europe/Brussels" });
    expect(result.ok && result.body).toContain('lineNumber="10" requestedDeliveryDate="2026-12-04"');
  });

  it("sends the partner's own unit code when it has one", () => {
    const result = encodeCxml(confirmedExample(), { ...options, units: { overrides: { EA: "C62" } } });
    expect(result.ok && result.body).toContain("<UnitOfMeasure>EA</UnitOfMeasure>");
  });

  it("escapes text from Odoo and drops characters XML cannot carry", () => {
    const event = confirmedExample();
    event.data.lines[0].description = 'Desk <"deluxe"> & chair\u0001';
    const result = encodeCxml(event, options);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.body).toContain("Desk &lt;\"deluxe\"&gt; &amp; chair</Description>");
    const back = decodeCxml(result.body);
    expect(back.ok && back.kind === "order" && back.order.lines[0]!.description).toBe('Desk <"deluxe"> & chair');
  });

  it.each([
    ["an event that is not a purchase order", { ...confirmedExample(), type: "shipment.ready" }, "invalid_event", "type"],
    ["a line without unit", (() => { const e = confirmedExample(); delete e.data.lines[1].uom; return e; })(), "invalid_event", "data.lines.1.uom"],
    ["a unit we do not know", (() => { const e = confirmedExample(); e.data.lines[1].uom = "QQQ"; return e; })(), "unknown_code", "data.lines.1.uom"],
    ["no event at all", null, "invalid_event", undefined],
  ])("refuses %s", (_name, event, code, path) => {
    const result = encodeCxml(event, options);
    expect(result).toMatchObject({ ok: false, code });
    if (path && !result.ok) expect(result.path).toBe(path);
  });

  it("refuses without the partner's shared secret or BillTo", () => {
    expect(encodeCxml(confirmedExample(), { ...options, sharedSecret: "" })).toMatchObject({ ok: false, code: "missing_option" });
  });

  it("is deterministic: the same event gives the same bytes (a retry keeps its payloadID)", () => {
    const a = encodeCxml(confirmedExample(), options);
    const b = encodeCxml(confirmedExample(), options);
    expect(a).toEqual(b);
  });
});

describe("cXML credentials stay out of logs and events", () => {
  it("redacts SharedSecret in a document kept for logs, and decoded events never carry it", () => {
    const raw = readDocument("cxml_confirmation_partial.xml").toString("utf8");
    const redacted = redactCxmlSecrets(raw);
    expect(raw).toContain("s3cret-wood");
    expect(redacted).not.toContain("s3cret-wood");
    expect(redacted).toContain("<SharedSecret>[redacted]</SharedSecret>");
    expect(decodeCxml(redacted)).toEqual(decodeCxml(raw.replace("s3cret-wood", "[redacted]")));
    expect(JSON.stringify(decodeCxml(raw))).not.toContain("s3cret-wood");
  });
});
