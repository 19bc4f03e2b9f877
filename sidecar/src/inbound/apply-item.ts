import type { ApplyItem } from "../odoo/inbound.ts";
import { type DecodedInbound, type InboundEvent, inboundEventId } from "../partners/registry.ts";

/**
 * What order is kept on: documents about one purchase order, one supplier shipment, or one
 * carrier shipment are applied one after the other, in the order they arrived. A booking and
 * the tracking updates of its shipment share a subject (the tracking number), so tracking
 * never overtakes the booking that tells Odoo the number.
 */
export function subjectKeyOf(partner: string, decoded: InboundEvent & { subjectRef: string }): string {
  switch (decoded.type) {
    case "supplier.order_acknowledged":
    case "supplier.document_status":
      return `${partner}|po|${decoded.subjectRef}`;
    case "supplier.shipment_noticed":
      return `${partner}|asn|${decoded.subjectRef}`;
    case "carrier.shipment_booked":
      return `${partner}|shipment|${decoded.data.tracking_numbers[0] ?? decoded.subjectRef}`;
    case "carrier.tracking_updated":
      return `${partner}|shipment|${decoded.subjectRef}`;
  }
}

/** UTC ISO with a Z and whole seconds, as the contract's dates are written. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** The apply_events item for a decoded document (contracts/odoo-rpc.md, "Intent methods"). */
export function applyItemOf(partner: string, decoded: DecodedInbound, receivedAt: number): ApplyItem {
  const receivedIso = isoSeconds(receivedAt);
  return {
    event_id: inboundEventId(partner, decoded.format, decoded.type, decoded.messageId),
    type: decoded.type,
    partner,
    format: decoded.format as ApplyItem["format"],
    test_mode: decoded.testMode,
    received_at: receivedIso,
    occurred_at: decoded.occurredAt && /Z$/.test(decoded.occurredAt) ? decoded.occurredAt : receivedIso,
    subject_ref: decoded.subjectRef.slice(0, 256),
    data: decoded.data as unknown as Record<string, unknown>,
  };
}
