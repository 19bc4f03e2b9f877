/**
 * Every configured secret value, so operator-facing output (status JSON, the status page, the
 * CLI) can be scrubbed of them whatever a partner's error message echoes back.
 */
const SECRET_KEY = /secret|token|password|api_?key|apikey|credential/i;

export function secretValuesOf(...roots: unknown[]): string[] {
  const out = new Set<string>();
  const walk = (value: unknown, keyIsSecret: boolean, depth: number) => {
    if (depth > 8 || value === null || value === undefined) return;
    if (typeof value === "string") {
      if (keyIsSecret && value.length >= 8) out.add(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) walk(v, keyIsSecret, depth + 1);
      return;
    }
    if (typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, keyIsSecret || SECRET_KEY.test(k), depth + 1);
  };
  for (const r of roots) walk(r, false, 0);
  // The forms a credential travels in, which an echoing proxy's error page may hold: HTTP Basic
  // (`key:` and the bare key, base64).
  for (const v of [...out]) {
    out.add(Buffer.from(`${v}:`).toString("base64"));
    out.add(Buffer.from(v).toString("base64"));
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/** Replaces each secret value in a text by `[redacted]`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join("[redacted]");
  return out;
}

/** A JSON-able value with every secret value in any of its strings replaced. */
export function scrubDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  return JSON.parse(scrub(JSON.stringify(value), secrets)) as T;
}
