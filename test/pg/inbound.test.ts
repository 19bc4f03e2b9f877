import { createHmac, randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { inboundAdminRoutes } from "../../sidecar/src/inbound/admin.ts";
import { DecodeStage } from "../../sidecar/src/inbound/decode-stage.ts";
import { InboundDoor, type DoorRequest } from "../../sidecar/src/inbound/door.ts";
import { PgInboundStore } from "../../sidecar/src/inbound/pg-store.ts";
import type { NewInboundDocument } from "../../sidecar/src/inbound/store.ts";
import { ApplyWorker } from "../../sidecar/src/inbound/worker.ts";
import type { ApplyItem, ApplyOutcome, OdooInbound } from "../../sidecar/src/odoo/inbound.ts";
import { OdooUnavailableError } from "../../sidecar/src/odoo/errors.ts";
import { pgInboundFactsOf } from "../../sidecar/src/ops/attention.ts";
import { statusRoutes } from "../../sidecar/src/ops/admin.ts";
import { createApp } from "../../sidecar/src/http/app.ts";
import { openPgStore, type Pg } from "../../sidecar/src/store/pg/db.ts";
import { createTestDatabase, pgUser, type TestDatabase } from "../support/pg.ts";

/**
 * Inbound documents on the shared PostgreSQL store, against the real server in a database of
 * its own: one message posted to two replicas at once is stored once; hostile and oversized
 * input changes nothing; a received webhook is decoded by one replica only; a subject's
 * documents are applied one call at a time, in arrival order, whichever replica applies
 * them, each once; a dead replica's leases lapse and another takes over; the admin routes and
 * the document history read the shared rows. Skipped (with the reason on stderr) only when no
 * server can be reached.
 */

const user = await pgUser();
const log = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SECRET = "pg-inbound-test-secret";
const TOKEN = "admin-token-for-pg-inbound-tests-0123456789";

const partners = parsePartners(
  {
    partners: [
      { code: "EASYPOST", inbound: { format: "easypost", verification: { scheme: "easypost_hmac", secrets: ["env:S"] }, coalesce_ms: 0, max_body_bytes: 4096, rate: { requests: 100_000, per_ms: 1000 } } },
    ],
  },
  { S: SECRET },
);
const sign = (body: string) => `hmac-sha256-hex=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

function tracker(id: string, tracking = "TRK-1", status = "in_transit"): string {
  return JSON.stringify({
    object: "Event",
    id,
    mode: "production",
    description: "tracker.updated",
    result: { object: "Tracker", tracking_code: tracking, status, carrier: "USPS", tracking_details: [{ object: "TrackingDetail", status, datetime: "2026-12-02T07:58:00Z", message: "scan" }] },
  });
}

function request(body: string | Buffer, o: Partial<DoorRequest> = {}): DoorRequest {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return {
    partner: "EASYPOST",
    requestId: "rid",
    headers: { "content-type": "application/json", "x-hmac-signature": sign(bytes.toString("utf8")) },
    contentType: "application/json",
    url: "/inbound/EASYPOST",
    body: (max, done) => done(bytes.length > max ? { ok: false, tooLarge: true } : { ok: true, bytes }),
    ...o,
  };
}

let seq = 0;
/** An acknowledgement of PO `ref`, decoded at the door (pending), with its apply item. */
function ack(ref: string, o: Partial<NewInboundDocument> = {}): NewInboundDocument {
  const n = ++seq;
  const eventId = randomUUID();
  const item: ApplyItem = {
    event_id: eventId,
    type: "supplier.order_acknowledged",
    partner: "WOODCORNER",
    format: "cxml",
    test_mode: false,
    received_at: "2026-12-04T10:00:00Z",
    occurred_at: "2026-12-04T10:00:00Z",
    subject_ref: ref,
    data: { n },
  };
  return {
    partner: "WOODCORNER",
    type: "supplier.order_acknowledged",
    messageId: `msg-${n}-${randomUUID()}`,
    messageIdSource: "partner",
    messageScope: "",
    eventId,
    format: "cxml",
    subjectRef: ref,
    subjectKey: `WOODCORNER|po|${ref}`,
    testMode: false,
    contentType: "application/xml",
    body: Buffer.from(`<cXML payloadID="${n}"/>`),
    bodySha256: "sha",
    verification: "cxml_shared_secret",
    verificationKey: 0,
    receivedAt: Date.now(),
    occurredAt: null,
    event: JSON.stringify(item),
    status: "pending",
    nextAttemptAt: 0,
    detail: null,
    ...o,
  };
}

/** A carrier webhook as the door stores it (received, decoded later). */
function received(messageId: string, body = tracker(messageId)): NewInboundDocument {
  return {
    partner: "EASYPOST",
    type: "(undecoded)",
    messageId,
    messageIdSource: "partner",
    messageScope: "easypost:Event:tracker.updated",
    eventId: null,
    format: "easypost",
    subjectRef: null,
    subjectKey: "EASYPOST|(undecoded)",
    testMode: false,
    contentType: "application/json",
    body: Buffer.from(body),
    bodySha256: "",
    verification: "easypost_hmac",
    verificationKey: 0,
    receivedAt: Date.now(),
    occurredAt: null,
    event: null,
    status: "received",
    nextAttemptAt: Date.now(),
    detail: null,
  };
}

/**
 * Odoo's apply_events as the addon answers it: idempotent per event id (a repeat answers the
 * stored outcome with duplicate: true), one outcome per event in order. It measures what the
 * tests hold the workers to: never two calls at once about one subject, the order in which
 * each subject's events were first applied, and how often each was applied.
 */
class FakeOdoo {
  readonly applied = new Map<string, number>();
  readonly firstOrder = new Map<string, string[]>();
  readonly inFlight = new Map<string, number>();
  overlaps = 0;
  calls = 0;
  down = false;
  constructor(private readonly delayMs: () => number) {}
  get gateway(): OdooInbound {
    return { applyEvents: (items: readonly ApplyItem[]) => this.apply(items) } as unknown as OdooInbound;
  }
  private async apply(items: readonly ApplyItem[]): Promise<ApplyOutcome[]> {
    this.calls++;
    if (this.down) throw new OdooUnavailableError("Odoo is down (test)");
    const subjects = new Set(items.map((i) => i.subject_ref));
    for (const s of subjects) {
      const n = (this.inFlight.get(s) ?? 0) + 1;
      this.inFlight.set(s, n);
      if (n > 1) this.overlaps++;
    }
    try {
      await sleep(this.delayMs());
      return items.map((i) => {
        const seen = this.applied.get(i.event_id) ?? 0;
        this.applied.set(i.event_id, seen + 1);
        if (seen === 0) {
          const list = this.firstOrder.get(i.subject_ref) ?? [];
          list.push(i.event_id);
          this.firstOrder.set(i.subject_ref, list);
        }
        return { event_id: i.event_id, outcome: "applied" as const, duplicate: seen > 0, detail: null, record: null };
      });
    } finally {
      for (const s of subjects) this.inFlight.set(s, this.inFlight.get(s)! - 1);
    }
  }
}

describe.skipIf(!user)("inbound documents on the shared PostgreSQL store", () => {
  let db: TestDatabase;
  /** Two pools, as two replicas have. */
  let sqlA: Pg;
  let sqlB: Pg;
  const stores: PgInboundStore[] = [];
  const pools: Pg[] = [];
  const store = (sql: Pg, replica: string, leaseMs = 30_000) => {
    const s = new PgInboundStore(sql, replica, log, { leaseMs, countsEveryMs: 0, pollFloorMs: 20 });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    db = (await createTestDatabase())!;
    [sqlA, sqlB] = await Promise.all([openPgStore(db.url, { max: 6 }), openPgStore(db.url, { max: 6 })]);
  });

  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const p of pools) await p.end({ timeout: 1 }).catch(() => undefined);
    await sqlA?.end({ timeout: 1 });
    await sqlB?.end({ timeout: 1 });
    await db?.drop();
  });

  beforeEach(async () => {
    await sqlA`TRUNCATE inbound_documents, inbound_transitions`;
  });

  const rowsOf = async () =>
    sqlA<{ id: number; messageId: string; receipts: number; status: string; leasedBy: string | null }[]>`
      SELECT id, message_id AS "messageId", receipts, status, leased_by AS "leasedBy" FROM inbound_documents ORDER BY id`;

  describe("receive", () => {
    it("stores one message posted to two replicas at the same moment once, the second a receipt (received and decoded alike)", async () => {
      const a = store(sqlA, "A");
      const b = store(sqlB, "B");
      for (let round = 0; round < 20; round++) {
        const docs = [received(`evt_${round}`), ack(`PO-${round}`)];
        const [ra, rb] = await Promise.all([a.receive(docs), b.receive(docs)]);
        for (let i = 0; i < docs.length; i++) {
          const both = [ra[i]!, rb[i]!];
          expect(both[0]!.id).toBe(both[1]!.id);
          expect(both.map((o) => o.duplicate).sort()).toEqual([false, true]);
          expect(both.map((o) => o.receipts).sort()).toEqual([1, 2]);
        }
      }
      const rows = await rowsOf();
      expect(rows).toHaveLength(40);
      expect(rows.every((r) => r.receipts === 2)).toBe(true);
    });

    it("counts copies within one batch as receipts of one row, first body and status kept", async () => {
      const a = store(sqlA, "A");
      const first = ack("PO-1");
      const copy = { ...first, body: Buffer.from("<other/>"), status: "ignored" as const };
      const out = await a.receive([first, copy, first]);
      expect(out.map((o) => [o.receipts, o.duplicate])).toEqual([
        [1, false],
        [2, true],
        [3, true],
      ]);
      expect(new Set(out.map((o) => o.id)).size).toBe(1);
      expect(out.every((o) => o.status === "pending")).toBe(true);
      expect((await a.body(out[0]!.id))!.body.toString()).toBe(first.body.toString());
      // Redelivered after it was decided: still the same row, a receipt more.
      const [again] = await a.receive([first]);
      expect(again).toMatchObject({ id: out[0]!.id, receipts: 4, duplicate: true });
    });

    it("a received webhook and its later redelivery stay one row after it is decoded", async () => {
      const a = store(sqlA, "A");
      const b = store(sqlB, "B");
      const [first] = await a.receive([received("evt_redeliver")]);
      await new DecodeStage(a, partners, log).run(10);
      const [again] = await b.receive([received("evt_redeliver")]);
      expect(again).toMatchObject({ id: first!.id, duplicate: true, receipts: 2, status: "pending" });
      expect(await rowsOf()).toHaveLength(1);
    });

    it("keeps a NUL character (PostgreSQL text holds none) from failing the other documents of the batch", async () => {
      const a = store(sqlA, "A");
      const hostile = ack("PO\u0000NUL", { messageId: "id\u0000with-nul", detail: "x\u0000y" });
      const out = await a.receive([ack("PO-ok"), hostile, received("evt\u0000nul")]);
      expect(out).toHaveLength(3);
      expect(out.every((o) => !o.duplicate)).toBe(true);
      const rows = await rowsOf();
      expect(rows.map((r) => r.messageId)).toContain("id\uFFFDwith-nul");
      // The same hostile id again is the same message.
      const [again] = await a.receive([hostile]);
      expect(again).toMatchObject({ id: out[1]!.id, duplicate: true });
    });
  });

  describe("the door on the shared store", () => {
    const door = (s: PgInboundStore) => new InboundDoor({ partners, store: s, log, stored: () => undefined, commitIntervalMs: 0 });

    it("answers one of two replicas' doors 202 stored and the other duplicate for the same webhook", async () => {
      const [da, dbb] = [door(store(sqlA, "A")), door(store(sqlB, "B"))];
      const body = tracker("evt_door_1");
      const answers = await Promise.all([da.handle(request(body)), dbb.handle(request(body))]);
      expect(answers.map((x) => x.status)).toEqual([202, 202]);
      const parsed = answers.map((x) => JSON.parse(x.body) as { document_id: number; duplicate: boolean });
      expect(parsed[0]!.document_id).toBe(parsed[1]!.document_id);
      expect(parsed.map((p) => p.duplicate).sort()).toEqual([false, true]);
      expect(await rowsOf()).toHaveLength(1);
    });

    it("refuses a bad signature, an oversized body, a wrong content type and an unknown partner, storing nothing", async () => {
      const d = door(store(sqlA, "A"));
      const body = tracker("evt_hostile");
      const huge = Buffer.from(JSON.stringify({ ...JSON.parse(body), pad: "x".repeat(10_000) }));
      const answers = await Promise.all([
        d.handle(request(body, { headers: { "content-type": "application/json", "x-hmac-signature": sign("something else") } })),
        d.handle(request(huge)),
        d.handle(request(body, { contentType: "text/plain" })),
        d.handle(request(body, { partner: "NOBODY'; DROP TABLE inbound_documents; --" })),
        d.handle(request(Buffer.from("{not json"))),
        d.handle(request(Buffer.alloc(0))),
      ]);
      expect(answers.map((x) => x.status)).toEqual([401, 413, 415, 404, 400, 400]);
      expect(await rowsOf()).toEqual([]);
    });
  });

  describe("decode", () => {
    it("decodes each received webhook once, two replicas' decode stages at once", async () => {
      const a = store(sqlA, "A");
      const b = store(sqlB, "B");
      const docs = Array.from({ length: 60 }, (_, i) => received(`evt_dec_${i}`, tracker(`evt_dec_${i}`, `TRK-${i % 7}`)));
      await a.receive(docs);
      const stages = [new DecodeStage(a, partners, log), new DecodeStage(b, partners, log)];
      let taken = 0;
      for (;;) {
        const n = await Promise.all(stages.map((s) => s.run(7)));
        taken += n[0]! + n[1]!;
        if (n[0] === 0 && n[1] === 0) break;
      }
      expect(taken).toBe(60);
      const rows = await rowsOf();
      expect(rows.every((r) => r.status === "pending")).toBe(true);
      const [t] = await sqlA<{ n: number; docs: number }[]>`SELECT count(*)::int AS n, count(DISTINCT document_id)::int AS docs FROM inbound_transitions WHERE from_state = 'received'`;
      expect(t).toEqual({ n: 60, docs: 60 });
      expect(a.holding()).toEqual([]);
      expect(b.holding()).toEqual([]);
    });

    it("writes no decoding for a row whose lease another replica took over", async () => {
      const a = store(sqlA, "A", 200);
      const b = store(sqlB, "B");
      await a.receive([received("evt_lapse")]);
      const rows = await a.received(10);
      expect(rows).toHaveLength(1);
      expect(await b.received(10)).toEqual([]);
      // A stalls past its lease (no renewal: its timer is stopped), B decodes it.
      await a.close();
      await sqlA`UPDATE inbound_documents SET lease_until = 0, leased_by = 'A'`;
      await new DecodeStage(b, partners, log).run(10);
      // A's late write changes nothing.
      await new DecodeStage(a, partners, log).run(10);
      const [t] = await sqlA<{ n: number }[]>`SELECT count(*)::int AS n FROM inbound_transitions`;
      expect(t!.n).toBe(1);
    });
  });

  describe("due", () => {
    it("keeps order per subject across replicas: nothing of a subject another replica holds, or behind a retry or an undecoded webhook", async () => {
      const a = store(sqlA, "A");
      const b = store(sqlB, "B");
      const [s1a, s2a, s1b] = await a.receive([ack("S1"), ack("S2"), ack("S1")]);
      const now = Date.now();
      const da = await a.due(now, 10);
      expect(da.map((d) => d.id)).toEqual([s1a!.id, s2a!.id, s1b!.id]);
      expect(await b.due(now, 10)).toEqual([]);
      // A gives S1's second document back: B still may not take it while A holds the first.
      await a.release([s1b!.id]);
      expect(await b.due(now, 10)).toEqual([]);
      // A's call about S1 failed: the first waits for its retry, the second waits behind it.
      await a.postpone([s1a!.id], now + 60_000, "Odoo unreachable");
      expect(await b.due(now, 10)).toEqual([]);
      await sqlA`UPDATE inbound_documents SET next_attempt_at = 0 WHERE id = ${s1a!.id}`;
      const db1 = await b.due(now, 10);
      expect(db1.map((d) => d.id)).toEqual([s1a!.id, s1b!.id]);
      // A's decision about a document it no longer holds changes nothing.
      await a.decide([{ id: s1a!.id, status: "applied", detail: null, record: null, duplicate: false }], []);
      expect((await b.document(s1a!.id))!.status).toBe("pending");
      await b.decide(db1.map((d) => ({ id: d.id, status: "applied" as const, detail: null, record: null, duplicate: false })), []);
      expect((await b.document(s1a!.id))!.status).toBe("applied");
      // An undecoded webhook holds back everything stored after it.
      await a.receive([received("evt_block")]);
      const [later] = await a.receive([ack("S3")]);
      expect((await b.due(now, 10)).map((d) => d.id)).not.toContain(later!.id);
      expect(await b.nextDueAt()).not.toBeNull();
    });

    it("hands a dead replica's documents to another once its lease lapsed, and keeps its late answer out", async () => {
      const deadPool = await openPgStore(db.url, { max: 2 });
      pools.push(deadPool);
      const a = store(deadPool, "A", 300);
      const b = store(sqlB, "B");
      await a.receive([ack("S1"), ack("S1"), ack("S2")]);
      const held = await a.due(Date.now(), 10);
      expect(held).toHaveLength(3);
      // A dies: its connections go, nothing renews its leases.
      await deadPool.end({ timeout: 1 });
      expect(await b.due(Date.now(), 10)).toEqual([]);
      let taken: Awaited<ReturnType<PgInboundStore["due"]>> = [];
      for (let i = 0; i < 100 && taken.length === 0; i++) {
        await sleep(50);
        taken = await b.due(Date.now(), 10);
      }
      expect(taken.map((d) => d.id)).toEqual(held.map((d) => d.id));
      // A restarted under its own id answers late: nothing of it is recorded.
      const aAgain = store(sqlA, "A");
      await aAgain.decide([{ id: held[0]!.id, status: "rejected", detail: "late", record: null, duplicate: false }], []);
      await aAgain.postpone([held[1]!.id], Date.now() + 60_000, "late");
      await b.decide(taken.map((d) => ({ id: d.id, status: "applied" as const, detail: null, record: null, duplicate: false })), []);
      const rows = await rowsOf();
      expect(rows.map((r) => r.status)).toEqual(["applied", "applied", "applied"]);
      const [t] = await sqlA<{ n: number }[]>`SELECT count(*)::int AS n FROM inbound_transitions`;
      expect(t!.n).toBe(3);
    });

    it("renews a lease while it is held", async () => {
      const a = store(sqlA, "A", 300);
      const b = store(sqlB, "B");
      await a.receive([ack("S9")]);
      expect(await a.due(Date.now(), 10)).toHaveLength(1);
      await sleep(900);
      expect(await b.due(Date.now(), 10)).toEqual([]);
    });
  });

  describe("two apply workers", () => {
    it("never have two calls about one subject at once, apply each document once, in arrival order per subject", async () => {
      const a = store(sqlA, "A", 2_000);
      const b = store(sqlB, "B", 2_000);
      const SUBJECTS = 12;
      const DOCS = 240;
      const refs = Array.from({ length: DOCS }, (_, i) => `PO-${(i * 7) % SUBJECTS}`);
      const odoo = new FakeOdoo(() => Math.random() * 15);
      const workers = [a, b].map((s) => new ApplyWorker(s, odoo.gateway, log, { batch: 5, concurrency: 3, retryMaxMs: 50, retryBaseMs: 10 }));
      for (const w of workers) w.start();
      const stored: { id: number; eventId: string; ref: string }[] = [];
      // Documents arrive at either replica while both apply.
      for (let i = 0; i < DOCS; i += 8) {
        const docs = refs.slice(i, i + 8).map((r) => ack(r));
        const out = await (i % 16 === 0 ? a : b).receive(docs);
        out.forEach((o, k) => stored.push({ id: o.id, eventId: docs[k]!.eventId!, ref: docs[k]!.subjectRef! }));
        for (const w of workers) w.wake();
        await sleep(Math.random() * 10);
      }
      for (let i = 0; i < 400; i++) {
        const [r] = await sqlA<{ n: number }[]>`SELECT count(*)::int AS n FROM inbound_documents WHERE status = 'pending'`;
        if (r!.n === 0) break;
        await sleep(25);
      }
      await Promise.all(workers.map((w) => w.stop()));
      expect(odoo.overlaps).toBe(0);
      expect(odoo.applied.size).toBe(DOCS);
      expect([...odoo.applied.values()].every((n) => n === 1)).toBe(true);
      const byRef = new Map<string, string[]>();
      for (const s of [...stored].sort((x, y) => x.id - y.id)) byRef.set(s.ref, [...(byRef.get(s.ref) ?? []), s.eventId]);
      for (const [ref, ids] of byRef) expect(odoo.firstOrder.get(ref), ref).toEqual(ids);
      const rows = await rowsOf();
      expect(rows.every((r) => r.status === "applied")).toBe(true);
      const [t] = await sqlA<{ n: number }[]>`SELECT count(*)::int AS n FROM inbound_transitions WHERE to_state = 'applied'`;
      expect(t!.n).toBe(DOCS);
      // Both replicas did some of it.
      const [by] = await sqlA<{ n: number }[]>`SELECT count(DISTINCT leased_by)::int AS n FROM inbound_documents`;
      expect(by!.n).toBe(2);
    });

    it("while Odoo is down, keeps the documents pending with their retries, then applies them once", async () => {
      const a = store(sqlA, "A");
      const b = store(sqlB, "B");
      const odoo = new FakeOdoo(() => 1);
      odoo.down = true;
      await a.receive([ack("S1"), ack("S1"), ack("S2")]);
      const workers = [a, b].map((s) => new ApplyWorker(s, odoo.gateway, log, { batch: 10, concurrency: 2, retryMaxMs: 40, retryBaseMs: 10 }));
      for (const w of workers) w.start();
      for (let i = 0; i < 100 && odoo.calls < 4; i++) await sleep(20);
      expect((await rowsOf()).every((r) => r.status === "pending")).toBe(true);
      odoo.down = false;
      for (let i = 0; i < 200; i++) {
        if ((await rowsOf()).every((r) => r.status === "applied")) break;
        await sleep(20);
      }
      await Promise.all(workers.map((w) => w.stop()));
      expect((await rowsOf()).map((r) => r.status)).toEqual(["applied", "applied", "applied"]);
      expect([...odoo.applied.values()]).toEqual([1, 1, 1]);
      expect(odoo.overlaps).toBe(0);
    });
  });

  describe("admin routes and history", () => {
    /** The admin routes in the production app (its error handler answers the typed errors). */
    const mounted = (routes: ReturnType<typeof inboundAdminRoutes>) => createApp({ log, mounts: [["/", routes]] });
    const get = (app: ReturnType<typeof mounted>, path: string) => app.request(path, { headers: { authorization: `Bearer ${TOKEN}` } });

    it("lists, quarantines, serves bodies and shows every replica's history of a document", async () => {
      const a = store(sqlA, "A");
      const b = store(sqlB, "B");
      const [x, y, z] = await a.receive([ack("PO-A"), ack("PO-B"), ack("PO-C")]);
      const due = await b.due(Date.now(), 10);
      await b.decide(
        due.map((d) => ({ id: d.id, status: d.id === y!.id ? ("unknown_reference" as const) : ("applied" as const), detail: d.id === y!.id ? "no purchase order PO-B" : null, record: null, duplicate: false })),
        [],
      );
      const app = mounted(inboundAdminRoutes(TOKEN, a));
      const list = (await (await get(app, "/documents?limit=2")).json()) as { documents: { document_id: number }[]; next_before_id: number | null };
      expect(list.documents.map((d) => d.document_id)).toEqual([z!.id, y!.id]);
      const next = (await (await get(app, `/documents?before_id=${list.next_before_id}`)).json()) as { documents: { document_id: number }[] };
      expect(next.documents.map((d) => d.document_id)).toEqual([x!.id]);
      const q = (await (await get(app, "/quarantine")).json()) as { documents: { document_id: number; status: string; detail: string }[] };
      expect(q.documents).toEqual([expect.objectContaining({ document_id: y!.id, status: "unknown_reference", detail: "no purchase order PO-B" })]);
      const byPartner = (await (await get(app, "/documents?status=applied&partner=WOODCORNER")).json()) as { documents: unknown[] };
      expect(byPartner.documents).toHaveLength(2);
      const body = await get(app, `/documents/${x!.id}/body`);
      expect(body.status).toBe(200);
      expect(await body.text()).toMatch(/^<cXML payloadID=/);

      const ops = mounted(statusRoutes(TOKEN, () => ({}) as never, undefined, {
        history: {
          event: () => undefined,
          document: async (id) => {
            const d = await a.document(id);
            return d ? { document: d, transitions: await a.history(id) } : undefined;
          },
        },
      }));
      const h = await ops.request(`/inbound/documents/${y!.id}/history`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(h.status).toBe(200);
      const view = (await h.json()) as { document: { status: string }; history: { to: string; actor: string }[] };
      expect(view.document.status).toBe("unknown_reference");
      expect(view.history.map((e) => e.to)).toContain("unknown_reference");
      expect((await ops.request(`/inbound/documents/999999/history`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
      expect((await ops.request(`/inbound/documents/99999999999999999999/history`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(400);
    });

    it("answers malformed, hostile and oversized queries with 4xx (never a 500 from the database), and nothing without the token", async () => {
      const a = store(sqlA, "A");
      await a.receive([ack("PO-A")]);
      const app = mounted(inboundAdminRoutes(TOKEN, a));
      const statuses = async (paths: string[]) => Promise.all(paths.map(async (p) => (await get(app, p)).status));
      expect(
        await statuses([
          "/documents?before_id=99999999999999999999",
          "/documents?before_id=-1",
          "/documents?limit=100000",
          "/documents?status=pending;DROP",
          "/documents?since=yesterday",
          `/documents?partner=${"P".repeat(65)}`,
          "/documents?unknown=1",
          "/documents/abc/body",
          "/documents/99999999999999999999/body",
          "/documents/0/body",
          "/documents/424242/body",
        ]),
      ).toEqual([400, 400, 400, 400, 400, 400, 400, 404, 404, 404, 404]);
      // Hostile but well-formed: answered, matching nothing.
      const nul = (await (await get(app, "/documents?partner=%00WOOD")).json()) as { documents: unknown[] };
      expect(nul.documents).toEqual([]);
      const quoted = (await (await get(app, `/documents?partner=${encodeURIComponent("W' OR '1'='1")}`)).json()) as { documents: unknown[] };
      expect(quoted.documents).toEqual([]);
      expect((await app.request("/documents")).status).toBe(401);
    });
  });

  describe("reconciliation and pruning", () => {
    it("finds documents still waiting, tries the pending ones again now, with the change in their history", async () => {
      const a = store(sqlA, "A");
      const old = Date.now() - 3_600_000;
      const [p1, p2] = await a.receive([ack("PO-S1", { receivedAt: old, nextAttemptAt: Date.now() + 3_600_000 }), ack("PO-S2")]);
      const [r1] = await a.receive([{ ...received("evt_stuck"), receivedAt: old }]);
      const stuck = await a.stuck(Date.now() - 60_000, 10);
      expect(stuck.map((d) => [d.id, d.status])).toEqual([
        [p1!.id, "pending"],
        [r1!.id, "received"],
      ]);
      expect(p2!.id).toBeGreaterThan(0);
      expect(await a.retryNow([p1!.id, r1!.id, 999_999], "reconcile (test)", "still waiting")).toBe(1);
      expect((await a.history(p1!.id)).map((t) => [t.fromState, t.toState, t.actor])).toEqual([["pending", "pending", "reconcile (test)"]]);
      expect((await a.due(Date.now(), 10)).map((d) => d.id)).not.toContain(r1!.id);
    });

    it("prunes state changes older than the bound, keeping quarantined documents' until resolved", async () => {
      const a = store(sqlA, "A");
      const [kept, gone] = await a.receive([ack("PO-Q"), ack("PO-OK")]);
      const due = await a.due(Date.now(), 10);
      expect(due).toHaveLength(2);
      await a.decide([
        { id: kept!.id, status: "unknown_reference", detail: "no such PO", record: null, duplicate: false },
        { id: gone!.id, status: "applied", detail: null, record: null, duplicate: false },
      ], [], Date.now() - 10 * 86_400_000);
      expect(await a.pruneTransitions(Date.now() - 86_400_000, 1)).toBe(1);
      expect(await a.history(gone!.id)).toEqual([]);
      expect(await a.history(kept!.id)).toHaveLength(1);
      expect(await a.pruneTransitions(Date.now() - 86_400_000)).toBe(0);
    });
  });

  it("reads the attention facts from every replica's documents", async () => {
    const a = store(sqlA, "A");
    const b = store(sqlB, "B");
    const changed = ack("PO-77");
    const item = JSON.parse(changed.event!) as ApplyItem;
    item.data = { status: "changed" };
    changed.event = JSON.stringify(item);
    await a.receive([changed, ack("PO-78")]);
    await b.receive([{ ...ack("PO-79"), status: "pending" }]);
    const due = await b.due(Date.now(), 10);
    await b.decide(due.map((d) => ({ id: d.id, status: d.subjectKey.endsWith("PO-79") ? ("exception" as const) : ("applied" as const), detail: null, record: null, duplicate: false })), []);
    const facts = await pgInboundFactsOf(sqlA);
    expect(facts.acknowledged.sort()).toEqual(["PO-77", "PO-78", "PO-79"]);
    expect(facts.changes).toEqual([{ partner: "WOODCORNER", ref: "PO-77", receivedAt: changed.receivedAt }]);
    expect(facts.exceptions).toEqual({ WOODCORNER: 1 });
  });
});
