import type { DecodeResult } from "../decode-result.ts";
import { bodyHashId } from "../events/envelope.ts";
import type { CarrierTrackingUpdated, TrackingLocation } from "../events/inbound.ts";
import { fail, guard, refuse, type RawDocument } from "../result.ts";
import { easypostStatus } from "../vocabulary/shipment-status.ts";
import { at, isObject, optArray, optString, optTime, parseJsonBody, reqString } from "./json.ts";
import { trackingEvent } from "./tracking-event.ts";

/**
 * EasyPost webhook `Event` → carrier.tracking_updated. Only tracker events carry tracking;
 * batch, shipment, refund ... events and tracker events without a `result` are acknowledged
 * and ignored (EasyPost disables endpoints that keep failing).
 */

const TRACKER_EVENTS = new Set(["tracker.created", "tracker.updated"]);

export function locationFrom(value: unknown, keys: { city: string; state: string; postal: string; country: string }): TrackingLocation | null {
  if (!isObject(value)) return null;
  const location: TrackingLocation = {
    city: optString(value, keys.city),
    state: optString(value, keys.state),
    postal_code: optString(value, keys.postal),
    country: optString(value, keys.country),
  };
  return Object.values(location).some((v) => v !== null) ? location : null;
}

/** `parsedBody`: the body already parsed from `raw` by the caller (it is not parsed twice). */
export function decodeEasypostEvent(raw: RawDocument, parsedBody?: { ok: true; value: unknown }): DecodeResult {
  return guard<DecodeResult>(() => {
    const parsed = parsedBody ?? parseJsonBody(raw);
    if (!parsed.ok) return parsed;
    const body = parsed.value;
    if (at(body, "object") !== "Event") return refuse("unsupported_document", 'not an EasyPost Event (object is not "Event")', { path: "object" });
    const eventId = optString(body, "id");
    const messageId = eventId ?? bodyHashId(raw);
    const testMode = at(body, "mode") === "test";
    const description = optString(body, "description") ?? "(none)";
    if (!TRACKER_EVENTS.has(description)) return { ok: true, kind: "ignored", reason: `EasyPost ${description} events carry no tracking`, messageId, testMode };
    const tracker = at(body, "result");
    if (!isObject(tracker)) return { ok: true, kind: "ignored", reason: `EasyPost ${description} event has no result (tracker) to apply`, messageId, testMode };
    if (at(tracker, "object") !== "Tracker") return { ok: true, kind: "ignored", reason: `EasyPost ${description} result is not a Tracker`, messageId, testMode };

    const trackingCode = reqString(tracker, "tracking_code", "result.tracking_code");
    const statusCode = reqString(tracker, "status", "result.status");
    const status = easypostStatus(statusCode);
    if (!status.ok) fail("unknown_code", status.message, { path: "result.status" });
    // tracking_details are chronological; the last one is the scan that produced this status.
    const details = optArray(tracker, "tracking_details");
    const last = details.length > 0 ? details[details.length - 1] : undefined;
    const occurred = last === undefined ? null : optTime(last, "datetime", `result.tracking_details.${details.length - 1}.datetime`);
    const data: CarrierTrackingUpdated = {
      aggregator: "easypost",
      carrier: optString(tracker, "carrier"),
      tracking_number: trackingCode,
      status: status.value,
      partner_status: statusCode,
      status_detail: optString(tracker, "status_detail") ?? optString(last, "status_detail"),
      occurred_at: occurred,
      estimated_delivery: optTime(tracker, "est_delivery_date", "result.est_delivery_date"),
      location: locationFrom(at(last, "tracking_location"), { city: "city", state: "state", postal: "zip", country: "country" }),
      test_mode: testMode || at(tracker, "mode") === "test",
      partner_message_id: eventId,
      partner_tracker_id: optString(tracker, "id"),
      reference: null,
      signed_by: optString(tracker, "signed_by"),
      public_url: optString(tracker, "public_url"),
    };
    return trackingEvent({
      format: "easypost",
      data,
      trackingNumber: trackingCode,
      messageId,
      fromPartner: !!eventId,
      testMode: data.test_mode,
      occurredAt: occurred?.utc ?? optTime(tracker, "updated_at", "result.updated_at")?.utc ?? null,
    });
  });
}
