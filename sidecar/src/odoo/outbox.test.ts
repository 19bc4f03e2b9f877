import { describe, expect, it } from "vitest";
import type { OdooClient } from "./client.ts";
import { OdooProtocolError } from "./errors.ts";
import { OdooOutbox } from "./outbox.ts";

const answering = (answer: unknown) => new OdooOutbox({ execute: async () => answer } as unknown as OdooClient);
const event = (over: Record<string, unknown> = {}) => ({
  id: "0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d",
  type: "purchase_order.confirmed",
  sequence: 1,
  subject: { model: "purchase.order", id: 42, ref: "P00042" },
  ...over,
});

describe("claim_batch answers", () => {
  it("reads a well-formed answer", async () => {
    const r = await answering({ lease_token: "t", lease_until: "2026-11-26T10:00:00Z", events: [{ outbox_id: 1, replay: false, event: event() }] }).claimBatch(10, 60);
    expect(r.events).toEqual([{ outboxId: 1, replay: false, event: event() }]);
    expect(r.malformed).toEqual([]);
  });

  it("names the claimer when it has one, and only then", async () => {
    const calls: unknown[] = [];
    const outbox = new OdooOutbox({ execute: async (...args: unknown[]) => (calls.push(args), { lease_token: "t", lease_until: "x", events: [] }) } as unknown as OdooClient);
    await outbox.claimBatch(10, 60, { consumer: "odc-a", generation: 3 });
    await outbox.claimBatch(10, 60);
    expect(calls).toEqual([
      ["connector.outbox", "claim_batch", [], { limit: 10, lease_seconds: 60, raw_payload: true, consumer: "odc-a", generation: 3 }],
      ["connector.outbox", "claim_batch", [], { limit: 10, lease_seconds: 60, raw_payload: true }],
    ]);
  });

  it.each([
    ["null", null],
    ["a list", []],
    ["no events", { lease_token: "t", lease_until: "x" }],
    ["events not a list", { lease_token: "t", lease_until: "x", events: {} }],
    ["too many events", { lease_token: "t", lease_until: "x", events: Array.from({ length: 5001 }, () => ({})) }],
  ])("refuses %s as a protocol error", async (_n, answer) => {
    await expect(answering(answer).claimBatch(10, 60)).rejects.toBeInstanceOf(OdooProtocolError);
  });

  it.each([
    ["a string row", "x", "row is not an object"],
    ["a negative outbox id", { outbox_id: -1, event: event() }, "outbox_id"],
    ["a string replay flag", { outbox_id: 1, replay: "yes", event: event() }, "replay"],
    ["no event", { outbox_id: 1 }, "event:"],
    ["a bad event id", { outbox_id: 1, event: event({ id: "1 OR 1=1" }) }, "event.id"],
    ["an over-long type", { outbox_id: 1, event: event({ type: "x".repeat(65) }) }, "event.type"],
    ["a zero sequence", { outbox_id: 1, event: event({ sequence: 0 }) }, "event.sequence"],
    ["a subject without id", { outbox_id: 1, event: event({ subject: { model: "purchase.order", ref: "P1" } }) }, "event.subject"],
    ["a prototype-polluting subject", { outbox_id: 1, event: JSON.parse('{"id":"0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d","type":"t.t","sequence":1,"subject":{"__proto__":{"id":1},"model":"m","ref":"r"}}') }, "event.subject"],
  ])("keeps %s out of the store and says why", async (_n, row, reason) => {
    const r = await answering({ lease_token: "t", lease_until: "x", events: [row, { outbox_id: 2, event: event() }] }).claimBatch(10, 60);
    expect(r.events.map((e) => e.outboxId)).toEqual([2]);
    expect(r.malformed).toHaveLength(1);
    expect(r.malformed[0]!.reason).toContain(reason);
  });
});

describe("claim_batch answers with raw_payload (event_json)", () => {
  it("parses each event's JSON text and keeps the text to store as is", async () => {
    const text = JSON.stringify(event());
    const r = await answering({ lease_token: "t", lease_until: "x", events: [{ outbox_id: 1, replay: true, event_json: text }] }).claimBatch(10, 60);
    expect(r.events).toEqual([{ outboxId: 1, replay: true, event: event(), payloadText: text }]);
  });

  it.each([
    ["not a string", { outbox_id: 1, event_json: { a: 1 } }, "event_json: expected a string"],
    ["not JSON", { outbox_id: 1, event_json: '{"id":' }, "event_json: not valid JSON"],
    ["JSON of the wrong shape", { outbox_id: 1, event_json: "[1,2]" }, "event.id"],
    ["over the size limit", { outbox_id: 1, event_json: `"${"x".repeat(4 * 1024 * 1024)}"` }, "over"],
  ])("keeps an event_json that is %s out of the store", async (_n, row, reason) => {
    const r = await answering({ lease_token: "t", lease_until: "x", events: [row] }).claimBatch(10, 60);
    expect(r.events).toEqual([]);
    expect(r.malformed[0]!.reason).toContain(reason);
  });
});

describe("record_results answers", () => {
  it("reads counts and lists", async () => {
    expect(await answering({ updated: 2, unknown: ["a"], ignored: [] }).recordResults([])).toEqual({ updated: 2, unknown: ["a"], ignored: [] });
  });
  it.each([[null], [{ updated: -1 }], [{ updated: "2" }], [{ updated: 1, unknown: "a" }]])("refuses %j", async (answer) => {
    await expect(answering(answer).recordResults([])).rejects.toBeInstanceOf(OdooProtocolError);
  });
});
