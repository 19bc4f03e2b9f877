import type { DecodeResult } from "../decode-result.ts";
import { bodyHashId } from "../events/envelope.ts";
import type { CarrierTrackingUpdated } from "../events/inbound.ts";
import { toUtcString } from "../events/partner-time.ts";
import { fail, guard, refuse, type RawDocument } from "../result.ts";
import { aftershipStatus } from "../vocabulary/shipment-status.ts";
import { locationFrom } from "./easypost-tracking.ts";
import { at, isObject, optArray, optNumber, optString, optTime, parseJsonBody, reqString } from "./json.ts";
import { trackingEvent } from "./tracking-event.ts";

/**
 * AfterShip tracking webhook `{event, event_id, msg: Tracking, ts}` → carrier.tracking_updated.
 * The same Tracking object also arrives from a GET /trackings poll (`{meta, data: {tracking}}`),
 * which is read the same way. `checkpoint_time` is carrier-local and sometimes has no offset:
 * such a value stays local (no UTC is invented).
 */

const TRACKING_EVENTS = new Set(["tracking_update", "edd_revise"]);

export function decodeAftershipWebhook(raw: RawDocument): DecodeResult {
  return guard<DecodeResult>(() => {
    const parsed = parseJsonBody(raw);
    if (!parsed.ok) return parsed;
    const body = parsed.value;
    let tracking: unknown;
    let eventId: string | null = null;
    let tsSeconds: number | null = null;
    const messageIdOf = () => eventId ?? bodyHashId(raw);
    if (isObject(at(body, "msg"))) {
      eventId = optString(body, "event_id");
      tsSeconds = optNumber(body, "ts");
      const event = optString(body, "event") ?? "(none)";
      if (!TRACKING_EVENTS.has(event)) return { ok: true, kind: "ignored", reason: `AfterShip ${event} events carry no tracking`, messageId: messageIdOf(), testMode: false };
      tracking = at(body, "msg");
    } else if (isObject(at(body, "data.tracking"))) {
      tracking = at(body, "data.tracking");
    } else {
      return refuse("unsupported_document", "not an AfterShip webhook (needs msg) nor a tracking response (needs data.tracking)", { path: "msg" });
    }
    const base = isObject(at(body, "msg")) ? "msg" : "data.tracking";
    const trackingNumber = reqString(tracking, "tracking_number", `${base}.tracking_number`);
    const tag = reqString(tracking, "tag", `${base}.tag`);
    const subtag = optString(tracking, "subtag");
    const status = aftershipStatus(tag, subtag);
    if (!status.ok) fail("unknown_code", status.message, { path: `${base}.tag` });
    // AfterShip lists checkpoints oldest first.
    const checkpoints = optArray(tracking, "checkpoints");
    const lastIndex = checkpoints.length - 1;
    const last = lastIndex >= 0 ? checkpoints[lastIndex] : undefined;
    const occurred = last === undefined ? null : optTime(last, "checkpoint_time", `${base}.checkpoints.${lastIndex}.checkpoint_time`);
    const estimated =
      optTime(tracking, "expected_delivery", `${base}.expected_delivery`) ?? optTime(tracking, "latest_estimated_delivery.datetime", `${base}.latest_estimated_delivery.datetime`);
    // Checkpoints often carry only a free-text `location` ("DONGGUAN CN"); keep it as the city then.
    const structured = last === undefined ? null : locationFrom(last, { city: "city", state: "state", postal: "zip", country: "country_iso3" });
    const freeText = last === undefined ? null : optString(last, "location");
    const location = structured && structured.city === null && freeText ? { ...structured, city: freeText } : (structured ?? (freeText ? { city: freeText, state: null, postal_code: null, country: null } : null));
    const data: CarrierTrackingUpdated = {
      aggregator: "aftership",
      carrier: optString(tracking, "slug"),
      tracking_number: trackingNumber,
      status: status.value,
      partner_status: tag,
      status_detail: optString(tracking, "subtag_message") ?? subtag,
      occurred_at: occurred,
      estimated_delivery: estimated,
      location,
      test_mode: false,
      partner_message_id: eventId,
      partner_tracker_id: optString(tracking, "id"),
      reference: optString(tracking, "order_id") ?? optString(tracking, "order_number"),
      signed_by: optString(tracking, "signed_by"),
      public_url: optString(tracking, "courier_tracking_link"),
    };
    return trackingEvent({
      format: "aftership",
      data,
      trackingNumber,
      messageId: messageIdOf(),
      fromPartner: !!eventId,
      testMode: false,
      occurredAt: occurred?.utc ?? (tsSeconds !== null ? toUtcString(new Date(tsSeconds * 1000)) : null),
    });
  });
}
