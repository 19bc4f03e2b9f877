import { decodeCanonical, encodeCanonical, type CanonicalEncodeOptions } from "./canonical/index.ts";
import { decodeAftershipWebhook } from "./carriers/aftership-tracking.ts";
import { decodeEasypostShipment, encodeEasypostShipment, type EasypostBookingOptions } from "./carriers/easypost-booking.ts";
import { decodeEasypostEvent } from "./carriers/easypost-tracking.ts";
import { at, isObject, parseJsonBody } from "./carriers/json.ts";
import { decodeShipengineWebhook } from "./carriers/shipengine-tracking.ts";
import { decodeShippoWebhook } from "./carriers/shippo-tracking.ts";
import { decodeCxml, encodeCxml, type CxmlDecodeAllOptions, type CxmlOrderOptions } from "./cxml/index.ts";
import type { DecodeResult } from "./decode-result.ts";
import { guard, refuse, type EncodeResult, type RawDocument, type Refusal } from "./result.ts";
import { decodeUbl, encodeUbl, type UblDecodeAllOptions, type UblOrderOptions } from "./ubl/index.ts";
import { UBL_NS } from "./ubl/common.ts";
import { parseXml } from "./xml/safe-xml.ts";

/**
 * Format name → adapter. Each adapter is a pair of pure functions: `encode` (canonical event
 * → partner document) and/or `decode` (partner document → canonical inbound event). Which
 * adapter a partner uses is its `format` in the partners file.
 */

export const FORMAT_NAMES = ["cxml", "ubl", "easypost", "shippo", "aftership", "shipengine", "canonical"] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export interface PartnerAdapter<EncodeOptions = never, DecodeOptions = never> {
  format: FormatName;
  /** What the adapter sends, for humans and `odc render --help`. */
  encodes: readonly string[];
  /** What the adapter reads. */
  decodes: readonly string[];
  encode?: (event: unknown, options: EncodeOptions) => EncodeResult;
  decode?: (raw: RawDocument, options?: DecodeOptions) => DecodeResult;
}

export interface Adapters {
  cxml: PartnerAdapter<CxmlOrderOptions, CxmlDecodeAllOptions>;
  ubl: PartnerAdapter<UblOrderOptions, UblDecodeAllOptions>;
  easypost: PartnerAdapter<EasypostBookingOptions, never>;
  shippo: PartnerAdapter<never, never>;
  aftership: PartnerAdapter<never, never>;
  shipengine: PartnerAdapter<never, never>;
  canonical: PartnerAdapter<CanonicalEncodeOptions, never>;
}

/** EasyPost posts two kinds of JSON to us: webhook Events, and the Shipment we bought. */
function decodeEasypost(raw: RawDocument): DecodeResult {
  return guard<DecodeResult>(() => {
    const parsed = parseJsonBody(raw);
    if (!parsed.ok) return parsed;
    const object = at(parsed.value, "object");
    return object === "Shipment" || object === "Order" ? decodeEasypostShipment(raw, parsed) : decodeEasypostEvent(raw, parsed);
  });
}

export const adapters: Adapters = {
  cxml: {
    format: "cxml",
    encodes: ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"],
    decodes: ["ConfirmationRequest", "ShipNoticeRequest", "StatusUpdateRequest", "Response", "OrderRequest"],
    encode: encodeCxml,
    decode: decodeCxml,
  },
  ubl: {
    format: "ubl",
    // Peppol BIS 3 Order, Order Change, Order Cancellation.
    encodes: ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"],
    decodes: ["OrderResponse", "DespatchAdvice", "Order"],
    encode: encodeUbl,
    decode: decodeUbl,
  },
  easypost: {
    format: "easypost",
    encodes: ["shipment.ready"],
    decodes: ["Event (tracker.*)", "Shipment", "Order"],
    encode: encodeEasypostShipment,
    decode: decodeEasypost,
  },
  shippo: { format: "shippo", encodes: [], decodes: ["track_updated webhook"], decode: decodeShippoWebhook },
  aftership: { format: "aftership", encodes: [], decodes: ["tracking_update webhook", "GET tracking response"], decode: decodeAftershipWebhook },
  shipengine: { format: "shipengine", encodes: [], decodes: ["API_TRACK webhook"], decode: decodeShipengineWebhook },
  canonical: { format: "canonical", encodes: ["any canonical event"], decodes: ["canonical inbound events"], encode: encodeCanonical, decode: decodeCanonical },
};

export function isFormatName(name: string): name is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(name);
}

export function getAdapter<F extends FormatName>(format: F): Adapters[F] {
  return adapters[format];
}

/**
 * Decodes with the named format's adapter (with the partner's decode options, e.g. its unit
 * table); an unknown name or a format that reads nothing is a refusal.
 */
