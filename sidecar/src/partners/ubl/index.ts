import type { DecodeResult } from "../decode-result.ts";
import { guard, refuse, type RawDocument } from "../result.ts";
import { parseXml, type XmlLimits } from "../xml/safe-xml.ts";
import { UBL_NS, ublMessageId, type UblDecodeOptions } from "./common.ts";
import { decodeDespatchAdvice } from "./despatch-advice.ts";
import { decodeUblOrder, encodeUblOrder, type UblOrderOptions } from "./order.ts";
import { encodeUblOrderCancellation, encodeUblOrderChange } from "./order-change.ts";
import { decodeOrderResponse } from "./order-response.ts";

export type { UblOrderOptions, UblParty } from "./order.ts";
export type { UblDecodeOptions } from "./common.ts";

export interface UblDecodeAllOptions extends UblDecodeOptions {
  limits?: XmlLimits;
}

/** Decodes a UBL 2.1 OrderResponse or DespatchAdvice (and, for checks, an Order). Never throws. */
export function decodeUbl(raw: RawDocument, options: UblDecodeAllOptions = {}): DecodeResult {
  return guard<DecodeResult>(() => {
    const parsed = parseXml(raw, options.limits);
    if (!parsed.ok) return parsed;
    const root = parsed.document.root;
    const expected = UBL_NS[root.name as "Order" | "OrderResponse" | "DespatchAdvice"];
    if (!expected) return refuse("unsupported_document", `UBL ${root.name} is not handled (Order, OrderResponse, DespatchAdvice are)`, { path: root.path, line: root.line });
    if (root.ns !== expected) return refuse("unsupported_document", `${root.name} is not in the UBL 2 namespace ${expected}`, { path: root.path, line: root.line });
    switch (root.name) {
      case "OrderResponse":
        return { ok: true, kind: "event", event: decodeOrderResponse(root, raw, options) };
      case "DespatchAdvice":
        return { ok: true, kind: "event", event: decodeDespatchAdvice(root, raw, options) };
      default:
        return { ok: true, kind: "order", order: decodeUblOrder(root, options), messageId: ublMessageId(root, raw).messageId, testMode: false };
    }
  });
}

/** The event types the UBL adapter sends, and as what. */
export const UBL_ENCODES = ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"] as const;

/**
 * Encodes purchase_order.confirmed as a Peppol BIS 3 Order, .changed as an Order Change and
 * .cancelled as an Order Cancellation. Never throws.
 */
export function encodeUbl(event: unknown, options: UblOrderOptions) {
  return guard(() => {
    const type = typeof event === "object" && event !== null ? (event as { type?: unknown }).type : undefined;
    if (type === "purchase_order.changed") return encodeUblOrderChange(event, options);
    if (type === "purchase_order.cancelled") return encodeUblOrderCancellation(event, options);
    if (typeof type === "string" && type !== "purchase_order.confirmed") {
      return refuse("unsupported_event", `UBL sends ${UBL_ENCODES.join(", ")}, not ${type.slice(0, 60)}`, { path: "type" });
    }
    return encodeUblOrder(event, options);
  });
}
