import type { CxmlReply } from "./cxml/status.ts";
import type { DecodedInbound } from "./events/inbound.ts";
import type { PurchaseOrderDocument } from "./events/purchase-order-document.ts";
import type { Refusal } from "./result.ts";

/**
 * What any decoder answers. `ignored` is a success: a partner told us about something that is
 * not ours to act on (a batch event, a tracker without data); the HTTP layer answers 2xx so
 * the partner does not retry or disable the endpoint.
 */
export type DecodeResult =
  | { ok: true; kind: "event"; event: DecodedInbound }
  | { ok: true; kind: "ignored"; reason: string; messageId: string; testMode: boolean }
  | { ok: true; kind: "order"; order: PurchaseOrderDocument; messageId: string; testMode: boolean }
  | { ok: true; kind: "reply"; reply: CxmlReply; messageId: string }
  | Refusal;
