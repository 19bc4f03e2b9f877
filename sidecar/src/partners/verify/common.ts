import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Shared pieces of signature verification. Every verifier works on the raw request bytes
 * (a re-serialised body breaks HMACs: one trailing newline changes the EasyPost signature),
 * compares in constant time, and answers with a typed result instead of throwing.
 */

export type VerifyFailureReason =
  | "missing_signature"
  | "malformed_signature"
  | "timestamp_out_of_tolerance"
  | "signature_mismatch"
  | "no_secret_configured"
  | "invalid_secret"
  | "unreadable_document";

export type VerifyResult = { ok: true; keyIndex: number } | { ok: false; reason: VerifyFailureReason; message: string };

export function failure(reason: VerifyFailureReason, message: string): VerifyResult {
  return { ok: false, reason, message };
}

/**
 * Constant-time equality of two byte strings of any length: both sides are hashed first, so
 * neither the content nor the length of the expected value leaks through timing.
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  // Hash equality alone decides; the length check only avoids comparing unrelated values whose digests collide (never).
  return timingSafeEqual(da, db) && (typeof a === "string" ? Buffer.byteLength(a) : a.byteLength) === (typeof b === "string" ? Buffer.byteLength(b) : b.byteLength);
}

/** Request headers as frameworks hand them over: a Fetch `Headers` or a plain record. */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Equality of a signature a partner offered with the one we computed, in constant time. Only
 * for values whose length is public (an HMAC digest in hex or base64: its length is fixed by
 * the algorithm), so a length mismatch may answer early; secrets themselves (URL tokens,
 * shared secrets) go through `constantTimeEqual`, which hides their length too.
 */
export function signatureEqual(offered: string, expected: string): boolean {
  if (offered.length !== expected.length) return false;
  const a = Buffer.from(offered, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `name` is lower case (every caller passes a literal). */
export function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  // Node's IncomingMessage.headers: keys already lower case, repeated headers joined.
  const direct = (headers as Record<string, string | readonly string[] | undefined>)[name];
  if (typeof direct === "string") return direct;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === "string" ? value : value.join(",");
  }
  return undefined;
}

export function bytesOf(body: string | Uint8Array): Buffer {
  return typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
