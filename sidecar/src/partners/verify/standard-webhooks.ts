import { standardWebhookSignature, webhookSecretKey } from "../canonical/standard-webhooks.ts";
import { bytesOf, failure, header, signatureEqual, type HeaderSource, type VerifyResult } from "./common.ts";

export interface StandardWebhookVerifyOptions {
  /** Accepted secrets (`whsec_...`): during a rotation, old and new. */
  secrets: readonly string[];
  /** Largest accepted distance between webhook-timestamp and now, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** Unix seconds "now". Default: the clock. */
  now?: number;
}

/** Verifies a Standard Webhooks message (ours or a partner's) on its raw body. */
export function verifyStandardWebhook(body: string | Uint8Array, headers: HeaderSource, options: StandardWebhookVerifyOptions): VerifyResult {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) return failure("missing_signature", "webhook-id, webhook-timestamp and webhook-signature are required");
  if (!/^\d{1,12}$/.test(timestamp.trim())) return failure("malformed_signature", "webhook-timestamp is not unix seconds");
  const sentAt = Number(timestamp.trim());
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now - sentAt) > tolerance) return failure("timestamp_out_of_tolerance", `webhook-timestamp is more than ${tolerance} s from now`);
  if (options.secrets.length === 0) return failure("no_secret_configured", "no secret configured for this partner");
  const offered = signatures
    .split(" ")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("v1,"))
    .map((s) => s.slice(3));
  if (offered.length === 0) return failure("malformed_signature", "webhook-signature has no v1 signature");
  const bytes = bytesOf(body);
  for (const [keyIndex, secret] of options.secrets.entries()) {
    const key = webhookSecretKey(secret);
    if (!key) return failure("invalid_secret", `secret #${keyIndex + 1} is not a whsec_<base64> secret`);
    const expected = standardWebhookSignature(key, id, sentAt, bytes);
    // Check every offered signature (no early exit on the first mismatch position).
    let matched = false;
    for (const candidate of offered) matched = signatureEqual(candidate, expected) || matched;
    if (matched) return { ok: true, keyIndex };
  }
  return failure("signature_mismatch", "no webhook-signature matches a configured secret");
}
