import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signNudge, verifyNudge } from "./nudge.ts";

const secret = "nudge-secret-0123456789";
const body = Buffer.from('{"database":"prod","count":3}');
const now = 1_800_000_000;

describe("nudge signature", () => {
  it("accepts what the addon signs", () => {
    expect(verifyNudge(secret, signNudge(secret, body.toString(), now), body, now)).toEqual({ ok: true });
  });

  it("matches the addon's scheme: hex HMAC-SHA256 over '<t>.' + body", () => {
    // Vector computed with Python's hmac module, as the addon signs:
    // hmac.new(b"s3cr3t-s3cr3t-s3cr3t", b"1700000000.{}", hashlib.sha256).hexdigest()
    expect(signNudge("s3cr3t-s3cr3t-s3cr3t", "{}", 1700000000)).toBe("t=1700000000,v1=66b7d69031cc56a980a60e8602e0b8810e63ce87b9d8c288b9b369019c19a81f");
  });

  it.each([
    ["missing", undefined, "missing signature"],
    ["empty", "", "missing signature"],
    ["garbage", "garbage", "malformed signature"],
    ["no timestamp", "v1=00", "malformed signature"],
    ["stale", signNudge(secret, body.toString(), now - 301), "stale timestamp"],
    ["from the future", signNudge(secret, body.toString(), now + 301), "stale timestamp"],
    ["wrong secret", signNudge("another-secret-xxxxxxxx", body.toString(), now), "signature mismatch"],
    ["over-long", `t=${now},${"v1=aa,".repeat(200)}`, "malformed signature"],
  ])("refuses a %s signature", (_n, header, reason) => {
    expect(verifyNudge(secret, header, body, now)).toEqual({ ok: false, reason });
  });

  it("refuses any change of a single byte of the body", () => {
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.integer({ min: 1, max: 255 }), (i, delta) => {
        const tampered = Buffer.from(body);
        tampered[i] = (tampered[i]! + delta) % 256;
        return !verifyNudge(secret, signNudge(secret, body.toString(), now), tampered, now).ok;
      }),
    );
  });
});
