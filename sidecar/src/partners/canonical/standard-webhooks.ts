import { createHmac } from "node:crypto";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): signature =
 * base64(HMAC-SHA256(secret bytes, "<webhook-id>.<webhook-timestamp>.<body>")), sent as
 * `v1,<sig>`; during a key rotation every active secret signs and the header carries all of
 * them, space separated, so the receiver accepts the message with either key.
 */

export const WEBHOOK_SECRET_PREFIX = "whsec_";

const keys = new Map<string, Buffer | null>();

/** The key bytes of a `whsec_<base64>` secret; null when it is not one. Decoded once per secret (every delivery signs). */
export function webhookSecretKey(secret: string): Buffer | null {
  let key = keys.get(secret);
  if (key === undefined) {
    key = decodeKey(secret);
    // Bounded: a process holds a handful of configured secrets; anything past that is not cached.
    if (keys.size < 64) keys.set(secret, key);
  }
  return key;
}

function decodeKey(secret: string): Buffer | null {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  if (encoded === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return null;
  const key = Buffer.from(encoded, "base64");
  return key.length > 0 ? key : null;
}

export function standardWebhookSignature(key: Buffer, id: string, timestamp: number, body: string | Uint8Array): string {
  const hmac = createHmac("sha256", key).update(`${id}.${timestamp}.`, "utf8");
  hmac.update(typeof body === "string" ? Buffer.from(body, "utf8") : body);
  return hmac.digest("base64");
}

export interface StandardWebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** Headers for one message signed with every secret (rotation: old and new sign together). */
export function signStandardWebhook(input: { id: string; timestamp: number; body: string; secrets: readonly string[] }): StandardWebhookHeaders | { error: string } {
  if (input.secrets.length === 0) return { error: "no signing secret configured" };
  const signatures: string[] = [];
  for (const [i, secret] of input.secrets.entries()) {
    const key = webhookSecretKey(secret);
    if (!key) return { error: `signing secret #${i + 1} is not a whsec_<base64> secret` };
    signatures.push(`v1,${standardWebhookSignature(key, input.id, input.timestamp, input.body)}`);
  }
  return { "webhook-id": input.id, "webhook-timestamp": String(input.timestamp), "webhook-signature": signatures.join(" ") };
}
