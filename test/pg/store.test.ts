import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CanonicalEvent, ClaimedEvent } from "../../sidecar/src/contracts/events.ts";
import { PgDeliveryStore, PgPartnerState, PgPauses, openShared, ReplicaIdTaken } from "../../sidecar/src/delivery/pg/index.ts";
import { openPgStore, type Pg } from "../../sidecar/src/store/pg/db.ts";
import { maxInWindow } from "../support/accepted.ts";
import { createTestDatabase, pgUser, type TestDatabase } from "../support/pg.ts";

/**
 * The PostgreSQL store against the real server, in a database of its own: migrations under
 * their lock, leases between replicas, order per subject, reports leased once, and the
 * partners' shared gate, breaker and pauses. Skipped (with the reason on stderr) only when no
 * server can be reached.
 */

const user = await pgUser();
const log = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let outboxId = 0;
function claimed(subject: number, sequence: number, replay = false): ClaimedEvent {
  const event: CanonicalEvent = { id: randomUUID(), type: "purchase_order.confirmed", version: 1, occurred_at: new Date().toISOString(), source: {}, subject: { model: "purchase.order", id: subject, ref: `P${subject}` }, sequence, data: {} };
  return { outboxId: ++outboxId, replay, event };
}
const toPartner = () => ["P1"];

