import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeCanonical } from "./canonical/index.ts";
import { decodeCxml, encodeCxml, type CxmlOrderOptions } from "./cxml/index.ts";
import type { PurchaseOrderDocument } from "./events/purchase-order-document.ts";
import { decodeUbl, encodeUbl, type UblOrderOptions } from "./ubl/index.ts";
import { aftershipSignature, easypostSignature, shippoSignature, verifyAftershipSignature, verifyEasypostSignature, verifyShippoSignature, verifyStandardWebhook } from "./verify/index.ts";
import { REC20_UNITS } from "./vocabulary/units.ts";

/**
 * Property tests: whatever purchase order Odoo sends, what we write in cXML or UBL reads back
 * with the same important fields; whatever we sign verifies, and one changed byte does not.
 */

const cxmlOptions: CxmlOrderOptions = {
  from: { domain: "NetworkID", identity: "BUYER" },
  to: { domain: "NetworkID", identity: "SUPPLIER" },
  sharedSecret: "s",
  billTo: { name: "Us", street: ["1 Street"], city: "City", country: "BE" },
};
const ublOptions: UblOrderOptions = { buyer: { endpointId: "1", endpointScheme: "0088", name: "Us" }, seller: { endpointId: "2", endpointScheme: "0088" } };

// Codes and references with the characters XML must escape, no edge whitespace (partners trim).
const code = fc.stringMatching(/^[A-Za-z0-9<>&"'_./-]([A-Za-z0-9<>&"' _./-]{0,18}[A-Za-z0-9<>&"'_./-])?$/);
const decimal = (maxInt: number, minInt: number) =>
  fc.tuple(fc.integer({ min: minInt, max: maxInt }), fc.integer({ min: 0, max: 4 })).map(([n, scale]) => n / 10 ** scale);
const utcSeconds = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => `${d.toISOString().slice(0, 19)}Z`);

const line = (lineNumber: number) =>
  fc.record({
    line_number: fc.constant(lineNumber),
    product_code: fc.option(code, { nil: null }),
    vendor_product_code: fc.option(code, { nil: null }),
    description: fc.string({ maxLength: 60, unit: "grapheme" }),
    quantity: decimal(10_000_000, 1),
    uom: fc.constantFrom(...Object.keys(REC20_UNITS)),
    unit_price: decimal(10_000_000, 0),
    planned_date: fc.option(utcSeconds, { nil: null }),
  });

const purchaseOrderEvent = fc
  .record({
    id: fc.uuid(),
    type: fc.constantFrom("purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"),
    sequence: fc.integer({ min: 1, max: 50 }),
    occurred_at: utcSeconds,
    po_number: code,
    currency: fc.constantFrom("EUR", "USD", "NOK", "JPY"),
    order_date: utcSeconds,
    planned_date: fc.option(utcSeconds, { nil: null }),
    lineNumbers: fc.uniqueArray(fc.integer({ min: 1, max: 99_999 }), { minLength: 1, maxLength: 8 }),
  })
  .chain((h) =>
    fc.tuple(...h.lineNumbers.map(line)).map((lines) => ({
      id: h.id,
      type: h.type,
      version: 1,
      occurred_at: h.occurred_at,
      source: { system: "odoo", database: "db", company: { id: 1, name: "Co" } },
      subject: { model: "purchase.order", id: 1, ref: h.po_number },
      sequence: h.sequence,
      data: {
        po_number: h.po_number,
        vendor_reference: null,
        vendor: { id: 7, name: "Vendor & Sons <BV>", partner_code: "V1", vat: null },
        currency: h.currency,
        order_date: h.order_date,
        planned_date: h.planned_date,
        lines,
      },
    })),
  );

type OrderEvent = typeof purchaseOrderEvent extends fc.Arbitrary<infer T> ? T : never;

/** What a description looks like after XML: characters XML cannot carry dropped, edges trimmed. */
function asWritten(text: string): string | null {
  const cleaned = text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "").replace(/\r\n?/g, "\n").trim();
  return cleaned === "" ? null : cleaned;
}

