import { readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCanonical } from "./canonical/index.ts";
import { decodeAftershipWebhook, decodeEasypostEvent, decodeEasypostShipment, decodeShipengineWebhook, decodeShippoWebhook } from "./carriers/index.ts";
import { convert } from "./cli.ts";
import { decodeCxml, decodeCxmlResponse } from "./cxml/index.ts";
import { detect } from "./registry.ts";
import type { RefusalCode } from "./result.ts";
import { documentsDir, listPartnerFixtures, readDocument, readFixture } from "./test-support/fixtures.ts";
import { decodeUbl } from "./ubl/index.ts";
import { verifyCxmlSharedSecret } from "./verify/index.ts";

/**
 * Fuzzing every decoder: random bytes, random text, and mutations of real and sample
 * documents. Whatever arrives, a decoder answers with a typed result (never a throw, never
 * a hang), and a refusal always says why.
 */

const REFUSAL_CODES: ReadonlySet<RefusalCode> = new Set([
  "too_large", "not_well_formed", "unsafe_xml", "not_json", "unsupported_document", "invalid_document",
  "unknown_code", "inconsistent_quantities", "invalid_event", "unsupported_event", "missing_option",
]);
const RUNS = 300;
// A hang detector, not a benchmark: generous enough for a loaded CI machine running files in parallel.
const SLOW_MS = 5000;

type Decoder = (raw: Buffer) => { ok: boolean };

const DECODERS: [string, Decoder, "xml" | "json"][] = [
  ["cXML", (raw) => decodeCxml(raw), "xml"],
  ["cXML Response", (raw) => decodeCxmlResponse(raw), "xml"],
  ["UBL", (raw) => decodeUbl(raw), "xml"],
  ["cXML shared secret", (raw) => verifyCxmlSharedSecret(raw, { sharedSecrets: ["abracadabra"] }), "xml"],
  ["EasyPost event", (raw) => decodeEasypostEvent(raw), "json"],
  ["EasyPost shipment", (raw) => decodeEasypostShipment(raw), "json"],
  ["Shippo", (raw) => decodeShippoWebhook(raw), "json"],
  ["AfterShip", (raw) => decodeAftershipWebhook(raw), "json"],
  ["ShipEngine", (raw) => decodeShipengineWebhook(raw), "json"],
  ["canonical", (raw) => decodeCanonical(raw), "json"],
  ["detect", (raw) => detect(raw), "json"],
  ["odc convert auto", (raw) => { const out = convert("auto", raw); return { ok: out.exitCode === 0, ...out }; }, "json"],
];

const seeds: Buffer[] = [
  ...listPartnerFixtures().map(readFixture),
  ...readdirSync(documentsDir).map(readDocument),
];
const xmlSeeds = seeds.filter((s) => s.toString("utf8").trimStart().startsWith("<"));
const jsonSeeds = seeds.filter((s) => !s.toString("utf8").trimStart().startsWith("<"));

function assertTyped(name: string, decode: Decoder, raw: Buffer) {
  const started = performance.now();
  let result: { ok: boolean; code?: unknown; reason?: unknown; message?: unknown };
  try {
    result = decode(raw);
  } catch (error) {
    throw new Error(`${name} threw on ${JSON.stringify(raw.toString("utf8").slice(0, 200))}: ${String(error)}`);
  }
  expect(performance.now() - started, `${name} took too long`).toBeLessThan(SLOW_MS);
  expect(typeof result.ok).toBe("boolean");
  if (!result.ok && "code" in result && name !== "odc convert auto") {
    // verifiers use their own reasons; decoders use refusal codes
    if (typeof result.reason === "string" && REFUSAL_CODES.has(result.code as RefusalCode)) expect(result.reason.length).toBeGreaterThan(0);
    else if (!("message" in result)) throw new Error(`${name} refused without a known code: ${JSON.stringify(result)}`);
  }
}

/** Byte-level mutations: flip, insert, delete, truncate, duplicate a slice. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant("insertText" as const), at: fc.nat(), text: fc.constantFrom("<", ">", "&", "&amp;", '"', "</", "<!--", "]]>", "<!DOCTYPE x>", "\u0000", "{", "}", "[", "]", ",", ":", "null", '"quantity"', "-1", "1e309", "\uFEFF") }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(seed: Buffer, steps: Mutation[]): Buffer {
  let out = Buffer.from(seed);
  for (const m of steps) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    switch (m.kind) {
      case "flip":
        if (out.length > 0) out[at] = m.value;
        break;
      case "insert":
        out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
        break;
      case "insertText":
        out = Buffer.concat([out.subarray(0, at), Buffer.from(m.text), out.subarray(at)]);
        break;
      case "delete":
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
        break;
      case "truncate":
        out = out.subarray(0, at);
        break;
      case "duplicate":
        out = Buffer.concat([out.subarray(0, at + m.length), out.subarray(at)]);
        break;
    }
  }
  return out;
}

/** Structure-aware mutation: replace attribute values / JSON leaves with hostile values. */
const hostileValue = fc.oneof(
  fc.constantFrom("", " ", "-1", "0", "1e999", "NaN", "0021-02-30", "2021-02-23T25:61:00-9999", "__proto__", "constructor", "accept", "reject", "detail", "10", "C62", "ZZZ", "&amp;", "x".repeat(5000)),
  fc.string({ maxLength: 20 }),
);

