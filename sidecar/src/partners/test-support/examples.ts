import { decodeWith } from "../registry.ts";
import { wrapInbound, type CanonicalEnvelope } from "../events/envelope.ts";
import { readDocument } from "./fixtures.ts";

/**
 * The contracts/v1 examples of inbound events are produced by the decoders from our own
 * sample documents; `examples.test.ts` checks they still are, and
 * `npx tsx sidecar/src/partners/test-support/write-examples.ts` rewrites them.
 */
const source = { system: "odoo", database: "distribution", company: { id: 1, name: "YourCompany" } };
const receivedAt = new Date("2026-11-26T09:31:07Z");

export const EXAMPLE_SOURCES: { type: string; format: string; document: string; partner: string; subjectId: number }[] = [
  { type: "supplier.order_acknowledged", format: "cxml", document: "cxml_confirmation_partial.xml", partner: "WOODCORNER", subjectId: 42 },
  { type: "supplier.shipment_noticed", format: "cxml", document: "cxml_shipnotice_two_orders.xml", partner: "WOODCORNER", subjectId: 57 },
  { type: "supplier.document_status", format: "cxml", document: "cxml_status_update.xml", partner: "WOODCORNER", subjectId: 42 },
  { type: "carrier.shipment_booked", format: "easypost", document: "easypost_shipment_bought.json", partner: "EASYPOST", subjectId: 131 },
  { type: "carrier.tracking_updated", format: "shippo", document: "shippo_track_updated_current.json", partner: "SHIPPO", subjectId: 131 },
];

export function buildExample(spec: (typeof EXAMPLE_SOURCES)[number]): CanonicalEnvelope {
  const result = decodeWith(spec.format, readDocument(spec.document));
  if (!result.ok || result.kind !== "event") throw new Error(`${spec.document} did not decode to an event: ${JSON.stringify(result)}`);
  return wrapInbound(result.event, { partner: spec.partner, source, subjectId: spec.subjectId, receivedAt });
}
