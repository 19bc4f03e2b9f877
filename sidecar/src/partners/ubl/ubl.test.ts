import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DecodeResult } from "../decode-result.ts";
import type { SupplierOrderAcknowledged, SupplierShipmentNoticed } from "../events/inbound.ts";
import { contractsDir, readDocument } from "../test-support/fixtures.ts";
import { decodeUbl, encodeUbl, type UblOrderOptions } from "./index.ts";

const options: UblOrderOptions = {
  buyer: { endpointId: "5400000000024", endpointScheme: "0088", name: "YourCompany SA" },
  seller: { endpointId: "0477472701", endpointScheme: "0208" },
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

const NS = `xmlns="urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"`;
const response = (code: string, lines = "") =>
  `<OrderResponse ${NS}><cbc:ID>R1</cbc:ID><cbc:IssueDate>2026-11-27</cbc:IssueDate><cbc:OrderResponseCode>${code}</cbc:OrderResponseCode><cac:OrderReference><cbc:ID>P00042</cbc:ID></cac:OrderReference>${lines}</OrderResponse>`;

describe("UBL OrderResponse → supplier.order_acknowledged", () => {
  it("reads legacy numeric header codes and every line code: accepted, rejected, added, already delivered", () => {
    const result = decodeUbl(readDocument("ubl_orderresponse_legacy_codes.xml"));
    const data = ack(result);
    expect(data).toMatchObject({ po_number: "P00042", partner_document_id: "OR-9001", partner_status: "30", status: "changed" });
    expect(data.issued_at?.utc).toBe("2026-11-27T07:15:00Z");
    expect(data.lines.map((l) => [l.line_number, l.partner_line_id, l.status, l.portions[0]!.partner_status, l.quantities])).toEqual([
      [10, "10", "accepted", "5", { accepted: 3 }],
      [20, "20", "rejected", "7", { rejected: 22.5 }],
      [null, "S-1", "added", "1", { added: 1 }],
      [30, "30", "accepted", "42", {}],
    ]);
    expect(data.lines[2]!.portions[0]!.unit_price).toEqual({ amount: 12, currency: "EUR" });
    expect(data.lines[2]!.supplier_part).toBe("WC-KIT");
    if (result.ok && result.kind === "event") expect(result.event.occurredAt).toBe("2026-11-27T07:15:00Z");
  });

  it.each([
    ["AB", "acknowledged_only"], ["AP", "accepted"], ["RE", "rejected"], ["12", "acknowledged_only"], ["29", "accepted"], ["27", "rejected"], ["CA", "changed"],
  ])("header code %s without lines → %s", (code, status) => {
    expect(ack(decodeUbl(response(code))).status).toBe(status);
  });

  it("divides a price given per BaseQuantity", () => {
    const line = `<cac:OrderLine><cac:LineItem><cbc:ID>1</cbc:ID><cbc:LineStatusCode>3</cbc:LineStatusCode><cac:Price><cbc:PriceAmount currencyID="EUR">50</cbc:PriceAmount><cbc:BaseQuantity unitCode="C62">10</cbc:BaseQuantity></cac:Price></cac:LineItem><cac:OrderLineReference><cbc:LineID>10</cbc:LineID></cac:OrderLineReference></cac:OrderLine>`;
    expect(ack(decodeUbl(response("CA", line))).lines[0]!.portions[0]!.unit_price).toEqual({ amount: 5, currency: "EUR" });
  });

  it.each([
    ["an unknown header code", response("XX"), "unknown_code", /UNCL4343 OrderResponseCode "XX"/],
    ["an unknown line code (2 = deleted is not in the Peppol subset)", response("CA", `<cac:OrderLine><cac:LineItem><cbc:ID>1</cbc:ID><cbc:LineStatusCode>2</cbc:LineStatusCode></cac:LineItem><cac:OrderLineReference><cbc:LineID>1</cbc:LineID></cac:OrderLineReference></cac:OrderLine>`), "unknown_code", /UNCL1229 LineStatusCode "2"/],
    ["a changed line with no order line reference", response("CA", `<cac:OrderLine><cac:LineItem><cbc:ID>1</cbc:ID><cbc:LineStatusCode>3</cbc:LineStatusCode></cac:LineItem></cac:OrderLine>`), "invalid_document", /LineID is missing/],
    ["a quantity without unitCode", response("CA", `<cac:OrderLine><cac:LineItem><cbc:ID>1</cbc:ID><cbc:LineStatusCode>3</cbc:LineStatusCode><cbc:Quantity>4</cbc:Quantity></cac:LineItem><cac:OrderLineReference><cbc:LineID>1</cbc:LineID></cac:OrderLineReference></cac:OrderLine>`), "invalid_document", /Quantity has no unitCode/],
    ["no OrderResponseCode", `<OrderResponse ${NS}><cbc:ID>R1</cbc:ID><cac:OrderReference><cbc:ID>P1</cbc:ID></cac:OrderReference></OrderResponse>`, "invalid_document", /OrderResponseCode is missing/],
    ["the wrong namespace", `<OrderResponse xmlns="urn:example"><ID>1</ID></OrderResponse>`, "unsupported_document", /not in the UBL 2 namespace/],
  ])("refuses %s", (_name, xml, code, reason) => {
    const result = decodeUbl(xml);
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) {
      expect(result.reason).toMatch(reason);
      expect(result.line).toBeGreaterThanOrEqual(1);
    }
  });
});

