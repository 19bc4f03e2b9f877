import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { prepare } from "../delivery/wire.ts";
import { secretValuesOf } from "../lib/secrets.ts";
import { INBOUND_EVENT_TYPES } from "../partners/registry.ts";
import { ConfigError } from "./env.ts";
import { OUTBOUND_EVENT_TYPES } from "./formats.ts";
import { parsePartners, partnersFor } from "./partners.ts";

const backbone = (over: Record<string, unknown> = {}) => ({ code: "BACKBONE", format: "nats", endpoint: "nats://127.0.0.1:4222", subscriptions: { event_types: ["purchase_order.confirmed"], partner_codes: ["*"] }, ...over });
const one = (p: Record<string, unknown>, env: Record<string, string> = {}) => parsePartners({ partners: [p] }, env)[0]!;
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.join("\n");
    throw err;
  }
  throw new Error("accepted");
};

describe("format nats (the event backbone) in the partners file", () => {
  it("needs only an endpoint and subscriptions: stream ODC, subjects odc.v1.<type>, a 2 h dedupe window", () => {
    expect(one(backbone()).wire).toEqual({ format: "nats", stream: "ODC", subjectPrefix: "odc.v1", duplicateWindowMs: 7_200_000, maxAgeMs: null, replicas: 1, auth: null });
  });

  it("takes its stream, prefix and login from the nats section, secrets as references", () => {
    const p = one(backbone({ nats: { stream: "PLANNING", subject_prefix: "acme.odc.v1", duplicate_window_ms: 600_000, user: "odc", password: "env:NATS_PASSWORD" } }), { NATS_PASSWORD: "s3cret-pass-word" });
    expect(p.wire).toMatchObject({ stream: "PLANNING", subjectPrefix: "acme.odc.v1", duplicateWindowMs: 600_000, auth: { user: "odc", password: "s3cret-pass-word" } });
    // The status page and CLI scrub every secret value they find in the partners.
    expect(secretValuesOf([p])).toContain("s3cret-pass-word");
    expect(refusal(() => one(backbone({ nats: { token: "env:NATS_TOKEN" } })))).toBe("ODC_PARTNERS_FILE: partners.0.nats.token: environment variable NATS_TOKEN is not set");
  });

  it("refuses what cannot work, naming the partner and the field", () => {
    expect(refusal(() => one(backbone({ endpoint: "https://nats.example" })))).toMatch(/partners\.0\.endpoint: partner BACKBONE: format nats needs a nats:\/\/ or tls:\/\/ server URL/);
    expect(refusal(() => one(backbone({ endpoint: "nats://odc:pw@127.0.0.1:4222" })))).toMatch(/partners\.0\.endpoint: partner BACKBONE: no credentials in the URL/);
    expect(refusal(() => one({ code: "ACME", endpoint: "nats://127.0.0.1:4222", signing_secrets: ["env:S"], subscriptions: { event_types: ["purchase_order.confirmed"] } }, { S: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }))).toMatch(
      /partners\.0\.endpoint: partner ACME: a nats:\/\/ endpoint is for format nats/,
    );
    expect(refusal(() => one(backbone({ delivery: { mode: "batched", max_events: 10, max_wait_ms: 100 } })))).toMatch(/partners\.0\.delivery\.mode: partner BACKBONE: format nats carries one event per request/);
    expect(refusal(() => one(backbone({ nats: { stream: "ODC.v1" } })))).toMatch(/partners\.0\.nats\.stream:/);
    expect(refusal(() => one(backbone({ nats: { subject_prefix: "odc.*" } })))).toMatch(/partners\.0\.nats\.subject_prefix:/);
    expect(refusal(() => one(backbone({ nats: { user: "odc" } })))).toMatch(/partners\.0\.nats\.password: user and password go together/);
    expect(refusal(() => one(backbone({ signing_secrets: ["env:S"] })))).toMatch(/partners\.0\.signing_secrets: not used by format nats/);
    expect(refusal(() => one(backbone({ nats: { duplicate_window_ms: 3_600_000, max_age_ms: 60_000 } })))).toMatch(/partners\.0\.nats\.duplicate_window_ms: must not exceed max_age_ms/);
  });

  it("ODC_NATS_URL adds partner NATS for every outbound event of every vendor and carrier", () => {
    const partners = parsePartners({ partners: [] }, { ODC_NATS_URL: "nats://10.0.0.5:4222" });
    expect(partners.map((p) => p.code)).toEqual(["NATS"]);
    const nats = partners[0]!;
    expect(nats).toMatchObject({ format: "nats", endpoint: "nats://10.0.0.5:4222", outbound: true, subscriptions: { event_types: [...OUTBOUND_EVENT_TYPES], partner_codes: ["*"] } });
    expect(partnersFor(partners, { type: "shipment.ready", data: { carrier: { partner_code: "DHL" } } })).toEqual([nats]);
    expect(partnersFor(partners, { type: "stock.adjusted", data: {} })).toEqual([nats]);
    expect(partnersFor(partners, { type: "carrier.tracking_updated", data: {} })).toEqual([]);
    expect(refusal(() => parsePartners({ partners: [backbone({ code: "NATS" })] }, { ODC_NATS_URL: "nats://127.0.0.1:4222" }))).toMatch(/^ODC_NATS_URL: the partners file already has a partner NATS/);
    expect(refusal(() => parsePartners({ partners: [] }, { ODC_NATS_URL: "http://127.0.0.1:4222" }))).toMatch(/^ODC_NATS_URL: must be a nats:\/\/ or tls:\/\/ URL/);
    expect(parsePartners({ partners: [] }, {})).toEqual([]);
  });

  it("OUTBOUND_EVENT_TYPES are the contract's event types that are not inbound", () => {
    const dir = resolve(import.meta.dirname, "../../../contracts/v1/events");
    const all = readdirSync(dir).map((f) => f.replace(/\.schema\.json$/, ""));
    const inbound = new Set<string>(INBOUND_EVENT_TYPES);
    expect([...OUTBOUND_EVENT_TYPES].sort()).toEqual(all.filter((t) => !inbound.has(t) && t !== "supplier.document_status").sort());
    expect(all.length).toBeGreaterThan(OUTBOUND_EVENT_TYPES.length);
  });

  it("the wire publishes the event as stored on <prefix>.<type>, its id as Nats-Msg-Id; one event per message", () => {
    const target = { endpoint: "nats://127.0.0.1:4222", wire: one(backbone()).wire! };
    const payload = JSON.stringify({ id: "e-1", type: "shipment.dispatched", sequence: 3, subject: { model: "stock.picking", id: 7, ref: "WH/OUT/7" } });
    expect(prepare(target, [{ eventId: "e-1", payload }], { now: 0 })).toEqual({
      subject: "odc.v1.shipment.dispatched",
      msgId: "e-1",
      payload,
      headers: { "Content-Type": "application/json", "Odc-Event-Type": "shipment.dispatched", "Odc-Subject": "stock.picking/7", "Odc-Sequence": "3" },
    });
    expect(prepare(target, [{ eventId: "e-1", payload: JSON.stringify({ id: "e-1", type: "odc.>" }) }], { now: 0 })).toMatchObject({ ok: false, code: "invalid_event" });
    expect(prepare(target, [{ eventId: "a", payload }, { eventId: "b", payload }], { now: 0 })).toMatchObject({ ok: false, code: "unsupported_event" });
  });
});
