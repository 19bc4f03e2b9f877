import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import type { CanonicalEvent, ClaimedEvent } from "../../sidecar/src/contracts/events.ts";
import type { PgDeliveryStore } from "../../sidecar/src/delivery/pg/index.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import type { EventHistoryView } from "../../sidecar/src/ops/history.ts";
import type { StatusDocument } from "../../sidecar/src/ops/status.ts";
import type { Sidecar } from "../../sidecar/src/service.ts";
import { inboundFactsOf, inboundFactsReader, type AttentionBounds, type InboundFacts } from "../../sidecar/src/ops/attention.ts";
import { PgStatusStore } from "../../sidecar/src/ops/status-pg.ts";
import { sqliteStatusStore } from "../../sidecar/src/ops/status-sqlite.ts";
import type { StoreSummary } from "../../sidecar/src/ops/status.ts";
import { openStore, type StoreDb } from "../../sidecar/src/store/db.ts";
import { openPgStore, type Pg } from "../../sidecar/src/store/pg/db.ts";
import postgres from "postgres";
import { OdooSimulator } from "../simulator/odoo.ts";
import { NUDGE_SECRET, PARTNER_SECRET } from "../support/harness.ts";
import { createTestDatabase, pgUser, type TestDatabase } from "../support/pg.ts";
import { startReplicas } from "../support/replicas.ts";
import { odc } from "../ops/support.ts";

/**
 * Two real sidecars (replicas A and B, each its own folder and consumer id) on one PostgreSQL
 * database: the status document (`/admin/status`, `odc status`) of each shows every
 * replica's deliveries, pending, delivered and dead, with the oldest pending age; the
 * attention count of unacknowledged POs counts those the other replica delivered, and the
 * acknowledgements either received; an event's
 * history made on one replica reads the same on the other (`/admin/events/<id>/history`,
 * `odc history`), and a malformed id stays a 400.
 */

const user = await pgUser();
const ADMIN_TOKEN = "admin-token-for-pg-status-tests-0123456789";
const H = 3_600_000;
/** A partner no replica has a lane for: the deliveries below are made by hand, one replica or the other, and nothing attempts them. */
const SUPPLIER = "SUPPLIER";

let outboxId = 0;
function claimed(ref: string, type = "purchase_order.confirmed"): ClaimedEvent {
  const event: CanonicalEvent = { id: randomUUID(), type, version: 1, occurred_at: new Date().toISOString(), source: {}, subject: { model: "purchase.order", id: ++outboxId, ref }, sequence: 1, data: {} };
  return { outboxId, replay: false, event };
}

