/**
 * Results shared by every adapter. Decoders and encoders never throw out of their public
 * functions: a partner document we cannot use becomes a typed refusal that the HTTP layer
 * turns into a 4xx (or a cXML Status 400) and the CLI prints verbatim.
 */

/** Why a document or event was refused; stable, so callers can branch on it. */
export type RefusalCode =
  | "too_large"
  | "not_well_formed"
  | "unsafe_xml"
  | "not_json"
  | "unsupported_document"
  | "invalid_document"
  | "unknown_code"
  | "inconsistent_quantities"
  | "invalid_event"
  | "unsupported_event"
  | "missing_option";

export interface Refusal {
  ok: false;
  code: RefusalCode;
  /** One sentence a person can act on: what is wrong, and where. */
  reason: string;
  /** Element or field path, e.g. `ConfirmationRequest/ConfirmationItem[2]@lineNumber` or `data.tracking_number`. */
  path?: string;
  /** 1-based line in the partner document, when known (XML only). */
  line?: number;
}

export function refuse(code: RefusalCode, reason: string, where: { path?: string | undefined; line?: number | undefined } = {}): Refusal {
  const refusal: Refusal = { ok: false, code, reason };
  if (where.path !== undefined) refusal.path = where.path;
  if (where.line !== undefined) refusal.line = where.line;
  return refusal;
}

/** Thrown only inside a decoder to unwind deep traversal; converted to a Refusal at the module boundary. */
export class RefusalSignal extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.reason);
  }
}

export function fail(code: RefusalCode, reason: string, where: { path?: string | undefined; line?: number | undefined } = {}): never {
  throw new RefusalSignal(refuse(code, reason, where));
}

/**
 * Runs a decoder body and turns any escape (our RefusalSignal, or a bug surfacing as an
 * exception on hostile input) into a Refusal, so the public API never throws.
 */
export function guard<T>(body: () => T | Refusal): T | Refusal {
  try {
    return body();
  } catch (error) {
    if (error instanceof RefusalSignal) return error.refusal;
    const message = error instanceof Error ? error.message : String(error);
    return refuse("invalid_document", `document could not be read: ${message}`);
  }
}

/** Formats a refusal the way the CLI and logs show it: `reason (at path, line n)`. */
export function describeRefusal(refusal: Refusal): string {
  const where = [refusal.path ? `at ${refusal.path}` : null, refusal.line !== undefined ? `line ${refusal.line}` : null].filter(Boolean);
  return where.length > 0 ? `${refusal.reason} (${where.join(", ")})` : refusal.reason;
}

/** What an encoder produces: the HTTP body to POST and the headers the format needs. */
export interface EncodedDocument {
  ok: true;
  contentType: string;
  body: string;
  headers: Record<string, string>;
}

export type EncodeResult = EncodedDocument | Refusal;

/** Raw bytes as received on the wire, or a string already decoded as UTF-8. */
export type RawDocument = Uint8Array | string;

export function toText(raw: RawDocument): string {
  if (typeof raw === "string") return raw;
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8");
}

export function toBytes(raw: RawDocument): Buffer {
  if (typeof raw === "string") return Buffer.from(raw, "utf8");
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

export function byteLength(raw: RawDocument): number {
  return typeof raw === "string" ? Buffer.byteLength(raw, "utf8") : raw.byteLength;
}
