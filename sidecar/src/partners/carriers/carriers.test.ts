import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import type { DecodeResult } from "../decode-result.ts";
import type { CarrierShipmentBooked, CarrierTrackingUpdated } from "../events/inbound.ts";
import { contractsDir, partnerFixturesDir, readDocument, readFixture } from "../test-support/fixtures.ts";
import { decodeAftershipWebhook, decodeEasypostEvent, decodeEasypostShipment, decodeShipengineWebhook, decodeShippoWebhook, encodeEasypostShipment } from "./index.ts";

function tracking(result: DecodeResult): CarrierTrackingUpdated {
  if (!result.ok || result.kind !== "event" || result.event.type !== "carrier.tracking_updated") throw new Error(JSON.stringify(result));
  return result.event.data;
}

const shipmentReady = () => JSON.parse(readFileSync(join(contractsDir, "examples/shipment.ready.json"), "utf8"));

describe("EasyPost tracker events", () => {
  it("ignores events about other objects and trackers without data, as a success", () => {
    for (const description of ["batch.created", "shipment.purchased", "refund.successful"]) {
      const result = decodeEasypostEvent(JSON.stringify({ object: "Event", id: "evt_2", mode: "production", description, result: { object: "Batch" } }));
      expect(result).toMatchObject({ ok: true, kind: "ignored", messageId: "evt_2" });
    }
  });

  it("refuses an unknown tracker status instead of guessing", () => {
    const body = { object: "Event", id: "evt_3", description: "tracker.updated", result: { object: "Tracker", tracking_code: "X", status: "teleported" } };
    expect(decodeEasypostEvent(JSON.stringify(body))).toMatchObject({ ok: false, code: "unknown_code", path: "result.status" });
  });

  it("refuses a tracker without tracking code, naming the field", () => {
    const body = { object: "Event", id: "evt_4", description: "tracker.updated", result: { object: "Tracker", status: "delivered" } };
    expect(decodeEasypostEvent(JSON.stringify(body))).toMatchObject({ ok: false, path: "result.tracking_code", reason: "result.tracking_code is missing or empty" });
  });

  it("is not fooled by __proto__ keys", () => {
    const body = '{"object":"Event","id":"evt_5","description":"tracker.updated","result":{"__proto__":{"tracking_code":"X","status":"delivered"},"object":"Tracker"}}';
    expect(decodeEasypostEvent(body)).toMatchObject({ ok: false });
  });
});

describe("Shippo track_updated", () => {
  it("reads the current shape, with the out_for_delivery substatus and our metadata", () => {
    const t = tracking(decodeShippoWebhook(readDocument("shippo_track_updated_current.json")));
    expect(t).toMatchObject({ carrier: "usps", tracking_number: "9205590164917312751089", status: "out_for_delivery", partner_status: "TRANSIT", reference: "WH/OUT/00031", test_mode: false });
    expect(t.estimated_delivery?.utc).toBe("2026-12-03T20:00:00Z");
  });

  it("ignores transaction and batch events", () => {
    expect(decodeShippoWebhook(JSON.stringify({ event: "transaction_created", test: true, data: { object_id: "x" } }))).toMatchObject({ ok: true, kind: "ignored", testMode: true });
  });

  it("ignores a non-tracking event that carries no data object (acknowledge, do not refuse)", () => {
    expect(decodeShippoWebhook(JSON.stringify({ event: "batch_purchased", test: false }))).toMatchObject({ ok: true, kind: "ignored", testMode: false });
    expect(decodeShippoWebhook(JSON.stringify({ event: "track_updated", test: true }))).toMatchObject({ ok: false, code: "unsupported_document", path: "data" });
    expect(decodeShippoWebhook(JSON.stringify({ data: {} }))).toMatchObject({ ok: false, path: "event" });
  });

  it("hashes the body for dedupe (Shippo sends no message id): same body, same key", () => {
    const a = decodeShippoWebhook(readDocument("shippo_track_updated_current.json"));
    const b = decodeShippoWebhook(readDocument("shippo_track_updated_current.json"));
    expect(a.ok && a.kind === "event" && a.event.messageId).toMatch(/^sha256:/);
    expect(a.ok && a.kind === "event" && a.event.messageId).toBe(b.ok && b.kind === "event" && b.event.messageId);
  });
});