describe.skipIf(!user)("status and history on the shared store, from either replica", () => {
  let db: TestDatabase;
  let odoo: OdooSimulator;
  let dir = "";
  const replicas: { sidecar: Sidecar; url: string }[] = [];
  const ids: Record<string, string> = {};

  const admin = (r: { url: string }, path: string) => fetch(`${r.url}/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const status = async (r: { url: string }) => (await (await admin(r, "/status")).json()) as StatusDocument;

  beforeAll(async () => {
    db = (await createTestDatabase())!;
    dir = mkdtempSync(join(tmpdir(), "odc-pg-status-"));
    odoo = new OdooSimulator({ nudgeSecret: NUDGE_SECRET });
    await odoo.start();
    const partners = parsePartners(
      { partners: [{ code: "WOODCORNER", name: "Wood Corner", endpoint: "http://127.0.0.1:9/webhooks", signing_secrets: ["env:PARTNER_SECRET"], subscriptions: { event_types: ["purchase_order.confirmed"] } }] },
      { PARTNER_SECRET },
    );
    replicas.push(...(await startReplicas({ odoo, databaseUrl: db.url, dir, partners, adminToken: ADMIN_TOKEN, env: { ODC_ATTENTION_ACK_MS: String(24 * H) } })));
    const [a, b] = replicas.map((r) => r.sidecar.deliveries as PgDeliveryStore) as [PgDeliveryStore, PgDeliveryStore];
    const now = Date.now();
    const toSupplier = () => [SUPPLIER];
    // A claims P1 and P2; B claims P3, P4 and P5 (a minute ago: the oldest pending).
    const [p1, p2, p3, p4, p5] = ["P1", "P2", "P3", "P4", "P5"].map((ref) => claimed(ref)) as [ClaimedEvent, ClaimedEvent, ClaimedEvent, ClaimedEvent, ClaimedEvent];
    await a.ingest([p1, p2], toSupplier, () => null, now - 31 * H);
    await b.ingest([p3, p4], toSupplier, () => null, now - 31 * H);
    await b.ingest([p5], toSupplier, () => null, now - 60_000);
    Object.assign(ids, { p1: p1.event.id, p2: p2.event.id, p3: p3.event.id, p4: p4.event.id, p5: p5.event.id });
    // A delivers P1 (30 h ago); B delivers P2 and P3 (30 h ago) and gives up on P4 (dead). P5 stays pending.
    // Each replica leases only the deliveries it is to make (the others excluded), as its lanes would.
    const sql = replicas[0]!.sidecar.shared!.sql;
    const deliveryOf = new Map((await sql<{ id: number; event_id: string }[]>`SELECT id, event_id FROM deliveries`).map((r) => [r.event_id, r.id]));
    const leaseOnly = (store: PgDeliveryStore, eventIds: string[]) =>
      store.due(SUPPLIER, now, 10, new Set([...deliveryOf].filter(([e]) => !eventIds.includes(e)).map(([, id]) => id)));
    const dA = await leaseOnly(a, [p1.event.id]);
    expect(dA).toHaveLength(1);
    await a.recordOutcomes([{ id: dA[0]!.id, ok: true, status: 200, at: now - 30 * H }]);
    const dB = await leaseOnly(b, [p2.event.id, p3.event.id, p4.event.id]);
    expect(dB).toHaveLength(3);
    await b.recordOutcomes(
      dB.map((d) => (d.eventId === p4.event.id ? { id: d.id, ok: false as const, errorClass: "http_4xx" as const, message: "HTTP 422: unknown article", status: 422, nextAttemptAt: null } : { id: d.id, ok: true as const, status: 200, at: now - 30 * H })),
    );
    // A received the supplier's acknowledgement of P3: in the shared store, as every replica's inbound documents.
    await sql`
      INSERT INTO inbound_documents (partner, type, message_id, message_id_source, format, subject_ref, subject_key, body, body_sha256, verification, verification_key, received_at, last_received_at, status, next_attempt_at, event, leased_by)
      VALUES (${SUPPLIER}, 'supplier.order_acknowledged', 'm1', 'partner', 'canonical', 'P3', 'SUPPLIER|P3', ${Buffer.from([0])}, 'h', 'standard_webhooks', 0, ${now - 20 * H}, ${now - 20 * H}, 'applied', ${now - 20 * H}, '{"data":{"status":"accepted"}}', 'A')`;
  }, 60_000);

  afterAll(async () => {
    for (const r of replicas) await r.sidecar.stop(500).catch(() => undefined);
    await odoo?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows every replica's deliveries by partner, with the oldest pending age, in each replica's status", async () => {
    const expected = { pending: 1, delivered: 3, dead: 1 };
    for (const r of replicas) {
      // The summary is refreshed in the background (every 2 s): the figures arrive within a few seconds.
      await expect.poll(async () => (await status(r)).partners.find((p) => p.code === SUPPLIER)?.deliveries, { timeout: 10_000, interval: 200 }).toEqual(expected);
    }
    const [sa, sb] = await Promise.all(replicas.map(status)) as [StatusDocument, StatusDocument];
    for (const s of [sa, sb]) {
      const p = s.partners.find((x) => x.code === SUPPLIER)!;
      expect(p.oldest_pending_age_s).toBeGreaterThanOrEqual(59);
      expect(p.oldest_pending_age_s).toBeLessThan(90);
      expect(p.last_error_class).toBe("http_4xx");
      expect(p.last_error).toBe("HTTP 422: unknown article");
      expect(s.deliveries).toMatchObject({ ...expected, oldest_pending_age_s: p.oldest_pending_age_s });
      expect(s.store.kind).toBe("postgresql");
      expect(s.store.error).toBeNull();
      expect(Date.now() - Date.parse(s.store.as_of!)).toBeLessThan(10_000);
    }
    expect(sa.partners.find((x) => x.code === SUPPLIER)!.oldest_pending_at).toBe(sb.partners.find((x) => x.code === SUPPLIER)!.oldest_pending_at);
    // Each replica's own SQLite file has none of these deliveries: the figures are the shared store's.
    for (const r of replicas) expect(r.sidecar.store.counts()).toMatchObject({ pending: 0, delivered: 0, dead: 0 });
  });

  it("counts unacknowledged POs whichever replica delivered them, matched with the acknowledgements whichever replica received them", async () => {
    const [ra, rb] = replicas as [{ sidecar: Sidecar; url: string }, { sidecar: Sidecar; url: string }];
    // P1 (A's own) and P2 (delivered by B); P3's acknowledgement came through A, and counts on both.
    await expect.poll(async () => (await status(ra)).attention.po_unacknowledged, { timeout: 10_000, interval: 200 }).toEqual({ total: 2, by_partner: { [SUPPLIER]: 2 } });
    await expect.poll(async () => (await status(rb)).attention.po_unacknowledged, { timeout: 10_000, interval: 200 }).toEqual({ total: 2, by_partner: { [SUPPLIER]: 2 } });
    // The same figures through `odc status`, as IT reads them.
    const run = await odc(["status"], { ODC_ADMIN_URL: ra.url, ODC_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(run.stdout).toContain(SUPPLIER);
    expect(run.stdout).toMatch(/POs confirmed, not acknowledged after 1d0h\s*│\s*2\s*│\s*SUPPLIER: 2/);
    expect(run.stdout).toContain("Deliveries: 1 pending");
    expect(run.stdout).toContain("every replica's, from the shared PostgreSQL store as of");
  });

  it("shows the history of an event another replica delivered, through the API and `odc history`", async () => {
    for (const r of replicas) {
      const res = await admin(r, `/events/${ids.p2}/history`);
      expect(res.status).toBe(200);
      const view = (await res.json()) as EventHistoryView;
      expect(view.event.id).toBe(ids.p2);
      expect(view.deliveries).toEqual([expect.objectContaining({ partner: SUPPLIER, state: "delivered", attempts: 1 })]);
      expect(view.history.map((h) => [h.scope, h.from, h.to])).toEqual([
        ["event", null, "claimed"],
        ["delivery", "pending", "delivered"],
      ]);
      expect(view.history[1]).toMatchObject({ cause: "HTTP 200", actor: "sidecar", partner: SUPPLIER });
    }
    const dead = (await (await admin(replicas[0]!, `/events/${ids.p4}/history`)).json()) as EventHistoryView;
    expect(dead.event.final_state).toBe("dead");
    expect(dead.history.at(-1)).toMatchObject({ to: "dead", cause: "http_4xx: HTTP 422: unknown article" });
    const run = await odc(["history", ids.p2!], { ODC_ADMIN_URL: replicas[0]!.url, ODC_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("delivered");
    expect(run.stdout).toContain("HTTP 200");
  });

  it("answers a malformed event id with 400 and an unknown one with 404, on the shared store", async () => {
    const r = replicas[1]!;
    for (const bad of ["not-a-uuid", "' OR 1=1 --", `${ids.p1}'; DROP TABLE events; --`, "%00", "x".repeat(5000)]) {
      const res = await admin(r, `/events/${encodeURIComponent(bad)}/history`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("bad_request");
    }
    expect((await admin(r, `/events/${randomUUID()}/history`)).status).toBe(404);
    // The store is untouched.
    expect((await admin(r, `/events/${ids.p1}/history`)).status).toBe(200);
  });
});

