import type { DecodeResult } from "../decode-result.ts";
import type { CarrierTrackingUpdated } from "../events/inbound.ts";

/** What differs between the aggregators' tracking webhooks once their fields are read. */
export interface TrackingEventParts {
  format: "easypost" | "shippo" | "aftership" | "shipengine";
  data: CarrierTrackingUpdated;
  trackingNumber: string;
  messageId: string;
  /** Whether the aggregator gave the webhook an id of its own, or we hashed the body. */
  fromPartner: boolean;
  testMode: boolean;
  occurredAt: string | null;
}

/** The one shape every carrier decoder answers with: a carrier.tracking_updated event. */
export function trackingEvent(p: TrackingEventParts): DecodeResult {
  return {
    ok: true,
    kind: "event",
    event: {
      type: "carrier.tracking_updated",
      data: p.data,
      messageId: p.messageId,
      messageIdSource: p.fromPartner ? "partner" : "body_hash",
      testMode: p.testMode,
      subjectRef: p.trackingNumber,
      occurredAt: p.occurredAt,
      format: p.format,
    },
  };
}
