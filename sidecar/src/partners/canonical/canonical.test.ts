import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { contractsDir } from "../test-support/fixtures.ts";
import { canonicalJson, decodeCanonical, encodeCanonical } from "./index.ts";

const OLD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW_SECRET = "whsec_dGhlLW5ldy1zZWNyZXQtYWZ0ZXItcm90YXRpb24=";
const example = () => JSON.parse(readFileSync(join(contractsDir, "examples/purchase_order.confirmed.json"), "utf8"));

describe("canonical JSON", () => {
  it("sorts keys at every level and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it("writes numbers and strings as ECMAScript does (RFC 8785)", () => {
    expect(canonicalJson([1.0, 22.5, 1e21, 1e-7, -0, "é\u2028\n\"", true, null])).toBe('[1,22.5,1e+21,1e-7,0,"é\u2028\\n\\"",true,null]');
  });

  it("refuses values JSON cannot carry", () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/cannot be written/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
  });

  it("is independent of key order and round-trips through JSON.parse (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        const reordered = JSON.parse(JSON.stringify(value), (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v));
        expect(canonicalJson(reordered)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe("canonical adapter: Standard Webhooks signing", () => {
  it("signs with webhook-id = event id, and the standardwebhooks package verifies it", () => {
    const now = Math.floor(Date.now() / 1000);
    const result = encodeCanonical(example(), { secrets: [OLD_SECRET], timestamp: now });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.headers["webhook-id"]).toBe("0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d");
    expect(result.headers["webhook-timestamp"]).toBe(String(now));
    expect(result.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(OLD_SECRET).verify(result.body, result.headers)).toEqual(JSON.parse(result.body));
  });

  it("during a key rotation signs with every secret, and either key alone verifies", () => {
    const now = Math.floor(Date.now() / 1000);
    const result = encodeCanonical(example(), { secrets: [OLD_SECRET, NEW_SECRET], timestamp: now });
    if (!result.ok) throw new Error(result.reason);
    expect(result.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(OLD_SECRET).verify(result.body, result.headers)).not.toThrow();
    expect(() => new Webhook(NEW_SECRET).verify(result.body, result.headers)).not.toThrow();
    expect(() => new Webhook("whsec_c29tZS1vdGhlci1zZWNyZXQ=").verify(result.body, result.headers)).toThrow(/No matching signature/);
  });

  it("produces the same signature as the package for the same message", () => {
    const timestamp = 1764149412;
    const result = encodeCanonical(example(), { secrets: [OLD_SECRET], timestamp });
    if (!result.ok) throw new Error(result.reason);
    expect(result.headers["webhook-signature"]).toBe(new Webhook(OLD_SECRET).sign(result.headers["webhook-id"]!, new Date(timestamp * 1000), result.body));
  });

  it("refuses an event without id, or a malformed secret", () => {
    expect(encodeCanonical({ type: "x.y" }, { secrets: [OLD_SECRET] })).toMatchObject({ ok: false, code: "invalid_event", path: "id" });
    expect(encodeCanonical(example(), { secrets: ["not base64 !"] })).toMatchObject({ ok: false, code: "missing_option" });
    expect(encodeCanonical(example(), { secrets: [] })).toMatchObject({ ok: false, code: "missing_option" });
  });

  it("decodes a canonical inbound event posted by a partner, and refuses outbound types", () => {
    const inbound = JSON.parse(readFileSync(join(contractsDir, "examples/carrier.tracking_updated.json"), "utf8"));
    expect(decodeCanonical(JSON.stringify(inbound))).toMatchObject({ ok: true, kind: "event", event: { type: "carrier.tracking_updated", messageId: inbound.id } });
    expect(decodeCanonical(JSON.stringify(example()))).toMatchObject({ ok: false, code: "unsupported_document", path: "type" });
  });
});
