import type { DecodeResult } from "../decode-result.ts";
import { bodyHashId } from "../events/envelope.ts";
import type { CarrierTrackingUpdated } from "../events/inbound.ts";
import { fail, guard, refuse, type RawDocument } from "../result.ts";
import { shippoStatus } from "../vocabulary/shipment-status.ts";
import { locationFrom } from "./easypost-tracking.ts";
import { at, isObject, optString, optTime, parseJsonBody, reqString } from "./json.ts";
import { trackingEvent } from "./tracking-event.ts";

/**
 * Shippo `track_updated` webhook → carrier.tracking_updated. Two payload shapes exist: the
 * current `{event, test, data}` and the older docs sample with `metadata`, `carrier`, `test`
 * at the top level and `data.carrier: null`; both are read. Shippo sends no message id, so
 * the dedupe key is the body hash.
 */
export function decodeShippoWebhook(raw: RawDocument): DecodeResult {
  return guard<DecodeResult>(() => {
    const parsed = parseJsonBody(raw);
    if (!parsed.ok) return parsed;
    const body = parsed.value;
    const event = optString(body, "event");
    if (event === null) return refuse("unsupported_document", "not a Shippo webhook (needs event and data)", { path: "event" });
    const track = at(body, "data");
    const messageId = bodyHashId(raw);
    const testMode = at(body, "test") === true || at(track, "test") === true;
    // Other events (transaction_*, batch_*) are acknowledged whatever their body holds:
    // Shippo's own API reference shows them without a data object.
    if (event !== "track_updated") return { ok: true, kind: "ignored", reason: `Shippo ${event} events carry no tracking`, messageId, testMode };
    if (!isObject(track)) return refuse("unsupported_document", "a Shippo track_updated webhook needs a data object (the Track)", { path: "data" });

    const trackingNumber = reqString(track, "tracking_number", "data.tracking_number");
    const current = at(track, "tracking_status");
    if (!isObject(current)) fail("invalid_document", "data.tracking_status is missing", { path: "data.tracking_status" });
    const statusCode = reqString(current, "status", "data.tracking_status.status");
    const status = shippoStatus(statusCode, optString(current, "substatus.code"));
    if (!status.ok) fail("unknown_code", status.message, { path: "data.tracking_status.status" });
    const occurred = optTime(current, "status_date", "data.tracking_status.status_date");
    const data: CarrierTrackingUpdated = {
      aggregator: "shippo",
      carrier: optString(track, "carrier") ?? optString(body, "carrier"),
      tracking_number: trackingNumber,
      status: status.value,
      partner_status: statusCode,
      status_detail: optString(current, "status_details") ?? optString(current, "substatus.text"),
      occurred_at: occurred,
      estimated_delivery: optTime(track, "eta", "data.eta"),
      location: locationFrom(at(current, "location"), { city: "city", state: "state", postal: "zip", country: "country" }),
      test_mode: testMode,
      partner_message_id: null,
      partner_tracker_id: optString(current, "object_id"),
      reference: optString(track, "metadata") ?? optString(body, "metadata"),
      signed_by: null,
      public_url: null,
    };
    return trackingEvent({ format: "shippo", data, trackingNumber, messageId, fromPartner: false, testMode, occurredAt: occurred?.utc ?? null });
  });
}
