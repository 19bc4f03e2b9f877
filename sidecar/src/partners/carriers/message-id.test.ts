import { readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeWith, type FormatName } from "../registry.ts";
import { partnerFixturesDir, readFixture } from "../test-support/fixtures.ts";
import { carrierMessageId, SPOOLED_FORMATS } from "./message-id.ts";

/**
 * The door stores a carrier webhook under the id carrierMessageId finds, without decoding; the
 * decode stage later rejects a document whose decoder says otherwise. These tests hold the two
 * to the same answer: where the door takes a document, the decoder finds the same id (or
 * refuses it for what only decoding sees); where the door refuses, the decoder refuses too,
 * with the same code.
 */
function agree(format: FormatName, raw: Buffer | string): void {
  const door = carrierMessageId(format, raw);
  const decoded = decodeWith(format, raw);
  if (!door.ok) {
    expect(decoded.ok, `${format}: the door refused (${door.code}) what the decoder took`).toBe(false);
    if (!decoded.ok) expect(decoded.code).toBe(door.code);
    return;
  }
  if (!decoded.ok) return;
  const messageId = decoded.kind === "event" ? decoded.event.messageId : decoded.kind === "ignored" ? decoded.messageId : null;
  expect(messageId, `${format}: ${decoded.kind}`).toBe(door.messageId);
}

const carriers = [...SPOOLED_FORMATS] as FormatName[];

describe("carrier message ids at the door", () => {
  it("agree with the decoders on every real carrier fixture", () => {
    let n = 0;
    let taken = 0;
    for (const format of ["easypost", "shippo", "aftership", "shipengine"] as const) {
      const dir = join(partnerFixturesDir, "webhooks", format);
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
        const raw = readFixture(join("webhooks", format, file));
        agree(format, raw);
        n++;
        if (carrierMessageId(format, raw).ok) taken++;
      }
    }
    // Some fixtures are not webhooks (a client library's excerpt of several): refused by both.
    expect(n).toBeGreaterThanOrEqual(8);
    expect(taken).toBeGreaterThanOrEqual(6);
  });

  it("take the partner's id where it has one, a body hash where it has none", () => {
    const easypost = JSON.stringify({ object: "Event", id: "evt_42", description: "tracker.updated", result: { object: "Tracker", tracking_code: "T1", status: "in_transit" } });
    expect(carrierMessageId("easypost", easypost)).toMatchObject({ ok: true, messageId: "evt_42", messageIdSource: "partner", scope: "easypost:Event:tracker.updated" });
    const shipment = JSON.stringify({ object: "Shipment", id: "shp_1" });
    expect(carrierMessageId("easypost", shipment)).toMatchObject({ ok: true, messageId: "shp_1", scope: "easypost:Shipment" });
    const aftership = JSON.stringify({ event: "tracking_update", event_id: "a-1", msg: { tracking_number: "1Z", tag: "InTransit" } });
    expect(carrierMessageId("aftership", aftership)).toMatchObject({ ok: true, messageId: "a-1", scope: "aftership:tracking_update" });
    const shippo = JSON.stringify({ event: "track_updated", data: {} });
    expect(carrierMessageId("shippo", shippo)).toMatchObject({ ok: true, messageId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), messageIdSource: "body_hash", scope: "shippo:track_updated" });
    for (const format of carriers) agree(format, format === "easypost" ? easypost : format === "aftership" ? aftership : shippo);
  });

  it("refuse what is not JSON, or not the carrier's kind of document, as the decoders do", () => {
    const junk = ["", "{", "[]", "null", "42", '"evt_1"', "true", '{"object":"Tracker"}', '{"__proto__":{"object":"Event"},"constructor":{"prototype":{"x":1}}}', Buffer.from([0xff, 0xfe, 0x7b])];
    for (const format of carriers) {
      for (const raw of junk) {
        const door = carrierMessageId(format, raw);
        expect(door.ok, `${format} ${String(raw)}`).toBe(false);
        agree(format, raw);
      }
    }
    expect(carrierMessageId("cxml", "{}")).toMatchObject({ ok: false, code: "unsupported_document" });
  });

  it("agree with the decoders on generated JSON of every shape", () => {
    const keys = fc.constantFrom("object", "id", "description", "event", "event_id", "msg", "data", "resource_type", "result", "tracking", "test", "mode");
    const value = fc.oneof(fc.constantFrom("Event", "Shipment", "Order", "tracker.updated", "track_updated", "tracking_update", "API_TRACK", ""), fc.jsonValue({ maxDepth: 2 }));
    const body = fc.oneof(fc.dictionary(keys, value, { maxKeys: 6 }), fc.jsonValue({ maxDepth: 3 }));
    fc.assert(
      fc.property(fc.constantFrom(...carriers), body, (format, v) => {
        agree(format, JSON.stringify(v));
      }),
      { numRuns: 2000 },
    );
  });
});
