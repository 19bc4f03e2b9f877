import type { DecodeResult } from "../decode-result.ts";
import { bodyHashId } from "../events/envelope.ts";
import type { CarrierTrackingUpdated } from "../events/inbound.ts";
import type { PartnerTime } from "../events/partner-time.ts";
import { fail, guard, refuse, type RawDocument } from "../result.ts";
import { shipengineStatus } from "../vocabulary/shipment-status.ts";
import { locationFrom } from "./easypost-tracking.ts";
import { at, isObject, optArray, optString, optTime, parseJsonBody, reqString } from "./json.ts";
import { trackingEvent } from "./tracking-event.ts";

/**
 * ShipEngine `track` webhook `{resource_url, resource_type: "API_TRACK", data}` →
 * carrier.tracking_updated. Two field generations exist: current (`events[].occurred_at`,
 * `ship_date`) and 2019 (`events[].event_date`, `shipped_date`); both are read. Status codes
 * come upper case from the API and lower case in the public JSON schema.
 */

// Sort key for an event time: the UTC instant when zoned, else the local wall clock.
const sortKey = (t: PartnerTime | null) => (t ? (t.utc ?? t.local) : "");

/**
 * The carrier code named in `resource_url` when `data` has no `carrier_code` (the documented
 * webhook body lists none): `.../v1/tracking?carrier_code=usps&tracking_number=...` today,
 * `.../v1/tracking/usps/<tracking number>` in 2019 payloads.
 */
export function carrierFromResourceUrl(resourceUrl: string | null): string | null {
  if (resourceUrl === null) return null;
  let url: URL;
  try {
    url = new URL(resourceUrl);
  } catch {
    return null;
  }
  const fromQuery = url.searchParams.get("carrier_code")?.trim();
  if (fromQuery) return fromQuery;
  const path = /\/tracking\/([^/]+)\/[^/]+\/?$/.exec(url.pathname);
  return path ? decodeURIComponent(path[1]!) : null;
}

export function decodeShipengineWebhook(raw: RawDocument): DecodeResult {
  return guard<DecodeResult>(() => {
    const parsed = parseJsonBody(raw);
    if (!parsed.ok) return parsed;
    const body = parsed.value;
    const resourceType = optString(body, "resource_type");
    if (resourceType === null) return refuse("unsupported_document", "not a ShipEngine webhook (resource_type is missing)", { path: "resource_type" });
    const messageId = bodyHashId(raw);
    if (resourceType !== "API_TRACK") return { ok: true, kind: "ignored", reason: `ShipEngine ${resourceType} webhooks carry no tracking`, messageId, testMode: false };
    const track = at(body, "data");
    if (!isObject(track)) fail("invalid_document", "data is missing", { path: "data" });
    const trackingNumber = reqString(track, "tracking_number", "data.tracking_number");
    const statusCode = reqString(track, "status_code", "data.status_code");
    const status = shipengineStatus(statusCode);
    if (!status.ok) fail("unknown_code", status.message, { path: "data.status_code" });

    let latest: { event: unknown; time: PartnerTime | null } | null = null;
    for (const [i, event] of optArray(track, "events").entries()) {
      const time = optTime(event, "occurred_at", `data.events.${i}.occurred_at`) ?? optTime(event, "event_date", `data.events.${i}.event_date`);
      if (latest === null || sortKey(time) > sortKey(latest.time)) latest = { event, time };
    }
    const data: CarrierTrackingUpdated = {
      aggregator: "shipengine",
      carrier: optString(track, "carrier_code") ?? carrierFromResourceUrl(optString(body, "resource_url")),
      tracking_number: trackingNumber,
      status: status.value,
      partner_status: statusCode,
      status_detail: optString(track, "status_description") ?? optString(track, "carrier_status_description"),
      occurred_at: latest?.time ?? null,
      estimated_delivery: optTime(track, "estimated_delivery_date", "data.estimated_delivery_date"),
      location: latest ? locationFrom(latest.event, { city: "city_locality", state: "state_province", postal: "postal_code", country: "country_code" }) : null,
      test_mode: false,
      partner_message_id: null,
      partner_tracker_id: null,
      reference: null,
      signed_by: latest ? optString(latest.event, "signer") : null,
      public_url: optString(track, "tracking_url"),
    };
    return trackingEvent({ format: "shipengine", data, trackingNumber, messageId, fromPartner: false, testMode: false, occurredAt: latest?.time?.utc ?? null });
  });
}