describe("UBL OrderResponse: several response lines for one order line (T76: allowed; LineItem/ID unique)", () => {
  const responseLine = (id: string, code: string, orderLine: string, quantity?: string, date?: string) =>
    `<cac:OrderLine><cac:LineItem><cbc:ID>${id}</cbc:ID><cbc:LineStatusCode>${code}</cbc:LineStatusCode>` +
    (quantity ? `<cbc:Quantity unitCode="C62">${quantity}</cbc:Quantity>` : "") +
    (date ? `<cac:Delivery><cac:PromisedDeliveryPeriod><cbc:StartDate>${date}</cbc:StartDate><cbc:EndDate>${date}</cbc:EndDate></cac:PromisedDeliveryPeriod></cac:Delivery>` : "") +
    `</cac:LineItem><cac:OrderLineReference><cbc:LineID>${orderLine}</cbc:LineID></cac:OrderLineReference></cac:OrderLine>`;

  it("a changed line plus an added delivery for the same order line: both kept, the added one flagged as added", () => {
    const data = ack(decodeUbl(response("CA", responseLine("1", "3", "4", "18", "2026-12-15") + responseLine("2", "1", "4", "12", "2027-01-15"))));
    expect(data.status).toBe("changed");
    expect(data.lines.map((l) => [l.line_number, l.partner_line_id, l.status, l.quantities])).toEqual([
      [4, "1", "changed", { changed: 18 }],
      [4, "2", "added", { added: 12 }],
    ]);
    expect(data.lines[1]!.portions[0]!.promised_delivery?.start?.local).toBe("2027-01-15");
  });

  it("two changed lines for one order line become two portions of that line", () => {
    const data = ack(decodeUbl(response("CA", responseLine("7", "3", "10", "6", "2026-12-15") + responseLine("8", "3", "10", "4", "2027-01-15") + responseLine("9", "5", "20"))));
    expect(data.lines.map((l) => [l.line_number, l.partner_line_id, l.status, l.quantities])).toEqual([
      [10, "7", "changed", { changed: 10 }],
      [20, "9", "accepted", {}],
    ]);
    expect(data.lines[0]!.portions.map((p) => [p.quantity, p.promised_delivery?.start?.local])).toEqual([
      [6, "2026-12-15"],
      [4, "2027-01-15"],
    ]);
  });

  it.each([
    ["a response line id used twice", responseLine("1", "3", "10", "6") + responseLine("1", "3", "20", "4"), /response line id 1 is used twice/],
    ["an order line answered twice when one answer states no quantity", responseLine("1", "5", "10") + responseLine("2", "3", "10", "4"), /order line 10 is answered by several response lines/],
  ])("refuses %s", (_name, lines, reason) => {
    const result = decodeUbl(response("CA", lines));
    expect(result).toMatchObject({ ok: false, code: "invalid_document" });
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe("UBL DespatchAdvice → supplier.shipment_noticed", () => {
  it("keeps despatch line ids apart from order line ids, groups lines by order, reads decimal weights, lots, serials", () => {
    const result = decodeUbl(readDocument("ubl_despatch_split_lines.xml"));
    const data = asn(result);
    expect(data).toMatchObject({ shipment_id: "DA-77", gross_weight: { value: 48.75, uom: "KGM" }, carrier: { name: "DHL Freight" }, tracking_numbers: [{ number: "JVGL0612345678", url: null }] });
    expect(data.shipment_date?.utc).toBe("2026-12-02T06:00:00Z");
    expect(data.delivery_date?.local).toBe("2026-12-03");
    expect(data.portions.map((p) => p.po_number)).toEqual(["P00042", "P00043"]);
    const [a, b] = data.portions[0]!.lines;
    expect(a).toMatchObject({ partner_line_id: "3A", line_number: 20, order_line_ref: "20", quantity: 12.345, uom: "KGM", lots: [{ lot: "OAK-A", expiry_date: "2028-01-31" }], handling_units: ["376141000000000018"] });
    expect(b).toMatchObject({ partner_line_id: "3B", line_number: 20, quantity: 8.155, outstanding_quantity: 2, outstanding_reason: "next mill run", lots: [{ lot: "OAK-B" }] });
    expect(a!.quantity + b!.quantity).toBeCloseTo(20.5, 9);
    expect(data.portions[1]!.lines[0]).toMatchObject({ line_number: 10, gtin: "05400000000031", serials: ["DSK-0101", "DSK-0102"] });
    // UUID present: it is the dedupe key
    if (result.ok && result.kind === "event") expect(result.event.messageId).toBe("4a2f7d3e-2c1b-4e8f-9a0d-1b2c3d4e5f60");
  });

  it("keeps a non-numeric order line reference as written, with no line number", () => {
    const xml = readDocument("ubl_despatch_split_lines.xml").toString("utf8").replace("<cbc:LineID>20</cbc:LineID>", "<cbc:LineID>20-A</cbc:LineID>");
    const line = asn(decodeUbl(xml)).portions[0]!.lines[0]!;
    expect(line).toMatchObject({ line_number: null, order_line_ref: "20-A" });
  });

  it("refuses a line that names no order when the header names none either", () => {
    const xml = readDocument("ubl_despatch_split_lines.xml")
      .toString("utf8")
      .replace("<cac:OrderReference><cbc:ID>P00042</cbc:ID></cac:OrderReference>\n  <cac:Shipment>", "<cac:Shipment>")
      .replace("<cac:OrderReference><cbc:ID>P00042</cbc:ID></cac:OrderReference></cac:OrderLineReference>", "</cac:OrderLineReference>");
    expect(decodeUbl(xml)).toMatchObject({ ok: false, code: "invalid_document", reason: expect.stringMatching(/names no order/), path: "DespatchAdvice/DespatchLine[1]" });
  });
});

describe("UBL Order (outbound, Peppol BIS 3)", () => {
  it("encodes purchase_order.confirmed with Peppol identifiers, endpoints, units and prices", () => {
    const result = encodeUbl(confirmedExample(), options);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const body = result.body;
    expect(body).toContain("<cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:order:3</cbc:CustomizationID>");
    expect(body).toContain("<cbc:ProfileID>urn:fdc:peppol.eu:poacc:bis:ordering:3</cbc:ProfileID>");
    expect(body).toContain('<cbc:EndpointID schemeID="0088">5400000000024</cbc:EndpointID>');
    expect(body).toContain('<cbc:EndpointID schemeID="0208">0477472701</cbc:EndpointID>');
    expect(body).toContain("<cbc:RegistrationName>Wood Corner</cbc:RegistrationName>");
    expect(body).toContain('<cbc:Quantity unitCode="KGM">22.5</cbc:Quantity>');
    expect(body).toContain('<cbc:LineExtensionAmount currencyID="EUR">1575.00</cbc:LineExtensionAmount>');
    expect(body).toContain('<cbc:PayableAmount currencyID="EUR">1905.75</cbc:PayableAmount>');
    // element order matters in UBL: IssueDate before OrderTypeCode before parties before lines
    const order = ["<cbc:ID>P00042", "<cbc:IssueDate>", "<cbc:OrderTypeCode>", "<cac:BuyerCustomerParty>", "<cac:SellerSupplierParty>", "<cac:AnticipatedMonetaryTotal>", "<cac:OrderLine>"];
    const positions = order.map((s) => body.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("reads back its own Order", () => {
    const result = encodeUbl(confirmedExample(), options);
    if (!result.ok) throw new Error(result.reason);
    const back = decodeUbl(result.body);
    expect(back.ok && back.kind).toBe("order");
    if (!back.ok || back.kind !== "order") return;
    expect(back.order).toMatchObject({ po_number: "P00042", currency: "EUR", total: 1575 });
    expect(back.order.lines.map((l) => [l.line_number, l.supplier_part, l.buyer_part, l.quantity, l.uom, l.unit_price, l.requested_delivery?.local])).toEqual([
      [10, "WC-DESK-CMB", "FURN_7800", 3, "C62", 450, "2026-12-03"],
      [20, null, "FURN_0001", 22.5, "KGM", 10, "2026-12-03"],
    ]);
  });

  it.each([
    ["purchase_order.changed", "<OrderChange "],
    ["purchase_order.cancelled", "<OrderCancellation "],
  ])("sends %s as a Peppol %s document, never a second Order", (type, root) => {
    const result = encodeUbl({ ...confirmedExample(), type }, options);
    expect(result.ok && result.body).toContain(root);
    expect(result.ok && result.body).not.toContain("<Order ");
  });

  it("refuses without Peppol endpoints", () => {
    expect(encodeUbl(confirmedExample(), { ...options, seller: { endpointId: "", endpointScheme: "0088" } })).toMatchObject({ ok: false, code: "missing_option" });
  });
});
