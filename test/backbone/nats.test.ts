import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NatsPublisher } from "../../sidecar/src/delivery/nats.ts";
import { demoLines, startStack, waitFor, type Stack } from "../support/harness.ts";
import { freePort } from "../support/processes.ts";
import { connectOrExplain, deleteStream, NATS_URL, OwnNatsServer, readStream, uniqueStream } from "./support.ts";

/**
 * The event backbone against the real NATS server with JetStream (127.0.0.1:4222, started by
 * .ci/run): a partner of format nats in a real sidecar, read back with JetStream consumers.
 * These tests fail, with a message saying how to start the server, when it is not there.
 */

let nc: NatsConnection;
const streams: string[] = [];
let stack: Stack | null = null;
const quiet = pino({ level: "silent" });

beforeAll(async () => {
  nc = await connectOrExplain();
});
afterEach(async () => {
  await stack?.stop();
  stack = null;
});
afterAll(async () => {
  for (const s of streams) await deleteStream(nc, s);
  await nc?.close();
});

function backbone(stream: string, prefix: string, endpoint = NATS_URL, extra: Record<string, unknown> = {}) {
  streams.push(stream);
  return {
    code: "BACKBONE",
    format: "nats",
    endpoint,
    subscriptions: { event_types: ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"], partner_codes: ["*"] },
    nats: { stream, subject_prefix: prefix, duplicate_window_ms: 600_000 },
    ...extra,
  };
}

describe("event backbone: format nats", () => {
  it("publishes every event once on <prefix>.<type>, Nats-Msg-Id = event id, in order per subject", async () => {
    const { stream, prefix } = uniqueStream("ORDER");
    stack = await startStack({ extraPartners: [backbone(stream, prefix, NATS_URL, { limits: { concurrency: 8, rate: { requests: 1000, per_ms: 1000 } } })] });
    const { odoo } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = [];
    for (let i = 0; i < 12; i++) {
      const po = odoo.addPurchaseOrder(vendor.id, demoLines());
      rows.push(odoo.approve(po.id));
      rows.push(odoo.change(po.id, (p) => void (p.name = `${p.name}-v2`)));
      if (i % 3 === 0) {
        odoo.cancel(po.id);
      }
    }
    const all = () => odoo.countByState();
    await waitFor(() => stack!.sidecar.store.counts().pending === 0 && (all().delivered ?? 0) === 12 * 2 + 4, "every event delivered", 20_000);

    const messages = await readStream(nc, stream);
    const events = [...odoo.outbox];
    expect(messages).toHaveLength(events.length);
    expect(new Set(messages.map((m) => m.msgId))).toEqual(new Set(events.map((e) => e.event_uuid)));
    for (const m of messages) {
      const body = JSON.parse(m.body) as { id: string; type: string; sequence: number; subject: { model: string; id: number } };
      expect(m.subject).toBe(`${prefix}.${body.type}`);
      expect(m.msgId).toBe(body.id);
      expect(m.headers["Odc-Event-Type"]).toBe(body.type);
      expect(m.headers["Odc-Subject"]).toBe(`${body.subject.model}/${body.subject.id}`);
      expect(m.headers["Odc-Sequence"]).toBe(String(body.sequence));
      expect(m.headers["Content-Type"]).toBe("application/json");
    }
    // In stream order, each purchase order's events come in the order of their sequence.
    const seen = new Map<string, number>();
    for (const m of messages) {
      const key = m.headers["Odc-Subject"]!;
      const seq = Number(m.headers["Odc-Sequence"]);
      expect(seq).toBeGreaterThan(seen.get(key) ?? 0);
      seen.set(key, seq);
    }
    expect(seen.size).toBe(12);
    // The lane is an ordinary partner lane: status and metrics count it.
    expect(stack.sidecar.dispatcher.status().BACKBONE).toMatchObject({ circuit: "closed", disabled: null });
    const metrics = await stack.sidecar.metrics.registry.metrics();
    expect(metrics).toMatch(new RegExp(`odc_delivery_attempts_total\\{partner="BACKBONE",outcome="delivered"\\} ${events.length}\\b`));
  });

  it("a second publish of one event id (a retry after a lost ack) is acked as a duplicate and stored once", async () => {
    const { stream, prefix } = uniqueStream("DUP");
    streams.push(stream);
    const wire = { format: "nats" as const, stream, subjectPrefix: prefix, duplicateWindowMs: 600_000, maxAgeMs: null, replicas: 1, auth: null };
    const publisher = new NatsPublisher(NATS_URL, wire, "BACKBONE", 5_000, quiet);
    const publish = (id: string) => ({ subject: `${prefix}.purchase_order.confirmed`, msgId: id, headers: { "Odc-Event-Type": "purchase_order.confirmed" }, payload: JSON.stringify({ id }) });
    try {
      const first = await publisher.send(publish("evt-1"), 5_000);
      const again = await publisher.send(publish("evt-1"), 5_000);
      const other = await publisher.send(publish("evt-2"), 5_000);
      expect(first).toMatchObject({ ok: true, ack: { stream, seq: 1, duplicate: false } });
      expect(again).toMatchObject({ ok: true, ack: { stream, seq: 1, duplicate: true } });
      expect(other).toMatchObject({ ok: true, ack: { stream, seq: 2, duplicate: false } });
    } finally {
      await publisher.close();
    }
    const messages = await readStream(nc, stream);
    expect(messages.map((m) => m.msgId)).toEqual(["evt-1", "evt-2"]);
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    expect(info.config.subjects).toEqual([`${prefix}.>`]);
    expect(info.config.duplicate_window).toBe(600_000 * 1_000_000);
  });

  it("a stream that exists with other subjects is refused: the lane stops, nothing is sent or recorded", async () => {
    const { stream, prefix } = uniqueStream("CLASH");
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${prefix}-elsewhere.>`] });
    stack = await startStack({ extraPartners: [backbone(stream, prefix)] });
    const { odoo, sidecar } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => sidecar.dispatcher.status().BACKBONE?.disabled != null, "the backbone lane refused", 10_000);
    expect(sidecar.dispatcher.status().BACKBONE!.disabled).toMatch(new RegExp(`NATS stream ${stream} exists with subjects ${prefix}-elsewhere\\.>, not ${prefix}\\.>`));
    // The partner webhook still gets its event; the backbone delivery waits, unattempted.
    await waitFor(() => stack!.partner.accepted.length === 1, "the webhook partner delivered");
    const attempts = sidecar.db.$client.prepare("SELECT state, attempts FROM deliveries WHERE partner = 'BACKBONE'").all();
    expect(attempts).toEqual([{ state: "pending", attempts: 0 }]);
    expect((await jsm.streams.info(stream)).state.messages).toBe(0);
  });

  it("server down: deliveries are retried on the lane's schedule and published once it is back", async () => {
    const server = new OwnNatsServer(await freePort());
    const { stream, prefix } = uniqueStream("DOWN");
    try {
      stack = await startStack({
        extraPartners: [backbone(stream, prefix, server.url, { limits: { timeout_ms: 500, breaker_threshold: 100 }, retry: { schedule_ms: [100, 200, 300], jitter: 0, max_age_ms: 600_000 } })],
      });
      const { odoo, sidecar } = stack;
      const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
      const pos = Array.from({ length: 5 }, () => odoo.addPurchaseOrder(vendor.id, demoLines()));
      for (const po of pos) odoo.approve(po.id);
      const failed = () => sidecar.db.$client.prepare("SELECT count(*) AS n FROM deliveries WHERE partner = 'BACKBONE' AND attempts >= 2 AND state = 'pending' AND last_error_class = 'network'").get() as { n: number };
      await waitFor(() => failed().n === 5, "every backbone delivery failed twice while the server is down", 15_000);
      await server.start();
      await waitFor(() => (odoo.countByState().delivered ?? 0) === 5, "every event delivered once the server is up", 20_000);
      const own = await connectOrExplain(server.url);
      try {
        const messages = await readStream(own, stream);
        expect(messages.map((m) => m.msgId).sort()).toEqual([...odoo.outbox].map((r) => r.event_uuid).sort());
      } finally {
        await own.close();
      }
    } finally {
      await stack?.stop();
      stack = null;
      await server.dispose();
    }
  });

  it("the server restarts while the lane publishes: nothing lost, each event id stored once", async () => {
    const server = new OwnNatsServer(await freePort());
    await server.start();
    const { stream, prefix } = uniqueStream("RESTART");
    try {
      stack = await startStack({
        extraPartners: [backbone(stream, prefix, server.url, { limits: { concurrency: 4, rate: { requests: 200, per_ms: 1000 }, timeout_ms: 500, breaker_threshold: 1000 }, retry: { schedule_ms: [100, 200, 400], jitter: 0.1, max_age_ms: 600_000 } })],
      });
      const { odoo } = stack;
      const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
      for (let i = 0; i < 60; i++) odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
      await waitFor(() => (odoo.countByState().delivered ?? 0) >= 10, "some events delivered", 15_000);
      await server.stop();
      await server.start();
      await waitFor(() => (odoo.countByState().delivered ?? 0) === 60, "every event delivered after the restart", 30_000);
      const own = await connectOrExplain(server.url);
      try {
        const ids = (await readStream(own, stream)).map((m) => m.msgId);
        expect(ids).toHaveLength(60);
        expect(new Set(ids).size).toBe(60);
      } finally {
        await own.close();
      }
    } finally {
      await stack?.stop();
      stack = null;
      await server.dispose();
    }
  });
});