function expectSameOrder(event: OrderEvent, order: PurchaseOrderDocument, format: "cxml" | "ubl") {
  expect(order.po_number).toBe(event.data.po_number);
  expect(order.currency).toBe(format === "ubl" ? event.data.currency : event.data.currency);
  expect(order.order_date?.utc).toBe(event.data.order_date);
  expect(order.lines).toHaveLength(event.data.lines.length);
  event.data.lines.forEach((sent, i) => {
    const read = order.lines[i]!;
    expect(read.line_number).toBe(sent.line_number);
    expect(read.quantity).toBe(sent.quantity);
    expect(read.uom).toBe(sent.uom);
    expect(read.unit_price).toBe(sent.unit_price);
    expect(read.buyer_part).toBe(sent.product_code);
    const planned = sent.planned_date ?? event.data.planned_date;
    expect(read.requested_delivery?.local ?? null).toBe(planned ? planned.slice(0, 10) : null);
    if (format === "cxml") {
      expect(read.supplier_part).toBe(sent.vendor_product_code ?? sent.product_code ?? null);
      expect(read.description).toBe(asWritten(sent.description));
    } else {
      expect(read.supplier_part).toBe(sent.vendor_product_code);
      expect(read.description).toBe(asWritten(sent.description) ?? sent.product_code ?? sent.vendor_product_code ?? "-");
    }
  });
}

describe("encode then decode round-trips the important fields", () => {
  it("cXML OrderRequest (new / update / delete)", () => {
    fc.assert(
      fc.property(purchaseOrderEvent, (event) => {
        const encoded = encodeCxml(event, cxmlOptions);
        if (!encoded.ok) throw new Error(`${encoded.reason} at ${encoded.path}`);
        const decoded = decodeCxml(encoded.body);
        if (!decoded.ok || decoded.kind !== "order") throw new Error(JSON.stringify(decoded));
        expectSameOrder(event, decoded.order, "cxml");
        expect(decoded.order.operation).toBe({ "purchase_order.confirmed": "new", "purchase_order.changed": "update", "purchase_order.cancelled": "delete" }[event.type]);
        expect(decoded.order.version).toBe(event.sequence);
        expect(decoded.messageId).toBe(`${event.id}@odoo-distribution-connector`);
      }),
      { numRuns: 300 },
    );
  });

  it("UBL Order (Peppol BIS 3)", () => {
    fc.assert(
      fc.property(purchaseOrderEvent, (generated) => {
        const event = { ...generated, type: "purchase_order.confirmed" as const };
        const encoded = encodeUbl(event, ublOptions);
        if (!encoded.ok) throw new Error(`${encoded.reason} at ${encoded.path}`);
        const decoded = decodeUbl(encoded.body);
        if (!decoded.ok || decoded.kind !== "order") throw new Error(JSON.stringify(decoded));
        expectSameOrder(event, decoded.order, "ubl");
      }),
      { numRuns: 300 },
    );
  });
});

const flipOneByte = (bytes: Buffer, index: number, bit: number) => {
  const copy = Buffer.from(bytes);
  const i = index % copy.length;
  copy[i] = copy[i]! ^ (1 << bit);
  return copy;
};

describe("sign then verify round-trips; one modified byte fails", () => {
  const secret = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => `whsec_${Buffer.from(b).toString("base64")}`);
  const now = 1_764_149_412;

  it("Standard Webhooks (canonical adapter → verifier), with one or two secrets", () => {
    fc.assert(
      fc.property(fc.uuid(), fc.jsonValue(), fc.array(secret, { minLength: 1, maxLength: 2 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (id, data, secrets, index, bit) => {
        const encoded = encodeCanonical({ id, type: "carrier.tracking_updated", data }, { secrets, timestamp: now });
        if (!encoded.ok) throw new Error(encoded.reason);
        for (const s of secrets) expect(verifyStandardWebhook(encoded.body, encoded.headers, { secrets: [s], now }).ok).toBe(true);
        const tampered = flipOneByte(Buffer.from(encoded.body), index, bit);
        expect(verifyStandardWebhook(tampered, encoded.headers, { secrets, now }).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("EasyPost, AfterShip and Shippo HMACs", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2048 }), fc.string({ minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (raw, key, index, bit) => {
        const body = Buffer.from(raw);
        const tampered = flipOneByte(body, index, bit);
        const easypost = { "x-hmac-signature": easypostSignature(body, key) };
        expect(verifyEasypostSignature(body, easypost, { secrets: [key] }).ok).toBe(true);
        expect(verifyEasypostSignature(tampered, easypost, { secrets: [key] }).ok).toBe(false);
        const aftership = { "aftership-hmac-sha256": aftershipSignature(body, key) };
        expect(verifyAftershipSignature(body, aftership, { secrets: [key] }).ok).toBe(true);
        expect(verifyAftershipSignature(tampered, aftership, { secrets: [key] }).ok).toBe(false);
        const shippo = { "shippo-auth-signature": `t=${now},v1=${shippoSignature(body, key, now)}` };
        expect(verifyShippoSignature(body, shippo, { secrets: [key], now }).ok).toBe(true);
        expect(verifyShippoSignature(tampered, shippo, { secrets: [key], now }).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