describe.skipIf(!user)("PostgreSQL store", () => {
  let db: TestDatabase;
  let sql: Pg;
  const stores: PgDeliveryStore[] = [];
  const store = (replica: string, leaseMs = 30_000) => {
    const s = new PgDeliveryStore(sql, replica, log, { leaseMs, countsEveryMs: 0 });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    db = (await createTestDatabase())!;
    // Two replicas starting together: the migrations run once, under the advisory lock.
    const [a, b] = await Promise.all([openPgStore(db.url, { max: 4 }), openPgStore(db.url, { max: 4 })]);
    await b.end();
    sql = a;
  });

  afterAll(async () => {
    for (const s of stores) await s.close();
    await sql?.end({ timeout: 1 });
    await db?.drop();
  });

  it("applied every migration once", async () => {
    const rows = await sql`SELECT count(*)::int AS n FROM __drizzle_migrations`;
    expect(rows[0]!.n).toBeGreaterThan(0);
    const tables = (await sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`).map((r) => r.tablename as string);
    expect(tables).toEqual(expect.arrayContaining(["events", "deliveries", "delivery_transitions", "partner_slots", "partner_breakers", "partner_pauses", "inbound_documents"]));
  });

  it("ingests idempotently across replicas, and leases each due delivery to one replica at a time, first of its subject only", async () => {
    await sql`TRUNCATE events, deliveries, delivery_transitions`;
    const a = store("A");
    const b = store("B");
    const batch = [1, 2, 3].flatMap((subject) => [claimed(subject, 1), claimed(subject, 2)]);
    const [ia, ib] = await Promise.all([a.ingest(batch, toPartner, () => null), b.ingest(batch, toPartner, () => null)]);
    expect(ia.inserted + ib.inserted).toBe(6);
    expect(ia.duplicates + ib.duplicates).toBe(6);
    expect(await a.pendingCount()).toBe(6);
    const now = Date.now();
    const [da, dbb] = await Promise.all([a.due("P1", now, 10), b.due("P1", now, 10)]);
    const ids = [...da, ...dbb].map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(3); // sequence 1 of each subject; sequence 2 waits for it
    const payloads = [...da, ...dbb].map((d) => JSON.parse(d.payload) as CanonicalEvent);
    expect(payloads.every((p) => p.sequence === 1)).toBe(true);
    // Nothing more while those are leased and unfinished.
    expect(await a.due("P1", now, 10, new Set(da.map((d) => d.id)))).toEqual([]);
    expect(await b.due("P1", now, 10, new Set(dbb.map((d) => d.id)))).toEqual([]);
    // Recorded: the next of each subject comes due.
    await a.recordOutcomes(da.map((d) => ({ id: d.id, ok: true as const, status: 200, at: Date.now() })));
    await b.recordOutcomes(dbb.map((d) => ({ id: d.id, ok: true as const, status: 200, at: Date.now() })));
    const next = await a.due("P1", Date.now(), 10);
    expect(next.map((d) => (JSON.parse(d.payload) as CanonicalEvent).sequence)).toEqual([2, 2, 2]);
  });

  it("gives a delivery whose lease lapsed (its replica died) to another replica", async () => {
    await sql`TRUNCATE events, deliveries, delivery_transitions`;
    const dying = store("dying", 300);
    const other = store("other");
    await dying.ingest([claimed(10, 1)], toPartner, () => null);
    const [held] = await dying.due("P1", Date.now(), 10);
    expect(held).toBeDefined();
    expect(await other.due("P1", Date.now(), 10)).toEqual([]);
    // The dying replica stops renewing (it was killed): the lease runs out.
    dying.release([held!.id]);
    await sleep(450);
    const taken = await other.due("P1", Date.now(), 10);
    expect(taken.map((d) => d.id)).toEqual([held!.id]);
  });

  it("renews the leases of deliveries still held, so nobody else takes them", async () => {
    await sql`TRUNCATE events, deliveries, delivery_transitions`;
    const holder = store("holder", 300);
    const other = store("other2");
    await holder.ingest([claimed(11, 1)], toPartner, () => null);
    const [held] = await holder.due("P1", Date.now(), 10);
    expect(held).toBeDefined();
    await sleep(900);
    expect(await other.due("P1", Date.now(), 10)).toEqual([]);
    holder.release([held!.id]);
  });

  it("closes an event once all its deliveries are final, and leases its result to one reporter", async () => {
    await sql`TRUNCATE events, deliveries, delivery_transitions`;
    const a = store("RA");
    const b = store("RB");
    const twoPartners = () => ["P1", "P2"];
    const c = claimed(20, 1);
    await a.ingest([c], twoPartners, () => null);
    const [d1] = await a.due("P1", Date.now(), 1);
    const [d2] = await b.due("P2", Date.now(), 1);
    // The two replicas finish the event's two deliveries at once: exactly one closes it.
    const [fa, fb] = await Promise.all([
      a.recordOutcomes([{ id: d1!.id, ok: true, status: 200, at: Date.now() }]),
      b.recordOutcomes([{ id: d2!.id, ok: false, errorClass: "http_4xx", message: "400 no", status: 400, nextAttemptAt: null }]),
    ]);
    expect(fa + fb).toBe(1);
    const [ra, rb] = await Promise.all([a.pendingReports(10), b.pendingReports(10)]);
    expect([...ra, ...rb].map((r) => [r.id, r.state])).toEqual([[c.event.id, "dead"]]);
    await (ra.length ? a : b).markReported([...ra, ...rb]);
    expect(await a.pendingReports(10)).toEqual([]);
    const history = await sql`SELECT to_state FROM delivery_transitions WHERE event_id = ${c.event.id} ORDER BY id`;
    expect(history.map((h) => h.to_state)).toEqual(expect.arrayContaining(["delivered", "dead"]));
    // Claimed again after its lease ran out in Odoo: reported again, not delivered again.
    const again = await b.ingest([{ ...c, outboxId: c.outboxId }], twoPartners, () => null);
    expect(again.duplicates).toBe(1);
    expect((await a.pendingReports(10)).map((r) => r.id)).toEqual([c.event.id]);
  });

  it("lists dead letters by filter and replays them: pending again, the event's result cleared, the change in the history", async () => {
    await sql`TRUNCATE events, deliveries, delivery_transitions`;
    const a = store("DL");
    const c1 = claimed(40, 1);
    const c2 = claimed(41, 1);
    await a.ingest([c1, c2], toPartner, () => null);
    const rows = await a.due("P1", Date.now(), 10);
    await a.recordOutcomes(rows.map((r) => ({ id: r.id, ok: false as const, errorClass: "http_4xx" as const, message: "400 no", status: 400, nextAttemptAt: null })));
    const dead = await a.listDead({ partner: "P1" });
    expect(dead.map((d) => d.eventId).sort()).toEqual([c1.event.id, c2.event.id].sort());
    expect(dead[0]).toMatchObject({ state: "dead", lastErrorClass: "http_4xx", lastStatus: 400, eventType: "purchase_order.confirmed", subjectKey: expect.stringMatching(/^purchase\.order:/) });
    expect(await a.listDead({ eventIds: [c1.event.id] })).toHaveLength(1);
    expect(await a.listDead({ partner: "OTHER" })).toEqual([]);
    expect(await a.replayDead({ eventIds: [c1.event.id] }, Date.now(), "admin-token (test)")).toBe(1);
    const [ev] = await sql`SELECT final_state, report_pending FROM events WHERE id = ${c1.event.id}`;
    expect(ev).toEqual({ final_state: null, report_pending: 0 });
    expect((await a.due("P1", Date.now(), 10)).map((d) => d.eventId)).toEqual([c1.event.id]);
    const [t] = await sql`SELECT from_state, to_state, actor FROM delivery_transitions WHERE event_id = ${c1.event.id} ORDER BY id DESC LIMIT 1`;
    expect(t).toEqual({ from_state: "dead", to_state: "pending", actor: "admin-token (test)" });
  });

  it("holds a later sequence whose previous one it has not seen, up to the gap hold", async () => {
    await sql`TRUNCATE events, deliveries, delivery_transitions`;
    const a = store("G");
    await a.ingest([claimed(30, 2)], toPartner, () => null);
    expect(await a.due("P1", Date.now(), 10, new Set(), 60_000)).toEqual([]);
    expect(await a.due("P1", Date.now() + 1, 10, new Set(), 0)).toHaveLength(1);
  });

  it("shares a partner's rate window and concurrency between replicas", async () => {
    const limits = { concurrency: 3, rate: { requests: 6, per_ms: 400 }, timeout_ms: 2_000 };
    const replicas = [new PgPartnerState(sql, "g1", log), new PgPartnerState(sql, "g2", log), new PgPartnerState(sql, "g3", log)];
    const gates = replicas.map((r) => r.gate("RATED", limits));
    const starts: number[] = [];
    const ends: { start: number; end: number }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    await Promise.all(
      gates.flatMap((g) =>
        Array.from({ length: 8 }, async () => {
          await g.acquire();
          const start = Date.now();
          starts.push(start);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(20 + Math.random() * 30);
          inFlight--;
          ends.push({ start, end: Date.now() });
          g.release();
        }),
      ),
    );
    for (const r of replicas) r.close();
    expect(starts).toHaveLength(24);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    // Counted as the partner counts: no window of per_ms holds more than `requests` starts.
    expect(maxInWindow(starts, 400)).toBeLessThanOrEqual(6);
    // And it did go at the limit, not one at a time: 24 requests at 6 per ~0.45 s take about 1.5-2 s.
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(5_000);
  });

  it("opens the breaker on every replica's failures together, and lets one probe through", async () => {
    const r1 = new PgPartnerState(sql, "b1", log);
    const r2 = new PgPartnerState(sql, "b2", log);
    const b1 = r1.breaker("FLAKY", 4, 300, 2_000);
    const b2 = r2.breaker("FLAKY", 4, 300, 2_000);
    b1.failure();
    b2.failure();
    b1.failure();
    b2.failure();
    await sleep(100);
    const [row] = await sql`SELECT failures FROM partner_breakers WHERE partner = 'FLAKY'`;
    expect(row!.failures).toBe(4);
    await sleep(1_200); // both re-read it
    expect(b1.state).not.toBe("closed");
    expect(b2.state).not.toBe("closed");
    const probes = await Promise.all([b1.tryAcquire(), b2.tryAcquire()]);
    expect(probes.filter(Boolean)).toHaveLength(1);
    (probes[0] ? b1 : b2).success();
    await sleep(1_200);
    expect(b1.state).toBe("closed");
    expect(b2.state).toBe("closed");
    r1.close();
    r2.close();
  });

  it("shows a pause made on one replica to the others", async () => {
    const p1 = await PgPauses.open(sql, log);
    const resumed: string[] = [];
    const p2 = await PgPauses.open(sql, log, (code, paused) => !paused && resumed.push(code));
    expect(await p1.pause("WOOD", "admin-token", "maintenance")).toBe(true);
    expect(await p1.pause("WOOD", "admin-token", null)).toBe(false);
    await p2.refresh();
    expect(p2.isPaused("WOOD")).toBe(true);
    expect(await p2.resume("WOOD")).toBe(true);
    await p1.refresh();
    expect(p1.isPaused("WOOD")).toBe(false);
    p1.close();
    p2.close();
  });

  it("refuses a second replica under the same consumer id", async () => {
    const first = await openShared(db.url, "same-id", log, { pool: 2, deliveryLeaseMs: 5_000 });
    await expect(first.check()).resolves.toBeUndefined(); // what /readyz asks of the shared store
    await expect(openShared(db.url, "same-id", log, { pool: 2, deliveryLeaseMs: 5_000, identityWaitMs: 300 })).rejects.toBeInstanceOf(ReplicaIdTaken);
    await first.close();
    const again = await openShared(db.url, "same-id", log, { pool: 2, deliveryLeaseMs: 5_000 });
    await again.close();
  });
});
