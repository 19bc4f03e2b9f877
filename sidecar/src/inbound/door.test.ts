import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { parsePartners } from "../config/partners.ts";
import { createApp } from "../http/app.ts";
import { serveApp } from "../http/server.ts";
import { createLogger } from "../lib/logger.ts";
import { openStore } from "../store/db.ts";
import { InboundStore } from "./store.ts";
import { DecodeStage } from "./decode-stage.ts";
import { InboundDoor, type DoorRequest } from "./door.ts";
import { InboundMetrics } from "./metrics.ts";
import { inboundFastPath, inboundRoutes } from "./routes.ts";

const SECRET = "door-test-secret";
const silent = pino({ level: "silent" });
const partnersOf = (extra: object = {}) =>
  parsePartners({ partners: [{ code: "EASYPOST", inbound: { format: "easypost", verification: { scheme: "easypost_hmac", secrets: ["env:S"] }, coalesce_ms: 0, ...extra } }] }, { S: SECRET });
const sign = (body: string) => `hmac-sha256-hex=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

function tracker(o: { id?: string; tracking?: string; status?: string; description?: string; mode?: string } = {}): string {
  return JSON.stringify({
    object: "Event",
    ...(o.id === undefined ? { id: `evt_${Math.random().toString(36).slice(2)}` } : o.id === "" ? {} : { id: o.id }),
    mode: o.mode ?? "production",
    description: o.description ?? "tracker.updated",
    result: {
      object: "Tracker",
      ...(o.tracking === "" ? {} : { tracking_code: o.tracking ?? "TRK-1" }),
      status: o.status ?? "in_transit",
      carrier: "USPS",
      tracking_details: [{ object: "TrackingDetail", status: o.status ?? "in_transit", datetime: "2026-12-02T07:58:00Z", message: "scan" }],
    },
  });
}

function request(body: string, o: Partial<DoorRequest> = {}): DoorRequest {
  return {
    partner: "EASYPOST",
    requestId: "rid",
    headers: { "content-type": "application/json", "x-hmac-signature": sign(body) },
    contentType: "application/json",
    url: "/inbound/EASYPOST",
    body: (_max, done) => done({ ok: true, bytes: Buffer.from(body) }),
    ...o,
  };
}

function setup(partners = partnersOf(), maxReceived?: number) {
  const store = new InboundStore(openStore(":memory:"));
  const door = new InboundDoor({ partners, store, log: silent, stored: () => undefined, commitIntervalMs: 0, ...(maxReceived ? { maxReceived } : {}) });
  return { store, door, stage: new DecodeStage(store, partners, silent) };
}

describe("carrier webhooks: stored as received, decoded after the answer", () => {
  it("answers 202 received with no event id yet; decoding makes it pending with its apply item", async () => {
    const { store, door, stage } = setup();
    const answer = await door.handle(request(tracker({ id: "evt_1", tracking: "TRK-1" })));
    expect(answer.status).toBe(202);
    const body = JSON.parse(answer.body) as { document_id: number };
    expect(body).toEqual({ accepted: true, document_id: body.document_id, event_id: null, duplicate: false, status: "received" });
    expect(store.counts()).toMatchObject({ received: 1 });
    expect(store.list({ statuses: ["received"] })[0]).toMatchObject({ type: "(undecoded)", messageId: "evt_1", eventId: null });

    expect(await stage.run(10)).toBe(1);
    const row = store.list({})[0]!;
    expect(row).toMatchObject({ status: "pending", type: "carrier.tracking_updated", messageId: "evt_1", subjectRef: "TRK-1", eventId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(store.due(Date.now() + 1000, 10)).toHaveLength(1);
    expect(await stage.run(10)).toBe(0);
  });

  it("a redelivery is a duplicate, before and after decoding, and the answer then carries the event id", async () => {
    const { store, door, stage } = setup();
    const body = tracker({ id: "evt_twice" });
    const first = JSON.parse((await door.handle(request(body))).body) as { document_id: number };
    expect(JSON.parse((await door.handle(request(body))).body)).toMatchObject({ document_id: first.document_id, duplicate: true, status: "received" });
    await stage.run(10);
    const after = JSON.parse((await door.handle(request(body))).body) as { event_id: string; duplicate: boolean; status: string };
    expect(after).toMatchObject({ document_id: first.document_id, duplicate: true, status: "pending", event_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(store.list({})[0]!.receipts).toBe(3);
  });

  it("one signed document the decoder cannot read is rejected with the reason, and holds nothing else up", async () => {
    const { store, door, stage } = setup();
    const bad = await door.handle(request(tracker({ id: "evt_bad", tracking: "" })));
    const good = await door.handle(request(tracker({ id: "evt_good", tracking: "TRK-9" })));
    expect([bad.status, good.status]).toEqual([202, 202]);
    // Nothing after a received document is due: its subject is not known until it is decoded.
    expect(store.due(Date.now() + 1000, 10)).toEqual([]);
    await stage.run(10);
    const [goodRow, badRow] = store.list({});
    expect(badRow).toMatchObject({ messageId: "evt_bad", status: "rejected", type: "(undecoded)", eventId: null, detail: expect.stringContaining("not decodable") });
    expect(badRow!.detail).toContain("tracking_code");
    expect(goodRow).toMatchObject({ messageId: "evt_good", status: "pending" });
    expect(store.due(Date.now() + 1000, 10).map((d) => d.id)).toEqual([goodRow!.id]);
  });

  it("test mode and events with nothing to apply are decided when decoded", async () => {
    const { store, door, stage } = setup();
    await door.handle(request(tracker({ id: "evt_test", mode: "test" })));
    await door.handle(request(tracker({ id: "evt_batch", description: "batch.created" })));
    const decided: string[] = [];
    await new DecodeStage(store, partnersOf(), silent, { decided: (ds) => decided.push(...ds.map((d) => d.status)) }).run(10);
    expect(store.list({}).map((r) => [r.messageId, r.status])).toEqual([
      ["evt_batch", "ignored"],
      ["evt_test", "test_skipped"],
    ]);
    expect(decided.sort()).toEqual(["ignored", "test_skipped"]);
    void stage;
  });

  it("a document whose partner was removed from the configuration is rejected, not left waiting", async () => {
    const { store, door } = setup();
    await door.handle(request(tracker({ id: "evt_orphan" })));
    await new DecodeStage(store, [], silent).run(10);
    expect(store.list({})[0]).toMatchObject({ status: "rejected", detail: expect.stringContaining("no longer takes easypost documents") });
  });

  it("the decode stage takes at most its batch, oldest first", async () => {
    const { store, door, stage } = setup();
    for (let i = 0; i < 5; i++) await door.handle(request(tracker({ id: `evt_b${i}`, tracking: `B-${i}` })));
    expect(await stage.run(3)).toBe(3);
    expect(store.list({ statuses: ["received"] }).map((r) => r.messageId)).toEqual(["evt_b4", "evt_b3"]);
    // Received rows are counted and listed like any other, though the status index leaves them out.
    expect(store.counts()).toEqual({ pending: 3, received: 2 });
    expect(store.list({ statuses: ["pending"] }).map((r) => r.messageId)).toEqual(["evt_b2", "evt_b1", "evt_b0"]);
    expect(store.list({ statuses: ["received", "pending"] })).toHaveLength(5);
    expect(await stage.run(3)).toBe(2);
    expect(store.counts()).toEqual({ pending: 5 });
  });

  it("past maxReceived documents waiting to be decoded, answers 503 with retry-after and stores nothing more", async () => {
    const { store, door, stage } = setup(partnersOf(), 2);
    for (const id of ["evt_m1", "evt_m2"]) expect((await door.handle(request(tracker({ id })))).status).toBe(202);
    const full = await door.handle(request(tracker({ id: "evt_m3" })));
    expect(full.status).toBe(503);
    expect(full.headers["retry-after"]).toBe("30");
    expect(JSON.parse(full.body)).toMatchObject({ error: { code: "backlog_full" } });
    expect(store.list({}).map((r) => r.messageId)).toEqual(["evt_m2", "evt_m1"]);
    await stage.run(10);
    expect((await door.handle(request(tracker({ id: "evt_m3" })))).status).toBe(202);
  });

  it("refuses at the door what is plainly the sender's fault: not JSON, not an EasyPost document", async () => {
    const { store, door } = setup();
    for (const [body, code] of [
      ["{", "not_json"],
      ["[1,2]", "unsupported_document"],
      ['{"object":"Tracker","id":"trk_1"}', "unsupported_document"],
    ] as const) {
      const answer = await door.handle(request(body));
      expect(answer.status, body).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code } });
    }
    expect(store.counts()).toEqual({ pending: 0 });
  });
});

describe("the fast path on Node's request", () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  async function serve(door: InboundDoor, lines: Record<string, unknown>[], level = "info"): Promise<string> {
    const log = createLogger(level, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const app = createApp({ log, mounts: [["/inbound", inboundRoutes(door)]] });
    const server = serveApp(app, { hostname: "127.0.0.1", port: 0, fastPath: inboundFastPath(door, log) }, () => undefined);
    await new Promise((r) => server.once("listening", r));
    close = () => new Promise((r) => server.close(() => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("answers as the Hono route does, with the request id; taken documents are logged at debug, refusals at info", async () => {
    const partners = partnersOf();
    const store = new InboundStore(openStore(":memory:"));
    const metrics = new InboundMetrics(new Registry(), () => store.counts());
    const door = new InboundDoor({ partners, store, log: silent, metrics, stored: () => undefined, commitIntervalMs: 0 });
    const lines: Record<string, unknown>[] = [];
    const url = await serve(door, lines);
    const app = createApp({ log: silent, mounts: [["/inbound", inboundRoutes(door)]] });

    const body = tracker({ id: "evt_fast" });
    const fast = await fetch(`${url}/inbound/EASYPOST`, { method: "POST", headers: { "content-type": "application/json", "x-hmac-signature": sign(body), "x-request-id": "rid-fast" }, body });
    expect(fast.status).toBe(202);
    expect(fast.headers.get("x-request-id")).toBe("rid-fast");
    const text = await fast.text();
    expect(fast.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    const viaHono = await app.request("/inbound/EASYPOST", { method: "POST", headers: { "content-type": "application/json", "x-hmac-signature": sign(body) }, body });
    expect(await viaHono.json()).toEqual({ ...JSON.parse(text), duplicate: true });

    const refused = await fetch(`${url}/inbound/EASYPOST`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(refused.status).toBe(401);
    const rid = refused.headers.get("x-request-id");
    expect(rid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await refused.json()).toEqual({ error: { code: "missing_signature", message: expect.any(String), request_id: rid } });

    // A percent-encoded partner code is decoded, as Hono decodes path parameters.
    const encoded = tracker({ id: "evt_encoded" });
    expect((await fetch(`${url}/inbound/EASY%50OST`, { method: "POST", headers: { "content-type": "application/json", "x-hmac-signature": sign(encoded) }, body: encoded })).status).toBe(202);
    // Anything else is Hono's: a trailing slash, a GET.
    expect(await (await fetch(`${url}/inbound/EASYPOST/`, { method: "POST", body: "{}" })).json()).toMatchObject({ error: { code: "not_found" } });
    expect((await fetch(`${url}/inbound/EASYPOST`)).status).toBe(404);

    const requests = lines.filter((l) => l.msg === "request");
    expect(requests.find((l) => l.request_id === "rid-fast")).toBeUndefined();
    expect(requests.find((l) => l.request_id === rid)).toMatchObject({ level: "info", status: 401, path: "/inbound/EASYPOST" });
    const exposition = await metrics.requests.get();
    const count = (outcome: string) => exposition.values.find((v) => v.labels.outcome === outcome)?.value;
    expect([count("accepted"), count("duplicate"), count("missing_signature")]).toEqual([2, 1, 1]);
  });

  it("logs each taken request at debug level when asked", async () => {
    const { door } = setup();
    const lines: Record<string, unknown>[] = [];
    const url = await serve(door, lines, "debug");
    const body = tracker({ id: "evt_debug" });
    await fetch(`${url}/inbound/EASYPOST`, { method: "POST", headers: { "content-type": "application/json", "x-hmac-signature": sign(body), "x-request-id": "rid-debug" }, body });
    expect(lines.find((l) => l.request_id === "rid-debug")).toMatchObject({ msg: "request", level: "debug", status: 202 });
  });

  it("an error the door did not expect is a 500 with the request id, logged, whether it is thrown or passed on", async () => {
    for (const [name, take] of [
      ["passed", (_req: DoorRequest, done: (a: Error) => void) => done(new Error("boom passed"))],
      ["thrown", () => {
        throw new Error("boom thrown");
      }],
    ] as const) {
      const lines: Record<string, unknown>[] = [];
      const url = await serve({ take } as unknown as InboundDoor, lines);
      const res = await fetch(`${url}/inbound/EASYPOST`, { method: "POST", headers: { "x-request-id": `rid-${name}` }, body: "{}" });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: "internal", message: "internal error", request_id: `rid-${name}` } });
      expect(lines.find((l) => l.msg === "unhandled error")).toMatchObject({ request_id: `rid-${name}`, err: { message: `boom ${name}` } });
      await close?.();
      close = null;
    }
  });

  it("a request stream that fails while its body is read is a 500 from the door, not a hang", async () => {
    const { door } = setup();
    const body = tracker({ id: "evt_stream" });
    const failing: DoorRequest = { ...request(body), body: (_max, done) => setImmediate(() => done(new Error("socket hang up"))) };
    await expect(door.handle(failing)).rejects.toThrow("socket hang up");
  });
});

describe("what the door took is summed up in the log", () => {
  it("one line per partner after the window, not one per request", async () => {
    const partners = partnersOf();
    const store = new InboundStore(openStore(":memory:"));
    const lines: Record<string, unknown>[] = [];
    const log = createLogger("info", { write: (l: string) => void lines.push(JSON.parse(l)) });
    const door = new InboundDoor({ partners, store, log, stored: () => undefined, commitIntervalMs: 0, summaryMs: 20 });
    const body = tracker({ id: "evt_sum" });
    await door.handle(request(body));
    await door.handle(request(body));
    await door.handle(request(tracker({ id: "evt_sum2" })));
    expect(lines).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(lines).toEqual([expect.objectContaining({ msg: "inbound: documents taken", partner: "EASYPOST", stored: 2, duplicates: 1, window_s: 0.02 })]);
  });
});
