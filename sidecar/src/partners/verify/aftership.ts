import { createHmac } from "node:crypto";
import { bytesOf, failure, header, signatureEqual, type HeaderSource, type VerifyResult } from "./common.ts";

/** AfterShip Tracking webhooks: `aftership-hmac-sha256` = base64(HMAC-SHA256(secret, raw body)). */
export function aftershipSignature(body: string | Uint8Array, secret: string): string {
  return createHmac("sha256", secret).update(bytesOf(body)).digest("base64");
}

export function verifyAftershipSignature(body: string | Uint8Array, headers: HeaderSource, options: { secrets: readonly string[] }): VerifyResult {
  const offered = header(headers, "aftership-hmac-sha256")?.trim();
  if (!offered) return failure("missing_signature", "aftership-hmac-sha256 header is missing");
  if (options.secrets.length === 0) return failure("no_secret_configured", "no AfterShip webhook secret configured");
  for (const [keyIndex, secret] of options.secrets.entries()) {
    if (signatureEqual(offered, aftershipSignature(body, secret))) return { ok: true, keyIndex };
  }
  return failure("signature_mismatch", "aftership-hmac-sha256 does not match the configured secret");
}
