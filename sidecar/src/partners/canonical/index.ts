import type { DecodeResult } from "../decode-result.ts";
import { INBOUND_EVENT_TYPES, type DecodedInbound, type InboundEventType } from "../events/inbound.ts";
import { createHash } from "node:crypto";
import { guard, refuse, type EncodeResult, type RawDocument } from "../result.ts";
import { at, isObject, optString, parseJsonBody } from "../carriers/json.ts";
import { canonicalJson } from "./canonical-json.ts";
import { signStandardWebhook } from "./standard-webhooks.ts";

export { canonicalJson } from "./canonical-json.ts";
export { signStandardWebhook, standardWebhookSignature, webhookSecretKey } from "./standard-webhooks.ts";

export interface CanonicalEncodeOptions {
  /** Standard Webhooks secrets (`whsec_...`); several during a key rotation, all sign. */
  secrets: readonly string[];
  /** Unix seconds for `webhook-timestamp`. Default: now. Pass it for reproducible output. */
  timestamp?: number;
  /**
   * The event's JSON exactly as stored (the relay sends Odoo's own serialisation, byte for
   * byte, rather than serialising the event again); the event then needs only its id and type.
   */
  text?: string;
}

/** Any canonical event → canonical JSON body + Standard Webhooks headers. Never throws. */
export function encodeCanonical(event: unknown, options: CanonicalEncodeOptions): EncodeResult {
  return guard(() => {
    const id = optString(event, "id");
    if (!isObject(event) || id === null || optString(event, "type") === null) {
      return refuse("invalid_event", "a canonical event needs an id and a type", { path: id === null ? "id" : "type" });
    }
    return signed(id, options.text ?? canonicalJson(event), options);
  });
}

function signed(id: string, body: string, options: CanonicalEncodeOptions): EncodeResult {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers = signStandardWebhook({ id, timestamp, body, secrets: options.secrets ?? [] });
  if ("error" in headers) return refuse("missing_option", headers.error);
  return { ok: true, contentType: "application/json", body, headers: { ...headers } };
}

/**
 * Several canonical events in one request (batched delivery): `{"events":[...]}`, each event
 * as stored. Each keeps its own `id` for deduplication; `webhook-id` is derived from the ids it
 * carries, so a retry of the same batch carries the same one.
 */
export function encodeCanonicalBatch(events: readonly { id: string; text: string }[], options: Omit<CanonicalEncodeOptions, "text">): EncodeResult {
  return guard(() => {
    if (events.length === 0) return refuse("invalid_event", "a batch needs at least one event");
    const digest = createHash("sha256");
    for (const e of events) digest.update(e.id).update("\n");
    return signed(`batch_${digest.digest("hex").slice(0, 32)}`, `{"events":[${events.map((e) => e.text).join(",")}]}`, options);
  });
}

/**
 * A canonical inbound event posted by a partner that speaks our format. Only the envelope is
 * checked here; the body is checked against contracts/v1 by the sidecar's contract validator.
 */
export function decodeCanonical(raw: RawDocument): DecodeResult {
  return guard<DecodeResult>(() => {
    const parsed = parseJsonBody(raw);
    if (!parsed.ok) return parsed;
    const body = parsed.value;
    const id = optString(body, "id");
    const type = optString(body, "type");
    if (id === null) return refuse("invalid_document", "canonical event has no id", { path: "id" });
    if (type === null || !(INBOUND_EVENT_TYPES as readonly string[]).includes(type)) {
      return refuse("unsupported_document", `canonical event type ${type === null ? "is missing" : `"${type.slice(0, 64)}" is not an inbound type`}`, { path: "type" });
    }
    const data = at(body, "data");
    if (!isObject(data)) return refuse("invalid_document", "canonical event has no data object", { path: "data" });
    const occurredAt = optString(body, "occurred_at");
    const event = {
      type: type as InboundEventType,
      data,
      messageId: id,
      messageIdSource: "partner",
      testMode: at(data, "test_mode") === true,
      subjectRef: optString(body, "subject.ref") ?? id,
      occurredAt: occurredAt && /Z$/.test(occurredAt) ? occurredAt : null,
      format: "canonical",
    } as unknown as DecodedInbound;
    return { ok: true, kind: "event", event };
  });
}