function mutateXmlAttributes(seed: Buffer, picks: { index: number; value: string }[]): Buffer {
  let text = seed.toString("utf8");
  const matches = [...text.matchAll(/="([^"]*)"/g)];
  for (const pick of picks) {
    if (matches.length === 0) break;
    const m = matches[pick.index % matches.length]!;
    const escaped = pick.value.replace(/&(?!amp;)/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
    text = text.replace(m[0], `="${escaped}"`);
  }
  return Buffer.from(text);
}

function mutateJsonLeaves(seed: Buffer, picks: { index: number; value: unknown }[]): Buffer {
  const root = JSON.parse(seed.toString("utf8")) as unknown;
  const slots: { holder: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach((v, i) => { slots.push({ holder: node, key: i }); walk(v); });
    else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) { slots.push({ holder: node as Record<string, unknown>, key: k }); walk(v); }
  };
  walk(root);
  for (const pick of picks) {
    if (slots.length === 0) break;
    const slot = slots[pick.index % slots.length]!;
    (slot.holder as Record<string | number, unknown>)[slot.key] = pick.value;
  }
  return Buffer.from(JSON.stringify(root));
}

describe("fuzz: every decoder answers with a typed result", () => {
  it.each(DECODERS)("%s: random bytes", (name, decode) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => assertTyped(name, decode, Buffer.from(bytes))), { numRuns: RUNS });
  });

  it.each(DECODERS)("%s: random text", (name, decode) => {
    fc.assert(fc.property(fc.string({ maxLength: 2000, unit: "binary" }), (text) => assertTyped(name, decode, Buffer.from(text))), { numRuns: RUNS });
  });

  it.each(DECODERS)("%s: mutated real and sample documents", (name, decode, kind) => {
    const pool = kind === "xml" ? [...xmlSeeds, ...jsonSeeds.slice(0, 2)] : [...jsonSeeds, ...xmlSeeds.slice(0, 2)];
    fc.assert(
      fc.property(fc.constantFrom(...pool), fc.array(mutation, { minLength: 1, maxLength: 6 }), (seed, steps) => assertTyped(name, decode, mutate(seed, steps))),
      { numRuns: RUNS },
    );
  });

  it.each(DECODERS.filter(([, , kind]) => kind === "xml"))("%s: well-formed documents with hostile attribute values", (name, decode) => {
    fc.assert(
      fc.property(fc.constantFrom(...xmlSeeds), fc.array(fc.record({ index: fc.nat(), value: hostileValue }), { minLength: 1, maxLength: 5 }), (seed, picks) =>
        assertTyped(name, decode, mutateXmlAttributes(seed, picks)),
      ),
      { numRuns: RUNS },
    );
  });

  it.each(DECODERS.filter(([, , kind]) => kind === "json"))("%s: valid JSON with hostile leaves", (name, decode) => {
    fc.assert(
      fc.property(fc.constantFrom(...jsonSeeds), fc.array(fc.record({ index: fc.nat(), value: fc.oneof(hostileValue, fc.jsonValue({ maxDepth: 3 })) }), { minLength: 1, maxLength: 5 }), (seed, picks) =>
        assertTyped(name, decode, mutateJsonLeaves(seed, picks)),
      ),
      { numRuns: RUNS },
    );
  });

  it.each(DECODERS)("%s: pathological shapes (deep nesting, huge counts)", (name, decode) => {
    const cases = [
      Buffer.from(`${"[".repeat(100_000)}${"]".repeat(100_000)}`),
      Buffer.from(`${"<a>".repeat(10_000)}${"</a>".repeat(10_000)}`),
      Buffer.from(`<cXML>${"<Request/>".repeat(50_000)}</cXML>`),
      Buffer.from(JSON.stringify({ object: "Event", description: "tracker.updated", result: { object: "Tracker", tracking_code: "1", status: "delivered", tracking_details: Array.from({ length: 20_000 }, () => ({})) } })),
      Buffer.alloc(6 * 1024 * 1024, 0x20),
    ];
    for (const raw of cases) assertTyped(name, decode, raw);
  });
});
