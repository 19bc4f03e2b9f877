import { describe, expect, it } from "vitest";
import { convert } from "./cli.ts";
import type { DecodeResult } from "./decode-result.ts";
import { wrapInbound } from "./events/envelope.ts";
import type { CarrierTrackingUpdated, SupplierDocumentStatus, SupplierOrderAcknowledged, SupplierShipmentNoticed } from "./events/inbound.ts";
import { decodeWith, detect } from "./registry.ts";
import { contractErrors } from "./test-support/contracts.ts";
import { listPartnerFixtures, readFixture } from "./test-support/fixtures.ts";

/**
 * Every real partner document in test/fixtures/partners, decoded to the canonical event we
 * expect (important fields asserted one by one), or refused with a reason that names what
 * is wrong. A new fixture without an expectation here fails the coverage test.
 */

type Expectation = { format: string; check: (result: DecodeResult) => void };

const source = { system: "odoo", database: "distribution", company: { id: 1, name: "YourCompany" } };

function event<T>(result: DecodeResult, type: string): T {
  if (!result.ok) throw new Error(`refused: ${result.reason} at ${result.path} line ${result.line}`);
  expect(result.kind).toBe("event");
  if (result.kind !== "event") throw new Error("not an event");
  expect(result.event.type).toBe(type);
  // Every decoded event, once wrapped, satisfies its contracts/v1 schema.
  const envelope = wrapInbound(result.event, { partner: "fixture", source, subjectId: 1, receivedAt: new Date("2026-11-26T10:00:00Z") });
  expect(contractErrors(envelope)).toEqual([]);
  return result.event.data as T;
}

function refused(result: DecodeResult, code: string, reason: RegExp, where: { path?: string; line?: number } = {}) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe(code);
  expect(result.reason).toMatch(reason);
  if (where.path !== undefined) expect(result.path).toBe(where.path);
  if (where.line !== undefined) expect(result.line).toBe(where.line);
}

