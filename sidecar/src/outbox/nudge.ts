import { createHmac, timingSafeEqual } from "node:crypto";

export const NUDGE_HEADER = "x-connector-signature";
export const NUDGE_TOLERANCE_S = 300;
export const NUDGE_MAX_BYTES = 4096;

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, as the addon signs it. */
export function signNudge(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac("sha256", secret).update(`${t}.`).update(body).digest("hex");
  return `t=${t},v1=${mac}`;
}

export type NudgeCheck = { ok: true } | { ok: false; reason: string };

/** Verifies a nudge on its raw bytes, in constant time, with a timestamp tolerance. */
export function verifyNudge(secret: string, header: string | undefined, body: Uint8Array, now = Math.floor(Date.now() / 1000)): NudgeCheck {
  if (!header) return { ok: false, reason: "missing signature" };
  if (header.length > 512) return { ok: false, reason: "malformed signature" };
  const parts = new Map<string, string[]>();
  for (const item of header.split(",")) {
    const eq = item.indexOf("=");
    if (eq <= 0) return { ok: false, reason: "malformed signature" };
    const key = item.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(eq + 1).trim()]);
  }
  const t = parts.get("t")?.[0];
  if (!t || !/^\d{1,12}$/.test(t)) return { ok: false, reason: "malformed signature" };
  if (Math.abs(now - Number(t)) > NUDGE_TOLERANCE_S) return { ok: false, reason: "stale timestamp" };
  const expected = createHmac("sha256", secret).update(`${t}.`).update(body).digest();
  for (const candidate of parts.get("v1") ?? []) {
    if (!/^[0-9a-f]{64}$/.test(candidate)) continue;
    if (timingSafeEqual(Buffer.from(candidate, "hex"), expected)) return { ok: true };
  }
  return { ok: false, reason: "signature mismatch" };
}
