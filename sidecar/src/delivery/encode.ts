import { createHash, createHmac } from "node:crypto";
import type { Partner } from "../config/partners.ts";
import type { PreparedRequest } from "./attempt.ts";

const keys = new Map<string, Buffer>();
/** The HMAC key of a Standard Webhooks secret: the base64 after `whsec_`. */
function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
    keys.set(secret, key);
  }
  return key;
}

/**
 * Standard Webhooks signature: `v1,` + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")).
 * node:crypto, not the `standardwebhooks` package's pure-JS SHA-256, which cost a sizeable
 * share of a delivery's CPU in profiles; tests check both agree.
 */
export function signStandardWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.`).update(body).digest("base64")}`;
}

/**
 * Canonical JSON signed per Standard Webhooks: `webhook-id` is the event id, so a partner
 * deduplicates redeliveries on it; during a key rotation every secret signs and the header
 * carries all signatures, space separated.
 */
export function encodeCanonical(partner: Pick<Partner, "endpoint" | "signingSecrets">, eventId: string, payload: string, now = Date.now()): PreparedRequest {
  const timestamp = Math.floor(now / 1000);
  return {
    url: partner.endpoint,
    headers: {
      "content-type": "application/json",
      "user-agent": "odoo-distribution-connector/0.1",
      "webhook-id": eventId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": partner.signingSecrets.map((s) => signStandardWebhook(s, eventId, timestamp, payload)).join(" "),
    },
    body: payload,
  };
}

/**
 * Several canonical events in one request (batched delivery): `{"events":[...]}`. Each event
 * keeps its own `id` for deduplication; `webhook-id` is derived from the ids it carries, so a
 * retry of the same batch carries the same one.
 */
export function encodeBatch(partner: Pick<Partner, "endpoint" | "signingSecrets">, events: readonly { eventId: string; payload: string }[], now = Date.now()): PreparedRequest {
  const body = `{"events":[${events.map((e) => e.payload).join(",")}]}`;
  const digest = createHash("sha256");
  for (const e of events) digest.update(e.eventId).update("\n");
  const batchId = `batch_${digest.digest("hex").slice(0, 32)}`;
  return encodeCanonical(partner, batchId, body, now);
}