const EXPECTATIONS: Record<string, Expectation> = {
  "cxml/dnas_ConfirmationRequest_detail_accept_2021.xml": {
    format: "cxml",
    check: (r) => {
      const ack = event<SupplierOrderAcknowledged>(r, "supplier.order_acknowledged");
      expect(ack).toMatchObject({ po_number: "269765", status: "accepted", partner_status: "detail", operation: "new", currency: "USD", order_message_ref: "user@email.com" });
      // noticeDate has no zone: kept local, not invented as UTC
      expect(ack.issued_at).toEqual({ raw: "2021-02-23T09:15:50", kind: "local", utc: null, local: "2021-02-23T09:15:50", offset: null });
      expect(ack.lines.map((l) => [l.line_number, l.status, l.ordered_quantity, l.uom, l.quantities.accepted, l.supplier_part])).toEqual([
        [1, "accepted", 2, "EA", 2, "261950"],
        [2, "accepted", 2, "EA", 2, "2271092"],
      ]);
      expect(ack.lines[0]!.portions[0]!.unit_price).toEqual({ amount: 0.5, currency: "USD" });
      // empty payloadID → the dedupe key is the body hash; the -0600 envelope timestamp gives the UTC time
      if (r.ok && r.kind === "event") {
        expect(r.event.messageIdSource).toBe("body_hash");
        expect(r.event.messageId).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(r.event.occurredAt).toBe("2021-02-23T15:15:50Z");
      }
    },
  },
  "cxml/dnas_ConfirmationRequest_template_INVALID.xml": {
    format: "cxml",
    check: (r) => refused(r, "invalid_document", /lineNumber is empty/, { path: "cXML/Request/ConfirmationRequest/ConfirmationItem[1]@lineNumber", line: 30 }),
  },
  "cxml/friendsofcxml_OrderRequest.xml": {
    format: "cxml",
    check: (r) => {
      expect(r.ok && r.kind).toBe("order");
      if (!r.ok || r.kind !== "order") return;
      expect(r.testMode).toBe(true);
      expect(r.order).toMatchObject({ po_number: "DO1234", operation: "new", currency: "EUR", total: 85 });
      expect(r.order.order_date?.utc).toBe("2000-10-13T02:41:29Z");
      expect(r.order.lines.map((l) => [l.line_number, l.supplier_part, l.quantity, l.uom, l.unit_price])).toEqual([
        [1, "1233244", 10, "EA", 2.1],
        [2, "1233245", 20, "EA", 3.2],
      ]);
    },
  },
  "cxml/friendsofcxml_ShipNoticeRequest.xml": {
    format: "cxml",
    check: (r) => {
      const asn = event<SupplierShipmentNoticed>(r, "supplier.shipment_noticed");
      expect(asn).toMatchObject({ shipment_id: "S2-123", operation: "new", note: "Got it all into one shipment." });
      expect(asn.carrier).toMatchObject({ scac: "FDE", name: "Federal Express" });
      expect(asn.tracking_numbers).toEqual([{ number: "8202 8261 1194", url: null }]);
      expect(asn.shipment_date?.utc).toBe("2000-10-14T16:30:19Z");
      expect(asn.delivery_date?.utc).toBe("2000-10-18T17:00:00Z");
      // header-only ASN: the order is named, its contents are unknown (not "everything shipped")
      expect(asn.portions).toEqual([{ po_number: "DO1234", order_message_ref: "32232995@hub.acme.com", lines_known: false, lines: [] }]);
    },
  },
  "cxml/friendsofcxml_StatusUpdateRequest.xml": {
    format: "cxml",
    check: (r) => {
      const status = event<SupplierDocumentStatus>(r, "supplier.document_status");
      expect(status).toEqual({ document_ref: "0c300508b7863dcclb_14999", status_code: 200, status_text: "OK", message: "Forwarded to supplier", outcome: "success" });
    },
  },
  "cxml/officeluv_response_status_200.xml": {
    format: "cxml",
    check: (r) => {
      expect(r.ok && r.kind).toBe("reply");
      if (r.ok && r.kind === "reply") expect(r.reply).toMatchObject({ accepted: true, retryable: false, status: { code: 200, text: "OK" } });
    },
  },
  "cxml/officeluv_response_status_400.xml": {
    format: "cxml",
    check: (r) => {
      expect(r.ok && r.kind).toBe("reply");
      if (r.ok && r.kind === "reply") {
        expect(r.reply).toMatchObject({ accepted: false, retryable: false, status: { code: 400, outcome: "client_error" } });
        expect(r.reply.status.text).toContain("missing required parameter 'document'");
      }
    },
  },
  "ubl/codelist_UNCL1229_LineStatusCode.xml": {
    format: "ubl",
    check: (r) => refused(r, "unsupported_document", /CodeList is not handled/),
  },
  "ubl/codelist_UNCL4343-T76_OrderResponseCode.xml": {
    format: "ubl",
    check: (r) => refused(r, "unsupported_document", /CodeList is not handled/),
  },
  "ubl/peppol_DespatchAdvice_Example.xml": {
    format: "ubl",
    check: (r) => {
      const asn = event<SupplierShipmentNoticed>(r, "supplier.shipment_noticed");
      expect(asn).toMatchObject({ shipment_id: "565899", tracking_numbers: [{ number: "456789", url: null }] });
      expect(asn.shipment_date?.local).toBe("2018-09-25T13:00:00");
      expect(asn.estimated_delivery?.end?.local).toBe("2018-09-27T12:00:00");
      expect(asn.portions).toHaveLength(1);
      expect(asn.portions[0]!.po_number).toBe("AEG012345");
      expect(asn.portions[0]!.lines[0]).toEqual({
        line_number: 1,
        order_line_ref: "1",
        partner_line_id: "1",
        supplier_part: "17589683",
        buyer_part: "6578489",
        gtin: "1234567891234",
        description: "beeswax",
        quantity: 10,
        uom: "C62",
        lots: [{ lot: "546378239", expiry_date: "2010-01-01", best_before_date: "2018-12-01" }],
        serials: ["4558784"],
        outstanding_quantity: 2,
        outstanding_reason: "text",
        handling_units: ["5454"],
      });
    },
  },
  "ubl/peppol_DespatchAdvice_UC1.xml": {
    format: "ubl",
    check: (r) => {
      const asn = event<SupplierShipmentNoticed>(r, "supplier.shipment_noticed");
      expect(asn).toMatchObject({ shipment_id: "1234", gross_weight: { value: 10, uom: "KGM" }, carrier: { name: "CarrierPart" } });
      expect(asn.portions.map((p) => p.po_number)).toEqual(["4321"]);
      expect(asn.portions[0]!.lines.map((l) => [l.line_number, l.supplier_part, l.gtin, l.quantity, l.uom])).toEqual([
        [1, "010120401", "7611104117056", 10, "EA"],
        [2, "010140403", "7622204117051", 10, "EA"],
      ]);
    },
  },
  "ubl/peppol_OrderResponse_Example_CA.xml": {
    format: "ubl",
    check: (r) => {
      const ack = event<SupplierOrderAcknowledged>(r, "supplier.order_acknowledged");
      expect(ack).toMatchObject({ po_number: "11233", partner_document_id: "101", partner_order_id: "101-111", status: "changed", partner_status: "CA", currency: "EUR" });
      expect(ack.promised_delivery?.start?.local).toBe("2013-07-15T12:30:00");
      const [l1, l2, l3] = ack.lines;
      expect(l1).toMatchObject({ line_number: 1, status: "changed", quantities: { changed: 10, backordered: 3 }, uom: "C62", supplier_part: "SN-33" });
      expect(l1!.portions[0]!.unit_price).toEqual({ amount: 1.5, currency: "EUR" });
      expect(l1!.portions[0]!.promised_delivery?.start?.local).toBe("2018-08-10T12:30:00");
      expect(l1!.portions[0]!.substitution).toEqual({ supplier_part: "SN-34", gtin: "7400000001235", description: "Sauce brown, ready", partner_line_id: "12356" });
      // accepted "as ordered": no quantity restated
      expect(l2).toMatchObject({ line_number: 2, status: "accepted", quantities: {} });
      expect(l2!.portions[0]!.quantity).toBeNull();
      expect(l3).toMatchObject({ line_number: 3, status: "changed" });
      expect(l3!.portions[0]!.substitution?.supplier_part).toBe("SN-36");
    },
  },
  "ubl/peppol_OrderResponse_UC3.xml": {
    format: "ubl",
    check: (r) => {
      const ack = event<SupplierOrderAcknowledged>(r, "supplier.order_acknowledged");
      expect(ack).toMatchObject({ po_number: "5", partner_document_id: "4552", status: "rejected", partner_status: "RE", note: "No available translators", lines: [] });
    },
  },
  "ubl/peppol_Order_Example.xml": {
    format: "ubl",
    check: (r) => {
      expect(r.ok && r.kind).toBe("order");
      if (!r.ok || r.kind !== "order") return;
      expect(r.order).toMatchObject({ po_number: "34", currency: "NOK", total: 6525 });
      expect(r.order.lines.map((l) => [l.line_number, l.supplier_part, l.buyer_part, l.gtin, l.quantity, l.uom, l.unit_price])).toEqual([
        [1, "121212", "123456", "7560000012345", 120, "EA", 50],
        [2, "SItemNo011", null, null, 15, "EA", 15],
      ]);
    },
  },
  "ubl/peppol_Order_UC1.xml": {
    format: "ubl",
    check: (r) => {
      expect(r.ok && r.kind).toBe("order");
      if (!r.ok || r.kind !== "order") return;
      expect(r.order).toMatchObject({ po_number: "1", currency: "EUR" });
      expect(r.order.lines.map((l) => [l.supplier_part, l.quantity, l.uom, l.unit_price])).toEqual([
        ["SN-33", 10, "NAR", 4],
        ["SN-34", 5, "NAR", 6],
        ["SN-35", 15, "NAR", 3],
      ]);
    },
  },
  "webhooks/aftership/aftership-sdk-java_GetTrackingResult.json": {
    format: "aftership",
    check: (r) => {
      const t = event<CarrierTrackingUpdated>(r, "carrier.tracking_updated");
      expect(t).toMatchObject({ aggregator: "aftership", carrier: "fedex", tracking_number: "111111111111", status: "delivered", partner_status: "Delivered", signed_by: "..KOSUTOKO" });
      expect(t.occurred_at).toMatchObject({ raw: "2018-07-25T10:10:00+09:00", utc: "2018-07-25T01:10:00Z" });
      expect(t.location).toEqual({ city: "SAPPORO JP", state: null, postal_code: null, country: "JPN" });
    },
  },
  "webhooks/easypost/client-library-fixtures.webhooks-excerpt.json": {
    format: "easypost",
    check: (r) => refused(r, "unsupported_document", /not an EasyPost Event/, { path: "object" }),
  },
  "webhooks/easypost/event-body.json": {
    format: "easypost",
    check: (r) => {
      const t = event<CarrierTrackingUpdated>(r, "carrier.tracking_updated");
      expect(t).toMatchObject({
        aggregator: "easypost",
        carrier: "FedEx",
        tracking_number: "1",
        status: "in_transit",
        status_detail: "arrived_at_facility",
        test_mode: false,
        partner_message_id: "evt_1",
        partner_tracker_id: "trk_1",
      });
      expect(t.occurred_at?.utc).toBe("2024-08-02T18:50:00Z");
      expect(t.estimated_delivery?.utc).toBe("2024-08-05T00:00:00Z");
      expect(t.location).toEqual({ city: "EDISON", state: "NJ", postal_code: "08817", country: "US" });
      if (r.ok && r.kind === "event") expect(r.event.messageId).toBe("evt_1");
    },
  },
  "webhooks/easypost/event_example.json": {
    format: "easypost",
    check: (r) => {
      expect(r.ok && r.kind).toBe("ignored");
      if (r.ok && r.kind === "ignored") {
        expect(r.reason).toMatch(/no result/);
        expect(r.testMode).toBe(true);
        expect(r.messageId).toBe("evt_55a53eb2556b11ed8945059f515d2b6d");
      }
    },
  },
  "webhooks/easypost/post_json_example.json": {
    format: "easypost",
    check: (r) => {
      expect(r.ok && r.kind).toBe("ignored");
      if (r.ok && r.kind === "ignored") expect(r.reason).toMatch(/batch\.created/);
    },
  },
  "webhooks/easypost/tracking-webhook.json": {
    format: "easypost",
    check: (r) => {
      const t = event<CarrierTrackingUpdated>(r, "carrier.tracking_updated");
      expect(t).toMatchObject({ carrier: "UPS", tracking_number: "EZ4000000004", status: "delivered", test_mode: true, signed_by: "John Tester" });
      expect(t.occurred_at?.utc).toBe("2014-11-19T10:51:54Z");
    },
  },
  "webhooks/shipengine/jsonschema_get_tracking_log_response_body.json": {
    format: "shipengine",
    check: (r) => refused(r, "unsupported_document", /resource_type is missing/, { path: "resource_type" }),
  },
  "webhooks/shippo/shippo_docs_webhook_postbody_example_track_updated.json": {
    format: "shippo",
    check: (r) => {
      const t = event<CarrierTrackingUpdated>(r, "carrier.tracking_updated");
      // older shape: carrier and test only at the top level, data.carrier null
      expect(t).toMatchObject({ aggregator: "shippo", carrier: "shippo", tracking_number: "SHIPPO_DELIVERED", status: "delivered", test_mode: true });
      expect(t.occurred_at?.utc).toBe("2020-03-11T07:44:06.471Z");
      expect(t.location).toEqual({ city: "Chicago", state: "IL", postal_code: "60611", country: "US" });
      if (r.ok && r.kind === "event") expect(r.event.messageIdSource).toBe("body_hash");
    },
  },
};

