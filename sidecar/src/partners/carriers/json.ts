import { parsePartnerTime, type PartnerTime } from "../events/partner-time.ts";
import { byteLength, fail, refuse, type RawDocument, type Refusal } from "../result.ts";

/**
 * JSON webhook bodies: parsed from the raw bytes (the same bytes the signature was checked
 * on), bounded in size, and read through accessors that refuse with the field's path.
 */

export type JsonObject = Record<string, unknown>;

/** Largest webhook body accepted. Default 1 MiB; tracking payloads are a few KiB. */
export const DEFAULT_MAX_JSON_BYTES = 1024 * 1024;

// One decoder for every body: constructing a TextDecoder costs more than decoding a webhook.
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function parseJsonBody(raw: RawDocument, maxBytes = DEFAULT_MAX_JSON_BYTES): { ok: true; value: unknown } | Refusal {
  if (byteLength(raw) > maxBytes) return refuse("too_large", `body is larger than ${maxBytes} bytes`);
  let text: string;
  try {
    text = typeof raw === "string" ? raw : utf8.decode(raw);
  } catch {
    return refuse("not_json", "body is not valid UTF-8");
  }
  try {
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch (error) {
    return refuse("not_json", `body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Own property only: a body with `__proto__` keys must not reach Object.prototype. */
export function prop(holder: unknown, key: string): unknown {
  return isObject(holder) && Object.prototype.hasOwnProperty.call(holder, key) ? holder[key] : undefined;
}

export function at(holder: unknown, path: string): unknown {
  if (path.indexOf(".") === -1) return prop(holder, path);
  let current = holder;
  for (const key of path.split(".")) current = prop(current, key);
  return current;
}

/** A non-blank string (numbers accepted: some carriers send tracking numbers as numbers). */
export function optString(holder: unknown, path: string): string | null {
  const value = at(holder, path);
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

export function reqString(holder: unknown, path: string, label = path): string {
  const value = optString(holder, path);
  if (value === null) fail("invalid_document", `${label} is missing or empty`, { path: label });
  return value;
}

export function optNumber(holder: unknown, path: string): number | null {
  const value = at(holder, path);
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return null;
}

export function optArray(holder: unknown, path: string): unknown[] {
  const value = at(holder, path);
  return Array.isArray(value) ? value : [];
}

/** A timestamp field read leniently; present but unreadable is refused with its path. */
export function optTime(holder: unknown, path: string, label = path): PartnerTime | null {
  const value = optString(holder, path);
  if (value === null) return null;
  const time = parsePartnerTime(value);
  if (!time) fail("invalid_document", `${label} "${value.slice(0, 40)}" is not a date`, { path: label });
  return time;
}