export function decodeWith(format: string, raw: RawDocument, options?: unknown): DecodeResult {
  if (!isFormatName(format)) return refuse("unsupported_document", `unknown format "${format.slice(0, 40)}" (known: ${FORMAT_NAMES.join(", ")})`);
  const adapter = adapters[format] as PartnerAdapter<unknown, unknown>;
  if (!adapter.decode) return refuse("unsupported_document", `format ${format} decodes nothing`);
  return adapter.decode(raw, options);
}

/** Encodes with the named format's adapter and partner options. */
export function encodeWith(format: string, event: unknown, options: unknown): EncodeResult {
  if (!isFormatName(format)) return refuse("unsupported_event", `unknown format "${format.slice(0, 40)}" (known: ${FORMAT_NAMES.join(", ")})`);
  const adapter = adapters[format] as PartnerAdapter<unknown, unknown>;
  if (!adapter.encode) return refuse("unsupported_event", `format ${format} encodes nothing (it only reads ${adapter.decodes.join(", ")})`);
  return adapter.encode(event, options);
}

export type Detection = { ok: true; format: FormatName; document: string } | Refusal;

/**
 * Which adapter reads a document. XML by its root element (cXML, or a UBL 2 namespace);
 * JSON by the shape each aggregator posts.
 */
export function detect(raw: RawDocument): Detection {
  return guard<Detection>(() => {
    const text = typeof raw === "string" ? raw : Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 64)).toString("utf8");
    if (text.replace(/^\uFEFF/, "").trimStart().startsWith("<")) {
      const parsed = parseXml(raw);
      if (!parsed.ok) return parsed;
      const root = parsed.document.root;
      if (root.name === "cXML") {
        const body = root.children.find((c) => c.name === "Request" || c.name === "Response" || c.name === "Message");
        const document = body?.name === "Response" ? "Response" : (body?.children[0]?.name ?? "cXML");
        return { ok: true, format: "cxml", document };
      }
      if (Object.values(UBL_NS).includes(root.ns as (typeof UBL_NS)[keyof typeof UBL_NS])) return { ok: true, format: "ubl", document: root.name };
      return refuse("unsupported_document", `no adapter reads XML with root ${root.name}${root.ns ? ` in ${root.ns}` : ""}`, { path: root.path, line: root.line });
    }
    const parsed = parseJsonBody(raw);
    if (!parsed.ok) return parsed;
    const body = parsed.value;
    if (!isObject(body)) return refuse("unsupported_document", "JSON body is not an object");
    const object = at(body, "object");
    if (object === "Event" || object === "Shipment" || object === "Order") return { ok: true, format: "easypost", document: String(object) };
    if (isObject(at(body, "msg")) || isObject(at(body, "data.tracking"))) return { ok: true, format: "aftership", document: isObject(at(body, "msg")) ? "webhook" : "tracking" };
    if (typeof at(body, "resource_type") === "string") return { ok: true, format: "shipengine", document: String(at(body, "resource_type")) };
    if (typeof at(body, "event") === "string" && isObject(at(body, "data"))) return { ok: true, format: "shippo", document: String(at(body, "event")) };
    if (typeof at(body, "id") === "string" && typeof at(body, "type") === "string" && at(body, "version") === 1) return { ok: true, format: "canonical", document: String(at(body, "type")) };
    return refuse("unsupported_document", "no adapter recognises this JSON body");
  });
}

/*
 * What the rest of the sidecar uses of the adapters, all through this module: the other
 * folders never import an adapter's files (test/architecture.test.ts checks it).
 */
export type { DecodeResult } from "./decode-result.ts";
export { describeRefusal, refuse, type EncodeResult, type EncodedDocument, type RawDocument, type Refusal } from "./result.ts";
export { encodeCanonicalBatch, signStandardWebhook, type CanonicalEncodeOptions } from "./canonical/index.ts";
export { buildCxmlResponse, CXML_EXTRINSIC_FIELDS, decodeCxmlResponse, redactCxmlSecrets, type CxmlAddress, type CxmlOrderOptions } from "./cxml/index.ts";
export type { UblOrderOptions } from "./ubl/index.ts";
export { readEasypostError, type EasypostBookingOptions } from "./carriers/easypost-booking.ts";
export { carrierMessageId, SPOOLED_FORMATS, type SpoolKey } from "./carriers/message-id.ts";
export { inboundEventId, wrapInbound } from "./events/envelope.ts";
export { INBOUND_EVENT_TYPES, type DecodedInbound, type InboundEvent, type InboundEventType } from "./events/inbound.ts";
export * from "./verify/index.ts";
export { xmlCharacterProblem } from "./xml/xml-chars.ts";
