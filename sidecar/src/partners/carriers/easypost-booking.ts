import type { DecodeResult } from "../decode-result.ts";
import { bodyHashId } from "../events/envelope.ts";
import type { CarrierShipmentBooked } from "../events/inbound.ts";
import { parseEvent, shipmentReadyEventSchema, type ShipmentAddress } from "../events/outbound.ts";
import { fail, guard, refuse, type EncodeResult, type RawDocument } from "../result.ts";
import { convertMeasure } from "../vocabulary/units.ts";
import { at, isObject, optArray, optNumber, optString, parseJsonBody } from "./json.ts";

/**
 * EasyPost label booking. Encode: a `shipment.ready` event becomes the body of
 * `POST /v2/shipments` (one parcel) or `POST /v2/orders` (several parcels, one shipment each),
 * with our picking name as `reference` so webhooks and support tickets lead back to Odoo.
 * Decode: the bought Shipment (or Order) becomes carrier.shipment_booked.
 */

export interface EasypostBookingOptions {
  /** Carrier account ids to rate with; with `service` (event or option) EasyPost buys in one call. */
  carrierAccountIds?: string[];
  /** Service to buy when the event names none (e.g. "Ground"). */
  service?: string;
  /** Label format: PNG (default at EasyPost), PDF, ZPL, EPL2. */
  labelFormat?: "PNG" | "PDF" | "ZPL" | "EPL2";
}

// EasyPost cannot rate without these; Odoo leaves them empty on incomplete contacts.
const REQUIRED_ADDRESS_FIELDS = ["street", "city", "zip", "country"] as const;

function address(a: ShipmentAddress | null, path: string) {
  if (!a) fail("invalid_event", "EasyPost needs a destination address (ship_to is null)", { path });
  for (const field of REQUIRED_ADDRESS_FIELDS) {
    if (!a[field]) fail("invalid_event", `EasyPost needs ${path}.${field}; the contact in Odoo has none`, { path: `${path}.${field}` });
  }
  return {
    name: a.name,
    company: a.company ?? undefined,
    street1: a.street!,
    street2: a.street2 ?? undefined,
    city: a.city!,
    state: a.state ?? undefined,
    zip: a.zip!,
    country: a.country!,
    phone: a.phone ?? undefined,
    email: a.email ?? undefined,
  };
}

// EasyPost wants ounces and inches, to one decimal place at most in practice.
const round2 = (n: number) => Math.round(n * 100) / 100;

export function encodeEasypostShipment(input: unknown, options: EasypostBookingOptions = {}): EncodeResult {
  return guard(() => {
    const parsed = parseEvent(shipmentReadyEventSchema, input);
    if (!parsed.ok) return parsed;
    const event = parsed.event;
    const data = event.data;
    const parcels = data.parcels.map((p, i) => {
      if (p.weight === null) fail("invalid_event", "EasyPost needs a parcel weight; Odoo knows none for this parcel", { path: `data.parcels.${i}.weight` });
      const weight = convertMeasure(p.weight, p.weight_uom, "ONZ");
      if (!weight.ok) fail("unknown_code", `parcel weight unit ${p.weight_uom} is not a weight unit`, { path: `data.parcels.${i}.weight_uom` });
      const parcel: Record<string, number> = { weight: round2(weight.value) };
      const dims = [p.length, p.width, p.height];
      if (dims.some((d) => d !== null && d !== undefined)) {
        if (dims.some((d) => d === null || d === undefined) || !p.dimension_uom) {
          fail("invalid_event", "parcel dimensions need length, width, height and dimension_uom together", { path: `data.parcels.${i}` });
        }
        for (const [key, value] of [["length", p.length], ["width", p.width], ["height", p.height]] as const) {
          const inches = convertMeasure(value!, p.dimension_uom, "INH");
          if (!inches.ok) fail("unknown_code", `parcel dimension unit ${p.dimension_uom} is not a length unit`, { path: `data.parcels.${i}.dimension_uom` });
          parcel[key] = round2(inches.value);
        }
      }
      return parcel;
    });
    const service = data.carrier.service ?? options.service;
    const common = {
      reference: data.picking,
      to_address: address(data.ship_to, "data.ship_to"),
      from_address: address(data.ship_from, "data.ship_from"),
      ...(options.carrierAccountIds?.length ? { carrier_accounts: options.carrierAccountIds } : {}),
      ...(service ? { service } : {}),
      ...(options.labelFormat ? { options: { label_format: options.labelFormat } } : {}),
    };
    const body =
      parcels.length === 1
        ? { shipment: { ...common, parcel: parcels[0] } }
        : { order: { ...common, shipments: parcels.map((parcel) => ({ parcel, reference: data.picking })) } };
    return {
      ok: true,
      contentType: "application/json",
      body: JSON.stringify(body),
      // EasyPost honours Idempotency-Key on create: a retried booking does not buy twice.
      headers: { "idempotency-key": event.id },
    };
  });
}