describe("AfterShip tracking webhook", () => {
  const tracking_ = () => JSON.parse(readFixture("webhooks/aftership/aftership-sdk-java_GetTrackingResult.json").toString("utf8")).data.tracking;

  it("reads the webhook envelope around the SDK's Tracking object; event_id is the dedupe key", () => {
    const body = { event: "tracking_update", event_id: "6c5b2a8e-3f1d-4c7a-9e0b-2d4f6a8c0e1b", is_tracking_first_tag: false, msg: tracking_(), ts: 1532481000 };
    const result = decodeAftershipWebhook(JSON.stringify(body));
    const t = tracking(result);
    expect(t).toMatchObject({ carrier: "fedex", status: "delivered", partner_message_id: "6c5b2a8e-3f1d-4c7a-9e0b-2d4f6a8c0e1b" });
    expect(result.ok && result.kind === "event" && result.event.messageId).toBe("6c5b2a8e-3f1d-4c7a-9e0b-2d4f6a8c0e1b");
  });

  it("keeps an offset-less checkpoint time local (it is carrier-local time)", () => {
    const msg = tracking_();
    msg.checkpoints.at(-1).checkpoint_time = "2013-04-20T10:10:00";
    const t = tracking(decodeAftershipWebhook(JSON.stringify({ event: "tracking_update", event_id: "e1", msg, ts: 1 })));
    expect(t.occurred_at).toMatchObject({ kind: "local", utc: null, local: "2013-04-20T10:10:00" });
  });

  it("narrows Exception to returned with subtag Exception_011", () => {
    const msg = { ...tracking_(), tag: "Exception", subtag: "Exception_011", subtag_message: "Returned to sender" };
    expect(tracking(decodeAftershipWebhook(JSON.stringify({ event: "tracking_update", event_id: "e2", msg, ts: 1 }))).status).toBe("returned");
  });

  it("ignores other AfterShip events", () => {
    expect(decodeAftershipWebhook(JSON.stringify({ event: "tracking_pending_time", event_id: "e3", msg: {}, ts: 1 }))).toMatchObject({ ok: true, kind: "ignored" });
  });
});

