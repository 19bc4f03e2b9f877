/**
 * Canonical JSON (RFC 8785 JCS for the values events contain): object keys sorted by UTF-16
 * code units, no insignificant whitespace, ECMAScript number and string serialisation. The
 * same event always gives the same bytes, so a redelivery is byte-identical and partners may
 * hash or sign-check it independently of our key order.
 */
export class CanonicalJsonError extends Error {}

export function canonicalJson(value: unknown): string {
  return serialise(value, new Set());
}

function serialise(value: unknown, ancestors: Set<object>): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} cannot be written as JSON`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "object":
      break;
    default:
      throw new CanonicalJsonError(`a ${typeof value} cannot be written as JSON`);
  }
  const object = value as object;
  if (ancestors.has(object)) throw new CanonicalJsonError("the event contains a cycle");
  ancestors.add(object);
  let out: string;
  if (Array.isArray(object)) {
    out = `[${object.map((item) => (item === undefined ? "null" : serialise(item, ancestors))).join(",")}]`;
  } else {
    const record = (typeof (object as { toJSON?: unknown }).toJSON === "function" ? (object as { toJSON: () => unknown }).toJSON() : object) as Record<string, unknown>;
    if (record !== object) {
      ancestors.delete(object);
      return serialise(record, ancestors);
    }
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    out = `{${keys.map((k) => `${JSON.stringify(k)}:${serialise(record[k], ancestors)}`).join(",")}}`;
  }
  ancestors.delete(object);
  return out;
}
