import { Webhook } from "standardwebhooks";
import type { Partner } from "../config/partners.ts";
import type { PreparedRequest } from "./attempt.ts";

const signers = new Map<string, Webhook>();
function signer(secret: string): Webhook {
  let w = signers.get(secret);
  if (!w) {
    w = new Webhook(secret);
    signers.set(secret, w);
  }
  return w;
}

/**
 * Canonical JSON signed per Standard Webhooks: `webhook-id` is the event id, so a partner
 * deduplicates redeliveries on it; during a key rotation every secret signs and the header
 * carries all signatures, space separated.
 */
export function encodeCanonical(partner: Pick<Partner, "endpoint" | "signingSecrets">, eventId: string, payload: string, now = new Date()): PreparedRequest {
  const timestamp = Math.floor(now.getTime() / 1000);
  const at = new Date(timestamp * 1000);
  const signatures = partner.signingSecrets.map((s) => signer(s).sign(eventId, at, payload));
  return {
    url: partner.endpoint,
    headers: {
      "content-type": "application/json",
      "user-agent": "odoo-distribution-connector/0.1",
      "webhook-id": eventId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signatures.join(" "),
    },
    body: payload,
  };
}
