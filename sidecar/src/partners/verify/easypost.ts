import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { bytesOf, failure, header, signatureEqual, type HeaderSource, type VerifyResult } from "./common.ts";

// NFKD-normalised keys of the secrets seen (configuration holds a handful; bounded anyway).
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= 64) keys.clear();
    key = createSecretKey(Buffer.from(secret.normalize("NFKD"), "utf8"));
    keys.set(secret, key);
  }
  return key;
}

/**
 * EasyPost webhook HMAC: `X-Hmac-Signature: hmac-sha256-hex=<hex>`, HMAC-SHA256 keyed with
 * the UTF-8 of the NFKD-normalised webhook secret, over the raw body. Without NFKD a secret
 * like "sécret" gives a different key (FORMATS.md test vector).
 */
export function easypostSignature(body: string | Uint8Array, secret: string): string {
  return `hmac-sha256-hex=${createHmac("sha256", keyOf(secret)).update(bytesOf(body)).digest("hex")}`;
}

export function verifyEasypostSignature(body: string | Uint8Array, headers: HeaderSource, options: { secrets: readonly string[] }): VerifyResult {
  const offered = header(headers, "x-hmac-signature")?.trim();
  if (!offered) return failure("missing_signature", "X-Hmac-Signature header is missing");
  if (!offered.startsWith("hmac-sha256-hex=")) return failure("malformed_signature", "X-Hmac-Signature is not hmac-sha256-hex=<hex>");
  if (options.secrets.length === 0) return failure("no_secret_configured", "no EasyPost webhook secret configured");
  for (const [keyIndex, secret] of options.secrets.entries()) {
    // Hex digests compare case-insensitively; EasyPost sends lower case.
    if (signatureEqual(offered.toLowerCase(), easypostSignature(body, secret))) return { ok: true, keyIndex };
  }
  return failure("signature_mismatch", "X-Hmac-Signature does not match the configured secret");
}