describe("ShipEngine track webhook, both field generations", () => {
  it("current: occurred_at, status DE, the latest event even when listed first", () => {
    const t = tracking(decodeShipengineWebhook(readDocument("shipengine_track_current.json")));
    expect(t).toMatchObject({ carrier: "ups", status: "delivered", partner_status: "DE", signed_by: "VANDAMME", location: { city: "Brussels", postal_code: "1000", country: "BE" } });
    expect(t.occurred_at?.utc).toBe("2026-12-03T10:12:00Z");
  });

  it("2019: event_date and shipped_date, the latest event when listed last", () => {
    const t = tracking(decodeShipengineWebhook(readDocument("shipengine_track_2019.json")));
    expect(t).toMatchObject({ status: "in_transit", status_detail: "In Transit", location: { city: "NASHVILLE" } });
    expect(t.occurred_at?.utc).toBe("2019-07-29T07:10:00Z");
  });

  it("lower-case status codes from the public schema are accepted", () => {
    const body = JSON.parse(readDocument("shipengine_track_current.json").toString("utf8"));
    body.data.status_code = "at";
    expect(tracking(decodeShipengineWebhook(JSON.stringify(body))).status).toBe("attempt_failed");
  });

  it.each([
    ["the current query form", "https://api.shipengine.com/v1/tracking?carrier_code=dhl_express&tracking_number=JD0001", "dhl_express"],
    ["the 2019 path form", "https://api.shipengine.com/v1/tracking/usps/9400100000000000000001", "usps"],
    ["a URL naming no carrier", "https://api.shipengine.com/v1/labels/se-1/track", null],
  ])("takes the carrier from resource_url when data has no carrier_code (%s)", (_name, resourceUrl, carrier) => {
    const body = { resource_url: resourceUrl, resource_type: "API_TRACK", data: { tracking_number: "JD0001", status_code: "IT", events: [] } };
    expect(tracking(decodeShipengineWebhook(JSON.stringify(body))).carrier).toBe(carrier);
  });

  it("ignores non-tracking resources", () => {
    expect(decodeShipengineWebhook(JSON.stringify({ resource_url: "x", resource_type: "API_BATCH" }))).toMatchObject({ ok: true, kind: "ignored" });
  });

  it("our current-generation sample matches ShipEngine's published tracking schema", () => {
    const schema = JSON.parse(readFileSync(join(partnerFixturesDir, "webhooks/shipengine/jsonschema_get_tracking_log_response_body.json"), "utf8"));
    // The published root combines additionalProperties:false with allOf, which rejects any object; the inner schema is the real shape.
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(schema.allOf[0]);
    const data = JSON.parse(readDocument("shipengine_track_current.json").toString("utf8")).data;
    const lowerCase = { ...data, status_code: data.status_code.toLowerCase(), events: data.events.map((e: { status_code: string }) => ({ ...e, status_code: e.status_code.toLowerCase() })) };
    delete (lowerCase as { carrier_code?: unknown }).carrier_code;
    expect(validate({ ...lowerCase, carrier_code: "ups" }), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe("EasyPost booking", () => {
  it("encodes shipment.ready as a create-shipment request: addresses, parcel in oz/in, reference, idempotency key", () => {
    const event = shipmentReady();
    event.data.parcels = [event.data.parcels[0]];
    const result = encodeEasypostShipment(event, { carrierAccountIds: ["ca_123"], labelFormat: "PDF" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const body = JSON.parse(result.body);
    const p = event.data.parcels[0];
    expect(body.shipment.reference).toBe(event.data.picking);
    expect(body.shipment.to_address).toMatchObject({ name: event.data.ship_to.name, street1: event.data.ship_to.street, city: event.data.ship_to.city, country: event.data.ship_to.country });
    expect(body.shipment.carrier_accounts).toEqual(["ca_123"]);
    expect(body.shipment.options).toEqual({ label_format: "PDF" });
    expect(p).toMatchObject({ weight: 12.4, weight_uom: "KGM", length: 600, dimension_uom: "MMT" });
    expect(body.shipment.parcel).toEqual({ weight: 437.4, length: 23.62, width: 15.75, height: 11.81 });
    expect(result.headers["idempotency-key"]).toBe(event.id);
  });

  it("books several parcels as an EasyPost order, one shipment per parcel", () => {
    const result = encodeEasypostShipment(shipmentReady());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const order = JSON.parse(result.body).order;
    expect(order.reference).toBe("WH/OUT/00031");
    expect(order.shipments.map((s: { parcel: unknown }) => s.parcel)).toEqual([{ weight: 437.4, length: 23.62, width: 15.75, height: 11.81 }, { weight: 52.91 }]);
  });

  it.each([
    ["no destination address", (e: { data: { ship_to: unknown } }) => { e.data.ship_to = null; }, "data.ship_to"],
    ["no street on the destination", (e: { data: { ship_to: { street: unknown } } }) => { e.data.ship_to.street = null; }, "data.ship_to.street"],
    ["no parcel weight", (e: { data: { parcels: { weight: unknown }[] } }) => { e.data.parcels[0]!.weight = null; }, "data.parcels.0.weight"],
  ])("refuses %s, naming the field", (_name, mutate, path) => {
    const event = shipmentReady();
    mutate(event);
    expect(encodeEasypostShipment(event)).toMatchObject({ ok: false, code: "invalid_event", path });
  });

  it("decodes the bought shipment into carrier.shipment_booked", () => {
    const result = decodeEasypostShipment(readDocument("easypost_shipment_bought.json"));
    if (!result.ok || result.kind !== "event") throw new Error(JSON.stringify(result));
    const data = result.event.data as CarrierShipmentBooked;
    expect(data).toEqual({
      aggregator: "easypost",
      partner_shipment_id: "shp_5c3b7f0a9e4d4f3e8a1b2c3d4e5f6a7b",
      reference: "WH/OUT/00031",
      carrier: "USPS",
      service: "GroundAdvantage",
      tracking_numbers: ["9400100110368066352811"],
      labels: [{ url: "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20261201/e8example.png", format: "image/png" }],
      rate: { amount: 6.07, currency: "USD" },
      test_mode: true,
    });
    expect(result.event.subjectRef).toBe("WH/OUT/00031");
  });

  it("refuses a shipment that is not bought yet", () => {
    const body = JSON.parse(readDocument("easypost_shipment_bought.json").toString("utf8"));
    delete body.postage_label;
    expect(decodeEasypostShipment(JSON.stringify(body))).toMatchObject({ ok: false, path: "postage_label.label_url", reason: expect.stringMatching(/not bought yet/) });
  });
});
