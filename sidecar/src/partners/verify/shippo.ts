import { createHmac } from "node:crypto";
import { bytesOf, constantTimeEqual, failure, header, signatureEqual, type HeaderSource, type VerifyResult } from "./common.ts";

/**
 * Shippo webhooks. Baseline: a secret `?token=` we put in the webhook URL. When Shippo has
 * enabled HMAC for the account: `Shippo-Auth-Signature: t=<unix>,v1=<hex>` with
 * v1 = HMAC-SHA256(secret, "<t>." + raw body) (format per independent implementations,
 * FORMATS.md [3p]; verify against a real delivery before relying on it alone).
 */
export function shippoSignature(body: string | Uint8Array, secret: string, timestamp: number): string {
  return createHmac("sha256", secret).update(`${timestamp}.`, "utf8").update(bytesOf(body)).digest("hex");
}

export interface ShippoVerifyOptions {
  secrets: readonly string[];
  toleranceSeconds?: number;
  now?: number;
}

export function verifyShippoSignature(body: string | Uint8Array, headers: HeaderSource, options: ShippoVerifyOptions): VerifyResult {
  const value = header(headers, "shippo-auth-signature");
  if (!value) return failure("missing_signature", "Shippo-Auth-Signature header is missing");
  const parts = new Map<string, string[]>();
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), part.slice(eq + 1).trim()]);
  }
  const t = parts.get("t")?.[0];
  const signatures = parts.get("v1") ?? [];
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) return failure("malformed_signature", "Shippo-Auth-Signature is not t=<unix>,v1=<hex>");
  const timestamp = Number(t);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now - timestamp) > tolerance) return failure("timestamp_out_of_tolerance", `Shippo-Auth-Signature t is more than ${tolerance} s from now`);
  if (options.secrets.length === 0) return failure("no_secret_configured", "no Shippo webhook secret configured");
  for (const [keyIndex, secret] of options.secrets.entries()) {
    const expected = shippoSignature(body, secret, timestamp);
    let matched = false;
    for (const candidate of signatures) matched = signatureEqual(candidate.toLowerCase(), expected) || matched;
    if (matched) return { ok: true, keyIndex };
  }
  return failure("signature_mismatch", "Shippo-Auth-Signature does not match the configured secret");
}

/** The `?token=` baseline: the webhook URL we registered carries a secret token. */
export function verifyShippoUrlToken(requestUrl: string, options: { tokens: readonly string[] }): VerifyResult {
  let token: string | null;
  try {
    token = new URL(requestUrl, "http://localhost").searchParams.get("token");
  } catch {
    return failure("malformed_signature", "request URL cannot be read");
  }
  if (!token) return failure("missing_signature", "token query parameter is missing");
  if (options.tokens.length === 0) return failure("no_secret_configured", "no Shippo URL token configured");
  for (const [keyIndex, expected] of options.tokens.entries()) {
    if (constantTimeEqual(token, expected)) return { ok: true, keyIndex };
  }
  return failure("signature_mismatch", "token does not match");
}
