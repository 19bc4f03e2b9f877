import type { DecodeResult } from "../decode-result.ts";
import { guard, refuse, type RawDocument } from "../result.ts";
import type { XmlLimits } from "../xml/safe-xml.ts";
import type { CxmlDecodeOptions } from "./common.ts";
import { decodeConfirmationRequest } from "./confirmation-request.ts";
import { readCxmlEnvelope } from "./envelope.ts";
import { decodeOrderRequest, encodeOrderRequest, type CxmlOrderOptions } from "./order-request.ts";
import { decodeShipNoticeRequest } from "./ship-notice-request.ts";
import { decodeStatusUpdateRequest, readResponse } from "./status.ts";

export { buildCxmlResponse, decodeCxmlResponse, type CxmlReply, type CxmlResponseOptions } from "./status.ts";
export { CXML_EXTRINSIC_FIELDS, type CxmlOrderOptions, type CxmlAddress } from "./order-request.ts";
export { redactCxmlSecrets } from "./envelope.ts";
export type { CxmlDecodeOptions } from "./common.ts";

export interface CxmlDecodeAllOptions extends CxmlDecodeOptions {
  limits?: XmlLimits;
}

/**
 * Decodes any cXML document we handle: ConfirmationRequest, ShipNoticeRequest and
 * StatusUpdateRequest become canonical events; a Response becomes a reply; an OrderRequest
 * (our own output, or a partner's sample) becomes an order document.
 */
export function decodeCxml(raw: RawDocument, options: CxmlDecodeAllOptions = {}): DecodeResult {
  return guard<DecodeResult>(() => {
    const envelope = readCxmlEnvelope(raw, options.limits);
    if ("ok" in envelope) return envelope;
    const { kind, element } = envelope.body;
    if (kind === "response") return { ok: true, kind: "reply", reply: readResponse(envelope), messageId: envelope.messageId };
    if (kind !== "request") return refuse("unsupported_document", `cXML ${kind} documents are not handled`, { path: element.path, line: element.line });
    switch (element.name) {
      case "ConfirmationRequest":
        return { ok: true, kind: "event", event: decodeConfirmationRequest(envelope, element, options) };
      case "ShipNoticeRequest":
        return { ok: true, kind: "event", event: decodeShipNoticeRequest(envelope, element, options) };
      case "StatusUpdateRequest":
        return { ok: true, kind: "event", event: decodeStatusUpdateRequest(envelope, element) };
      case "OrderRequest":
        return { ok: true, kind: "order", order: decodeOrderRequest(envelope, element, options), messageId: envelope.messageId, testMode: envelope.testMode };
      default:
        return refuse("unsupported_document", `cXML ${element.name} is not handled`, { path: element.path, line: element.line });
    }
  });
}

/** Encodes purchase_order.confirmed|changed|cancelled as a cXML OrderRequest. Never throws. */
export function encodeCxml(event: unknown, options: CxmlOrderOptions) {
  return guard(() => encodeOrderRequest(event, options));
}
