import { describe, expect, it } from "vitest";
import { decodeCxml } from "../cxml/index.ts";
import { readDocument } from "../test-support/fixtures.ts";
import { inboundEventId, uuidV5, wrapInbound } from "./envelope.ts";

const source = { system: "odoo", database: "distribution", company: { id: 1, name: "YourCompany" } };

describe("wrapping a decoded inbound event into the canonical envelope", () => {
  const decoded = () => {
    const result = decodeCxml(readDocument("cxml_confirmation_partial.xml"));
    if (!result.ok || result.kind !== "event") throw new Error("sample does not decode");
    return result.event;
  };

  it("fills source and subject, keeps the document's own time", () => {
    const envelope = wrapInbound(decoded(), { partner: "WOODCORNER", source, subjectId: 42, receivedAt: new Date("2026-11-26T16:00:05.250Z") });
    expect(envelope).toMatchObject({ type: "supplier.order_acknowledged", version: 1, occurred_at: "2026-11-26T16:00:00Z", source, subject: { model: "purchase.order", id: 42, ref: "P00042" }, sequence: 1 });
  });

  it("falls back to the receipt time (whole seconds, UTC) when the document gives no zoned time", () => {
    const event = { ...decoded(), occurredAt: null };
    expect(wrapInbound(event, { partner: "P", source, subjectId: 1, receivedAt: new Date("2026-11-26T16:00:05.250Z") }).occurred_at).toBe("2026-11-26T16:00:05Z");
  });

  it("derives a stable id from partner, format, type and message id: a resent message dedupes, another partner's does not", () => {
    const a = wrapInbound(decoded(), { partner: "WOODCORNER", source, subjectId: 42, receivedAt: new Date() });
    const b = wrapInbound(decoded(), { partner: "WOODCORNER", source, subjectId: 42, receivedAt: new Date(0) });
    const other = wrapInbound(decoded(), { partner: "OTHER", source, subjectId: 42, receivedAt: new Date() });
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(other.id);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(inboundEventId("P", "cxml", "supplier.shipment_noticed", "0c30050@supplierorg.com")).not.toBe(inboundEventId("P", "cxml", "supplier.document_status", "0c30050@supplierorg.com"));
  });

  it("computes RFC 4122 v5 UUIDs (known vector: DNS namespace, www.example.com)", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });
});