describe("every real partner fixture (test/fixtures/partners)", () => {
  const files = listPartnerFixtures();

  it("has an expectation for every fixture file (a new file needs one)", () => {
    expect(files.filter((f) => !(f in EXPECTATIONS))).toEqual([]);
    expect(Object.keys(EXPECTATIONS).filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(files.filter((f) => f in EXPECTATIONS))("%s decodes as expected", (file) => {
    const expectation = EXPECTATIONS[file]!;
    expectation.check(decodeWith(expectation.format, readFixture(file)));
  });

  it.each(files.filter((f) => f in EXPECTATIONS))("%s through `odc convert`: exit 0 with JSON, or exit 1 with the reason", (file) => {
    const expectation = EXPECTATIONS[file]!;
    const result = decodeWith(expectation.format, readFixture(file));
    const out = convert(expectation.format, readFixture(file));
    if (result.ok) {
      expect(out.exitCode).toBe(0);
      expect(() => JSON.parse(out.stdout)).not.toThrow();
    } else {
      expect(out.exitCode).toBe(1);
      expect(out.stderr).toContain(result.reason);
      if (result.line !== undefined) expect(out.stderr).toContain(`line ${result.line}`);
    }
  });

  it.each(files.filter((f) => f.endsWith(".xml") && !f.includes("codelist")))("%s is detected by its root element", (file) => {
    const detected = detect(readFixture(file));
    expect(detected.ok && detected.format).toBe(EXPECTATIONS[file]!.format);
  });
});