function bookedShipments(body: unknown): unknown[] {
  if (at(body, "object") === "Order") return optArray(body, "shipments");
  return [body];
}

/** Reads the bought Shipment (or Order) EasyPost answered with. Never throws. */
export function decodeEasypostShipment(raw: RawDocument, parsedBody?: { ok: true; value: unknown }): DecodeResult {
  return guard<DecodeResult>(() => {
    const parsed = parsedBody ?? parseJsonBody(raw);
    if (!parsed.ok) return parsed;
    const body = parsed.value;
    const object = optString(body, "object");
    if (object !== "Shipment" && object !== "Order") return refuse("unsupported_document", 'not an EasyPost Shipment or Order (object is not "Shipment"/"Order")', { path: "object" });
    const shipments = bookedShipments(body);
    if (shipments.length === 0) fail("invalid_document", "Order has no shipments", { path: "shipments" });
    const tracking: string[] = [];
    const labels: CarrierShipmentBooked["labels"] = [];
    for (const [i, shipment] of shipments.entries()) {
      const prefix = object === "Order" ? `shipments.${i}.` : "";
      const code = optString(shipment, "tracking_code");
      const labelUrl = optString(shipment, "postage_label.label_url");
      if (code === null || labelUrl === null) {
        fail("invalid_document", "shipment is not bought yet (no tracking_code or postage_label.label_url); buy a rate first", { path: `${prefix}${code === null ? "tracking_code" : "postage_label.label_url"}` });
      }
      tracking.push(code);
      labels.push({ url: labelUrl, format: optString(shipment, "postage_label.label_file_type") });
    }
    const first = shipments[0];
    const rate = at(first, "selected_rate");
    const amount = optNumber(rate, "rate");
    const id = optString(body, "id");
    const testMode = at(body, "mode") === "test";
    const data: CarrierShipmentBooked = {
      aggregator: "easypost",
      partner_shipment_id: id,
      reference: optString(body, "reference") ?? optString(first, "reference"),
      carrier: optString(rate, "carrier"),
      service: optString(rate, "service"),
      tracking_numbers: tracking,
      labels,
      rate: amount === null || !isObject(rate) ? null : { amount, currency: optString(rate, "currency") },
      test_mode: testMode,
    };
    return {
      ok: true,
      kind: "event",
      event: {
        type: "carrier.shipment_booked",
        data,
        messageId: id ?? bodyHashId(raw),
        messageIdSource: id ? "partner" : "body_hash",
        testMode,
        subjectRef: data.reference ?? tracking[0]!,
        occurredAt: null,
        format: "easypost",
      },
    };
  });
}

/** `{"error": {"code", "message", "errors": [{"field", "message"}]}}`, as EasyPost's API reference documents. */
export function readEasypostError(body: Uint8Array): string | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch {
    return null;
  }
  const error = at(value, "error");
  if (!isObject(error)) return null;
  const fields = optArray(error, "errors")
    .map((e) => [optString(e, "field"), optString(e, "message")].filter(Boolean).join(": "))
    .filter(Boolean)
    .slice(0, 5);
  const head = [optString(error, "code"), optString(error, "message")].filter(Boolean).join(" ");
  return `${head}${fields.length ? ` (${fields.join("; ")})` : ""}`.slice(0, 1_000) || null;
}