/**
 * The PostgreSQL dialect of the status counts against the SQLite one, on the same rows: events
 * and deliveries in both stores, inbound documents in the SQLite file only (where each replica
 * keeps them). Every count the status document shows must agree.
 */
describe.skipIf(!user)("the status counts on PostgreSQL agree with SQLite's on the same rows", () => {
  const NOW = Date.parse("2026-12-03T12:00:00Z");
  let tdb: TestDatabase;
  let sql: Pg;
  let lite: StoreDb;
  let facts: () => InboundFacts;
  let n = 0;

  beforeAll(async () => {
    tdb = (await createTestDatabase())!;
    sql = await openPgStore(tdb.url, { max: 2 });
    lite = openStore(":memory:");
    // As the sidecar reads them: again only once the file changed (each insert below is a change).
    facts = inboundFactsReader(lite);
  });
  afterAll(async () => {
    lite?.$client.close();
    await sql?.end({ timeout: 1 });
    await tdb?.drop();
  });

  async function event(type: string, subject: string, sequence: number, data: Record<string, unknown>, receivedAt: number, routing: string | null = null): Promise<string> {
    const id = `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
    const [model, ref] = subject.split("/");
    const row = { id, outbox_id: n, type, subject_key: `${model}:${ref}`, sequence, routing_code: routing, payload: JSON.stringify({ id, type, subject: { model, id: n, ref }, sequence, data }), received_at: receivedAt };
    lite.$client.prepare(`INSERT INTO events (id, outbox_id, type, subject_key, sequence, routing_code, payload, received_at) VALUES (@id, @outbox_id, @type, @subject_key, @sequence, @routing_code, @payload, @received_at)`).run(row);
    await sql`INSERT INTO events ${sql(row)}`;
    return id;
  }
  async function delivery(eventId: string, partner: string, state: string, at: number, error: string | null = null): Promise<void> {
    const row = { event_id: eventId, partner, subject_key: "x", sequence: 1, state, next_attempt_at: at, created_at: at, delivered_at: state === "delivered" ? at : null, last_error_class: error ? "http_5xx" : null, last_error: error };
    lite.$client
      .prepare(`INSERT INTO deliveries (event_id, partner, subject_key, sequence, state, next_attempt_at, created_at, delivered_at, last_error_class, last_error) VALUES (@event_id, @partner, @subject_key, @sequence, @state, @next_attempt_at, @created_at, @delivered_at, @last_error_class, @last_error)`)
      .run(row);
    await sql`INSERT INTO deliveries ${sql(row)}`;
  }
  function inbound(partner: string, type: string, subjectRef: string, status: string, receivedAt: number, data: Record<string, unknown> = {}): void {
    lite.$client
      .prepare(
        `INSERT INTO inbound_documents (partner, type, message_id, message_id_source, format, subject_ref, subject_key, body, body_sha256, verification, verification_key, received_at, last_received_at, status, next_attempt_at, event)
         VALUES (?, ?, ?, 'partner', 'canonical', ?, ?, x'00', 'h', 'standard_webhooks', 0, ?, ?, ?, ?, ?)`,
      )
      .run(partner, type, `m${++n}`, subjectRef, `${partner}|${subjectRef}`, receivedAt, receivedAt, status, receivedAt, JSON.stringify({ type, subject_ref: subjectRef, data }));
  }
  const both = async (bounds: AttentionBounds) => {
    const pg = new PgStatusStore(sql, bounds, facts, createLogger("silent"), { everyMs: 0, clock: () => NOW });
    await pg.refresh();
    const p = pg.summary();
    expect(p.error).toBeNull();
    return { pg: p, lite: sqliteStatusStore(lite, bounds).summary(NOW) };
  };
  const sorted = (s: StoreSummary) => [...s.partners].sort((a, b) => a.partner.localeCompare(b.partner));

  it("counts the same deliveries, ages, last errors and attention", async () => {
    // The scenario of sidecar/src/ops/attention.test.ts, plus failing and dead deliveries.
    await delivery(await event("purchase_order.confirmed", "purchase.order/P1", 1, {}, NOW - 30 * H), "WOODCORNER", "delivered", NOW - 30 * H);
    await delivery(await event("purchase_order.confirmed", "purchase.order/P2", 1, {}, NOW - 30 * H), "WOODCORNER", "delivered", NOW - 30 * H);
    inbound("WOODCORNER", "supplier.order_acknowledged", "P2", "applied", NOW - 20 * H, { status: "partially_accepted" });
    await delivery(await event("purchase_order.confirmed", "purchase.order/P3", 1, {}, NOW - 2 * H), "WOODCORNER", "delivered", NOW - 2 * H);
    await delivery(await event("purchase_order.confirmed", "purchase.order/P4", 1, {}, NOW - 50 * H), "ACME", "delivered", NOW - 50 * H);
    await event("purchase_order.cancelled", "purchase.order/P4", 2, {}, NOW - 40 * H);
    await delivery(await event("purchase_order.confirmed", "purchase.order/P5", 1, {}, NOW - 50 * H), "ACME", "pending", NOW - 50 * H, "HTTP 503");
    await delivery(await event("purchase_order.confirmed", "purchase.order/P6", 1, {}, NOW - 50 * H), "ACME", "delivered", NOW - 50 * H);
    inbound("ACME", "supplier.order_acknowledged", "P6", "applied", NOW - 40 * H, { status: "changed" });
    await event("purchase_order.changed", "purchase.order/P6", 2, {}, NOW - 30 * H);
    inbound("ACME", "supplier.order_acknowledged", "P7", "applied", NOW - 40 * H, { status: "accepted" });
    await delivery(await event("purchase_order.confirmed", "purchase.order/P8", 1, {}, NOW - 5 * H), "ACME", "dead", NOW - 5 * H, "HTTP 500: down");
    await event("shipment.dispatched", "stock.picking/S1", 2, { tracking_ref: "T1", carrier: { partner_code: "DHL" } }, NOW - 50 * H, "DHL");
    await event("shipment.dispatched", "stock.picking/S2", 2, { tracking_ref: "T2", carrier: { partner_code: "DHL" } }, NOW - 50 * H, "DHL");
    inbound("EASYPOST", "carrier.tracking_updated", "T2", "applied", NOW - 45 * H);
    await event("shipment.dispatched", "stock.picking/S3", 2, { tracking_ref: "T3", carrier: { partner_code: "UPS" } }, NOW - 1 * H, "UPS");
    await event("shipment.dispatched", "stock.picking/S5", 2, { tracking_ref: "T5", carrier: { partner_code: "UPS" } }, NOW - 60 * H);
    await delivery(await event("shipment.ready", "stock.picking/S4", 1, {}, NOW - H, "UPS"), "UPSHOOK", "pending", NOW - H);
    inbound("WOODCORNER", "supplier.shipment_noticed", "ASN1", "exception", NOW - H);
    inbound("WOODCORNER", "supplier.shipment_noticed", "ASN2", "applied", NOW - H);

    const bounds = { ackMs: 24 * H, milestoneMs: 48 * H };
    const { pg, lite: sq } = await both(bounds);
    expect(pg.attention).toEqual(sq.attention);
    expect(pg.attention.po_unacknowledged).toEqual({ total: 1, by_partner: { WOODCORNER: 1 } });
    expect(pg.attention.ack_changes_pending).toEqual({ total: 1, by_partner: { WOODCORNER: 1 } });
    expect(pg.attention.shipments_without_milestone).toEqual({ total: 2, by_carrier: { DHL: 1, UPS: 1 } });
    expect(pg.attention.exceptions_open).toEqual({ total: 1, by_partner: { WOODCORNER: 1 } });
    expect(pg.attention.backlog_by_carrier).toEqual({ UPS: 1 });
    expect(sorted(pg)).toEqual(sorted(sq));
    expect(sorted(pg).find((p) => p.partner === "ACME")).toEqual({ partner: "ACME", pending: 1, delivered: 2, dead: 1, oldest: NOW - 50 * H, last_success: NOW - 50 * H, last_error_class: "http_5xx", last_error: "HTTP 500: down" });
    expect(pg.reportPending).toBe(sq.reportPending);
    expect(pg.asOf).toBe(NOW);

    // A later acknowledgement that accepts everything clears P2's pending changes, on both.
    inbound("WOODCORNER", "supplier.order_acknowledged", "P2", "applied", NOW - 10 * H, { status: "accepted" });
    const again = await both(bounds);
    expect(again.pg.attention.ack_changes_pending.total).toBe(0);
    expect(again.pg.attention).toEqual(again.lite.attention);

    // Nothing changed in the file: the facts are not read again.
    expect(facts()).toBe(facts());
    expect(facts()).toEqual(inboundFactsOf(lite));

    // A partner's own bounds, and a partner code that looks like SQL (only a parameter).
    const own = { ...bounds, byPartner: { WOODCORNER: { ackMs: H }, UPS: { milestoneMs: 2 * H }, "x' OR 1=1 --": { ackMs: 1, milestoneMs: 1 } } };
    const third = await both(own);
    expect(third.pg.attention).toEqual(third.lite.attention);
    expect(third.pg.attention.po_unacknowledged.by_partner).toEqual({ WOODCORNER: 2 });
  });

  it("refreshes the planner's statistics once the deliveries have grown, and not on every read", async () => {
    const analyzed = async () => (await sql<{ n: number }[]>`SELECT coalesce(analyze_count, 0)::int AS n FROM pg_stat_user_tables WHERE relname = 'deliveries'`)[0]!.n;
    // Statistics counters reach pg_stat_user_tables asynchronously: wait for the number asked for.
    const settle = async (want: (n: number) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const n = await analyzed();
        if (want(n)) return n;
        await sql`SELECT pg_stat_clear_snapshot()`;
        await new Promise((r) => setTimeout(r, 50));
      }
      return analyzed();
    };
    const before = await analyzed();
    const pg = new PgStatusStore(sql, { ackMs: H, milestoneMs: H }, facts, createLogger("silent"), { everyMs: 0, clock: () => NOW });
    await pg.refresh();
    expect(await settle((n) => n > before)).toBe(before); // a few rows: no ANALYZE yet
    const ids = await Promise.all(Array.from({ length: 1_200 }, (_, i) => event("purchase_order.confirmed", `purchase.order/PS${i}`, 1, {}, NOW - 1_000)));
    await sql`INSERT INTO deliveries ${sql(ids.map((id) => ({ event_id: id, partner: "STATS", subject_key: id, sequence: 1, state: "pending", next_attempt_at: NOW, created_at: NOW })))}`;
    const again = new PgStatusStore(sql, { ackMs: H, milestoneMs: H }, facts, createLogger("silent"), { everyMs: 0, clock: () => NOW });
    await again.refresh();
    expect(again.summary().error).toBeNull();
    const after = await settle((n) => n > before);
    expect(after).toBe(before + 1);
    await sql`DELETE FROM deliveries WHERE partner = 'STATS'`;
    await sql`DELETE FROM events WHERE id IN ${sql(ids)}`;
  });

  it("keeps the last summary, with the reason, when the store cannot be read", async () => {
    const broken = postgres(tdb.url.replace(/\/[^/]+$/, "/odc_no_such_database"), { max: 1, onnotice: () => {} });
    const pg = new PgStatusStore(broken, { ackMs: H, milestoneMs: H }, () => inboundFactsOf(lite), createLogger("silent"), { everyMs: 0 });
    await pg.refresh();
    expect(pg.summary().asOf).toBeNull();
    expect(pg.summary().error).toMatch(/odc_no_such_database/);
    expect(pg.summary().partners).toEqual([]);
    await broken.end({ timeout: 1 });
  });
});
