import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import type { CanonicalEvent, ClaimedEvent } from "../../sidecar/src/contracts/events.ts";
import { DeliveryStore } from "../../sidecar/src/delivery/index.ts";
import { RECONCILE_LOCK, type PgDeliveryStore } from "../../sidecar/src/delivery/pg/store.ts";
import type { AuditEntry } from "../../sidecar/src/ops/audit.ts";
import { HistoryRetention, type EventHistoryView } from "../../sidecar/src/ops/history.ts";
import type { ReconcileReport } from "../../sidecar/src/outbox/index.ts";
import { openStore } from "../../sidecar/src/store/db.ts";
import type { Pg } from "../../sidecar/src/store/pg/db.ts";
import { OdooSimulator, type SimOutboxRow } from "../simulator/odoo.ts";
import { PartnerReceiver } from "../simulator/partner.ts";
import { NUDGE_SECRET, PARTNER_SECRET, demoLines, waitFor } from "../support/harness.ts";
import { createTestDatabase, pgUser, type TestDatabase } from "../support/pg.ts";
import { startReplicas, type StartedReplica } from "../support/replicas.ts";
import { odc } from "../ops/support.ts";

/**
 * Reconciliation, the audit trail and the pruning of the history with two real sidecars
 * (replicas A and B, each its own folder and consumer id) on one PostgreSQL database and one
 * Odoo simulator: the four outbox mismatches made on purpose as a lost claim answer, a
 * restored Odoo backup and a crashed replica leave them; each replica judges only its own
 * leases, knows every replica's finished events, and the two never repair a mismatch twice.
 */

const user = await pgUser();
const ADMIN_TOKEN = "admin-token-for-pg-reconcile-tests-0123456789";
const KINDS = ["leased_unknown", "finished_unrecorded", "lease_expired", "failed_delivered"] as const;
const DAY = 86_400_000;

type Replica = StartedReplica;

interface Pair {
  odoo: OdooSimulator;
  wood: PartnerReceiver;
  db: TestDatabase;
  a: Replica;
  b: Replica;
  /** The shared store, as replica A reaches it. */
  sql: Pg;
}

let pair: Pair | null = null;
let dir = "";
afterEach(async () => {
  if (pair) {
    for (const r of [pair.a, pair.b]) await r.sidecar.stop(500).catch(() => undefined);
    await pair.wood.stop();
    await pair.odoo.stop();
    await pair.db.drop();
  }
  pair = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

/** Two replicas on a fresh database; WOODCORNER's endpoint is the receiver, or a closed port (deliveries stay pending). */
async function startPair(options: { partnerDown?: boolean } = {}): Promise<Pair> {
  const db = (await createTestDatabase())!;
  dir = mkdtempSync(join(tmpdir(), "odc-pg-reconcile-"));
  const odoo = new OdooSimulator({ nudgeSecret: NUDGE_SECRET });
  await odoo.start();
  const wood = new PartnerReceiver([PARTNER_SECRET]);
  await wood.start();
  const partners = parsePartners(
    { partners: [{ code: "WOODCORNER", name: "Wood Corner", endpoint: options.partnerDown ? "http://127.0.0.1:9/webhooks" : `${wood.url}/webhooks`, signing_secrets: ["env:PARTNER_SECRET"], subscriptions: { event_types: ["purchase_order.confirmed"] } }] },
    { PARTNER_SECRET },
  );
  const replicas = await startReplicas({ odoo, databaseUrl: db.url, dir, partners, adminToken: ADMIN_TOKEN, env: { ODC_RECONCILE_INTERVAL_MS: "0" } });
  const [a, b] = replicas as [Replica, Replica];
  // Odoo's nudges reach A; B claims on its poll.
  odoo.sidecarUrl = a.url;
  pair = { odoo, wood, db, a, b, sql: a.sidecar.shared!.sql };
  return pair;
}

const identity = (r: Replica) => JSON.parse(readFileSync(`${r.dbPath}.consumer.json`, "utf8")) as { consumer: string; generation: number };

function call(r: Replica, path: string, init: { method?: string; body?: string; actor?: string } = {}): Promise<Response> {
  return fetch(`${r.url}/admin${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...(init.actor ? { "x-odc-actor": init.actor } : {}) },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}

async function reconcile(r: Replica, dryRun: boolean, actor: string): Promise<ReconcileReport> {
  const res = await call(r, "/reconcile", { method: "POST", body: JSON.stringify({ dry_run: dryRun }), actor });
  expect(res.status).toBe(200);
  return (await res.json()) as ReconcileReport;
}

const snapshot = (rows: readonly SimOutboxRow[]) => rows.map((r) => ({ ...r, payload: null }));
const storeCounts = async (sql: Pg) =>
  (
    await sql<{ events: number; deliveries: number; transitions: number; pending: number; reports: number }[]>`
      SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM deliveries)::int AS deliveries,
             (SELECT count(*) FROM delivery_transitions)::int AS transitions, (SELECT count(*) FROM deliveries WHERE state = 'pending')::int AS pending,
             (SELECT count(*) FROM events WHERE report_pending = 1)::int AS reports`
  )[0]!;
const reconcileViews = (odoo: OdooSimulator) => odoo.calls.filter((c) => c.method === "reconcile_view").length;

/**
 * The four mismatches, with two replicas: two orders delivered (by A, nudged) and recorded,
 * then Odoo "restored from a backup" (one row back to leased, to replica B: finished on the
 * shared store, never recorded there; one shown failed although delivered); a row leased to
 * replica A whose claim answer was lost (unknown to the store); a row leased by a replica that
 * crashed, its lease run out.
 */
async function makeMismatches(p: Pair) {
  const { odoo } = p;
  const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
  const unrecorded = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
  const failedThere = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
  await waitFor(() => unrecorded.state === "delivered" && failedThere.state === "delivered", "both delivered and recorded", 20_000);
  // Odoo took the results; the store marks them recorded right after.
  const ids = [unrecorded.event_uuid, failedThere.event_uuid];
  await expect.poll(async () => (await p.sql`SELECT 1 FROM events WHERE id = ANY(${ids}::text[]) AND report_pending = 0`).length, { timeout: 10_000, interval: 50 }).toBe(2);
  const b = identity(p.b);
  Object.assign(unrecorded, { state: "leased", delivered_at: null, lease_until: Date.now() + 600_000, lease_token: "restored", lease_consumer: b.consumer, lease_generation: b.generation });
  Object.assign(failedThere, { state: "failed", last_error: "[WOODCORNER] http_5xx: HTTP 503" });
  const a = identity(p.a);
  const lost = odoo.emit("purchase_order.confirmed", "purchase.order", 900_001, "P900001", "WOODCORNER", {});
  odoo.claimBatch({ limit: 1, lease_seconds: 600, consumer: a.consumer, generation: a.generation });
  const orphan = odoo.emit("purchase_order.confirmed", "purchase.order", 900_002, "P900002", "WOODCORNER", {});
  odoo.claimBatch({ limit: 1, lease_seconds: 600, consumer: "odc-crashed-replica", generation: 1 });
  orphan.lease_until = Date.now() - 1_000;
  // The made-up rows need a valid payload to be delivered: the envelope of a real order.
  for (const row of [lost, orphan]) {
    const po = odoo.addPurchaseOrder(vendor.id, demoLines());
    po.state = "purchase";
    po.lines.forEach((l, i) => (l.line_number = 10 * (i + 1)));
    row.payload.data = odoo.purchaseOrderData(po);
  }
  expect([lost.state, lost.lease_consumer, orphan.state]).toEqual(["leased", "replica-A", "leased"]);
  return { unrecorded, failedThere, lost, orphan };
}

/** How many repairs of reconciliation each event's history has, on the shared store. */
async function repairNotes(sql: Pg, ids: readonly string[]): Promise<Record<string, number>> {
  const rows = await sql<{ event_id: string; n: number }[]>`
    SELECT event_id, count(*)::int AS n FROM delivery_transitions WHERE event_id = ANY(${[...ids]}::text[]) AND actor LIKE 'reconcile (%' GROUP BY event_id`;
  return Object.fromEntries(ids.map((id) => [id, rows.find((r) => r.event_id === id)?.n ?? 0]));
}

describe.skipIf(!user)("reconciliation on the shared store, with two replicas", () => {
  it("finds each mismatch on a dry run (each replica its own leases), repairs each once, then finds nothing", async () => {
    const p = await startPair();
    const rows = await makeMismatches(p);
    const { unrecorded, failedThere, lost, orphan } = rows;
    expect((await p.sql`SELECT 1 FROM events WHERE id = ${lost.event_uuid}`).length).toBe(0);

    const before = snapshot(p.odoo.outbox);
    const countsBefore = await storeCounts(p.sql);
    const dryA = await reconcile(p.a, true, "test-a");
    expect(dryA.error).toBeNull();
    for (const k of KINDS) expect(dryA.kinds[k], k).toMatchObject({ found: 1, repaired: 0, left: 1 });
    expect(dryA.kinds.leased_unknown.sample).toEqual([lost.event_uuid]);
    // Leased to B in Odoo, finished by A on the shared store: known, so only unrecorded.
    expect(dryA.kinds.finished_unrecorded.sample).toEqual([unrecorded.event_uuid]);
    expect(dryA.kinds.lease_expired.sample).toEqual([orphan.event_uuid]);
    expect(dryA.kinds.failed_delivered.sample).toEqual([failedThere.event_uuid]);
    // B sees the same, except A's live lease: not B's to judge.
    const dryB = await reconcile(p.b, true, "test-b");
    expect(dryB.kinds.leased_unknown).toMatchObject({ found: 0, left: 0 });
    for (const k of ["finished_unrecorded", "lease_expired", "failed_delivered"] as const) expect(dryB.kinds[k], k).toMatchObject({ found: 1, repaired: 0, left: 1 });
    expect(snapshot(p.odoo.outbox)).toEqual(before);
    expect(await storeCounts(p.sql)).toEqual(countsBefore);

    const run = await reconcile(p.a, false, "test-a");
    expect(run.error).toBeNull();
    for (const k of KINDS) expect(run.kinds[k], k).toMatchObject({ found: 1, repaired: 1, left: 0 });
    await waitFor(() => [unrecorded, failedThere, lost, orphan].every((r) => r.state === "delivered"), "every row delivered in Odoo", 20_000);
    expect(p.wood.uniqueIds.has(lost.event_uuid) && p.wood.uniqueIds.has(orphan.event_uuid)).toBe(true);
    expect(failedThere.last_error).toBeNull();
    const ids = [unrecorded, failedThere, lost, orphan].map((r) => r.event_uuid);
    expect(await repairNotes(p.sql, ids)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    // Each repair is in its event's history, read on the other replica, with who asked.
    for (const id of ids) {
      const h = (await (await call(p.b, `/events/${id}/history`)).json()) as EventHistoryView;
      expect(h.history.filter((e) => e.actor === "reconcile (admin-token (test-a))"), id).toHaveLength(1);
    }

    for (const r of [p.a, p.b]) {
      const again = await reconcile(r, false, `test-${r.name.toLowerCase()}`);
      expect(again.error).toBeNull();
      for (const k of KINDS) expect(again.kinds[k], `${r.name} ${k}`).toMatchObject({ found: 0, left: 0 });
    }
    const cli = await odc(["reconcile"], { ODC_ADMIN_URL: p.b.url, ODC_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain("Odoo's outbox and the store agree");
    // Every run, whichever replica made it, in one trail.
    const trail = (await (await call(p.a, "/audit?action=outbox.reconcile")).json()) as { entries: AuditEntry[] };
    expect(trail.entries.map((e) => [e.actor, (e.detail as { dry_run: boolean }).dry_run])).toEqual([
      [expect.stringMatching(/^admin-token \(cli:/), false],
      ["admin-token (test-b)", false],
      ["admin-token (test-a)", false],
      ["admin-token (test-a)", false],
      ["admin-token (test-b)", true],
      ["admin-token (test-a)", true],
    ]);
  });

  it("repairs each mismatch once when both replicas reconcile at the same moment", async () => {
    const p = await startPair();
    const rows = await makeMismatches(p);
    const [ra, rb] = await Promise.all([reconcile(p.a, false, "test-a"), reconcile(p.b, false, "test-b")]);
    // The second waited for the first's turn, then found what was left: nothing.
    for (const r of [ra, rb]) {
      expect(r.error).toBeNull();
      for (const k of KINDS) expect(r.kinds[k].left, k).toBe(0);
    }
    for (const k of KINDS) {
      expect(ra.kinds[k].found + rb.kinds[k].found, k).toBe(1);
      expect(ra.kinds[k].repaired + rb.kinds[k].repaired, k).toBe(1);
    }
    const all = Object.values(rows);
    await waitFor(() => all.every((r) => r.state === "delivered"), "every row delivered in Odoo", 20_000);
    const ids = all.map((r) => r.event_uuid);
    expect(await repairNotes(p.sql, ids)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(p.wood.accepted.filter((e) => e.webhookId === rows.lost.event_uuid || e.webhookId === rows.orphan.event_uuid)).toHaveLength(2);
  });

  it("skips a periodic round while another replica has its turn; a run asked for waits for the turn", async () => {
    const p = await startPair();
    const { orphan } = await makeMismatches(p);
    // Another replica's run, as PostgreSQL sees it: the same advisory lock, held by another session.
    const other = await p.sql.reserve();
    try {
      await other`SELECT pg_advisory_lock(${RECONCILE_LOCK})`;
      const skipped = await p.a.sidecar.reconciler.run(false, "periodic");
      expect(skipped.error).toBeNull();
      expect(skipped.notes.join(" ")).toContain("skipped: another replica was reconciling");
      for (const k of KINDS) expect(skipped.kinds[k].found, k).toBe(0);
      expect(reconcileViews(p.odoo)).toBe(0);
      expect(orphan.lease_consumer).toBe("odc-crashed-replica");
      // The status keeps this replica's last run that checked: none yet.
      expect(p.a.sidecar.reconciler.last).toBeNull();

      const asked = reconcile(p.b, false, "test-b");
      await new Promise((r) => setTimeout(r, 600));
      expect(reconcileViews(p.odoo)).toBe(0);
      await other`SELECT pg_advisory_unlock(${RECONCILE_LOCK})`;
      const report = await asked;
      expect(report.error).toBeNull();
      expect(report.kinds.lease_expired).toMatchObject({ found: 1, repaired: 1 });
      expect(p.b.sidecar.reconciler.last).toEqual(report);
    } finally {
      other.release();
    }
  });

  it("refuses malformed input with a clear 400, reads nothing from Odoo and records nothing", async () => {
    const p = await startPair();
    await makeMismatches(p);
    const before = snapshot(p.odoo.outbox);
    const countsBefore = await storeCounts(p.sql);
    for (const body of ['{"dry_run": "yes"}', '{"dry_run": true, "all": 1}', "not json", "[]", '{"dry_run": null}', `{"dry_run": false, "consumer": "replica-A'; --"}`]) {
      const res = await call(p.b, "/reconcile", { method: "POST", body });
      expect(res.status, body).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code, body).toBe("bad_request");
      expect(error.message.length, body).toBeGreaterThan(0);
    }
    expect((await call(p.a, "/reconcile", { method: "POST", body: JSON.stringify({ dry_run: true, pad: "x".repeat(5000) }) })).status).toBe(413);
    expect((await fetch(`${p.a.url}/admin/reconcile`, { method: "POST", headers: { authorization: "Bearer wrong-token-wrong-token" } })).status).toBe(401);
    expect(reconcileViews(p.odoo)).toBe(0);
    expect(snapshot(p.odoo.outbox)).toEqual(before);
    expect(await storeCounts(p.sql)).toEqual(countsBefore);
    expect((await p.sql`SELECT 1 FROM audit_log`).length).toBe(0);
    for (const r of [p.a, p.b]) expect(r.sidecar.reconciler.last).toBeNull();
  });
});

describe.skipIf(!user)("the audit trail on the shared store", () => {
  it("shows every replica's pauses, resumes, replays and runs, scrubbed, in each replica's trail and histories; prunes old entries", async () => {
    const p = await startPair({ partnerDown: true });
    const vendor = p.odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = p.odoo.approve(p.odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    // The partner is down: the delivery stays pending, and its history spans the pause.
    await expect.poll(async () => (await p.sql`SELECT 1 FROM deliveries WHERE event_id = ${row.event_uuid} AND attempts > 0`).length, { timeout: 20_000, interval: 100 }).toBe(1);

    const paused = await call(p.a, "/partners/WOODCORNER/pause", { method: "POST", body: JSON.stringify({ reason: `supplier maintenance; their key ${PARTNER_SECRET}` }), actor: "alice" });
    expect(paused.status).toBe(200);
    // A pause reaches the other replica within a second; resumed there.
    await expect.poll(() => p.b.sidecar.pauses.get("WOODCORNER") !== undefined, { timeout: 5_000, interval: 50 }).toBe(true);
    expect((await call(p.b, "/partners/WOODCORNER/resume", { method: "POST", actor: "bob" })).status).toBe(200);
    expect((await call(p.b, "/replay", { method: "POST", body: JSON.stringify({ partner: "WOODCORNER" }), actor: "bob" })).status).toBe(202);
    await reconcile(p.a, true, "alice");

    const trails = await Promise.all([p.a, p.b].map(async (r) => ((await (await call(r, "/audit")).json()) as { entries: AuditEntry[] }).entries));
    expect(trails[1]).toEqual(trails[0]);
    expect(trails[0]!.map((e) => [e.action, e.actor, e.subject])).toEqual([
      ["outbox.reconcile", "admin-token (alice)", null],
      ["dead_letters.replay", "admin-token (bob)", "WOODCORNER"],
      ["partner.resume", "admin-token (bob)", "WOODCORNER"],
      ["partner.pause", "admin-token (alice)", "WOODCORNER"],
    ]);
    expect(trails[0]![3]!.detail).toEqual({ reason: "supplier maintenance; their key [redacted]", changed: true });
    const raw = await p.sql<{ detail: string | null }[]>`SELECT detail FROM audit_log`;
    expect(raw.some((r) => r.detail?.includes(PARTNER_SECRET))).toBe(false);
    // Filters and paging, on the other replica.
    const pauses = ((await (await call(p.b, "/audit?action=partner.pause")).json()) as { entries: AuditEntry[] }).entries;
    expect(pauses.map((e) => e.actor)).toEqual(["admin-token (alice)"]);
    const page = (await (await call(p.b, "/audit?limit=2")).json()) as { entries: AuditEntry[]; next_before_id: number };
    const rest = ((await (await call(p.b, `/audit?before_id=${page.next_before_id}`)).json()) as { entries: AuditEntry[] }).entries;
    expect([...page.entries, ...rest]).toEqual(trails[0]);
    expect((await call(p.b, "/audit?action=partner.drop")).status).toBe(400);
    const cli = await odc(["audit", "--json", "--action", "partner.resume"], { ODC_ADMIN_URL: p.a.url, ODC_ADMIN_TOKEN: ADMIN_TOKEN });
    expect((JSON.parse(cli.stdout) as { entries: AuditEntry[] }).entries.map((e) => e.actor)).toEqual(["admin-token (bob)"]);

    // The event's history, read on B, shows the pause made on A and the resume made on B.
    const h = (await (await call(p.b, `/events/${row.event_uuid}/history`)).json()) as EventHistoryView;
    expect(h.history.filter((e) => e.scope === "partner").map((e) => [e.to, e.actor, e.cause])).toEqual([
      ["paused", "admin-token (alice)", "operator: supplier maintenance; their key [redacted]"],
      ["active", "admin-token (bob)", "operator"],
    ]);

    // Retention (ODC_AUDIT_RETENTION_DAYS, 365 by default): an entry older than that goes, whichever replica prunes.
    await p.a.sidecar.audit.record("admin-token (carol)", "partner.pause", "WOODCORNER", { reason: "long ago" }, Date.now() - 400 * DAY);
    expect(((await (await call(p.b, "/audit")).json()) as { entries: AuditEntry[] }).entries).toHaveLength(5);
    expect(await p.b.sidecar.audit.prune()).toBe(1);
    expect(((await (await call(p.a, "/audit")).json()) as { entries: AuditEntry[] }).entries).toEqual(trails[0]);
  });
});

describe.skipIf(!user)("pruning the history on the shared store", () => {
  const SUPPLIER = "SUPPLIER";
  let outboxId = 0;
  const claimed = (ref: string): ClaimedEvent => {
    const event: CanonicalEvent = { id: randomUUID(), type: "purchase_order.confirmed", version: 1, occurred_at: new Date().toISOString(), source: {}, subject: { model: "purchase.order", id: ++outboxId, ref }, sequence: 1, data: {} };
    return { outboxId, replay: false, event };
  };

  it("deletes old state changes in batches, keeps a dead letter's until it is replayed, as on SQLite", async () => {
    const p = await startPair();
    const pg = p.a.sidecar.deliveries as PgDeliveryStore;
    const lite = new DeliveryStore(openStore(join(dir, "parity.sqlite")));
    const now = Date.now();
    const old = now - 100 * DAY;
    const before = now - 90 * DAY;
    const [delivered, dead, invalid, recent] = ["P1", "P2", "P3", "P4"].map(claimed) as [ClaimedEvent, ClaimedEvent, ClaimedEvent, ClaimedEvent];
    const route = () => [SUPPLIER];
    const idsOf = async () => new Map((await p.sql<{ id: number; event_id: string }[]>`SELECT id, event_id FROM deliveries`).map((r) => [r.event_id, r.id]));
    const liteIdOf = (eventId: string) => (lite.db.$client.prepare(`SELECT id FROM deliveries WHERE event_id = ?`).get(eventId) as { id: number }).id;

    // The same story on both stores: P1 delivered and recorded, P2 dead, P3 refused as invalid (dead), all long ago.
    await pg.ingest([delivered, dead], route, () => null, old);
    lite.ingest([delivered, dead], route, () => null, old);
    await pg.rejectInvalid([{ claimed: invalid, reason: "not a valid event" }], old);
    lite.rejectInvalid([{ claimed: invalid, reason: "not a valid event" }], old);
    const ids = await idsOf();
    expect((await pg.due(SUPPLIER, now, 10)).length).toBe(2);
    const outcomes = (id: (e: string) => number) => [
      { id: id(delivered.event.id), ok: true as const, status: 200, at: old },
      { id: id(dead.event.id), ok: false as const, errorClass: "http_4xx" as const, message: "HTTP 422", status: 422, nextAttemptAt: null },
    ];
    await pg.recordOutcomes(outcomes((e) => ids.get(e)!));
    lite.recordOutcomes(outcomes(liteIdOf));
    const recorded = [{ id: delivered.event.id, state: "delivered" }, { id: dead.event.id, state: "dead" }, { id: invalid.event.id, state: "dead" }];
    await pg.markReported(recorded, old);
    lite.markReported(recorded, old);
    await p.sql`UPDATE delivery_transitions SET at = ${old}`;
    lite.db.$client.prepare(`UPDATE delivery_transitions SET at = ?`).run(old);
    // And one event of today, whose history stays.
    await pg.ingest([recent], route, () => null, now);
    lite.ingest([recent], route, () => null, now);
    await pg.noteEvent(recent.event.id, "claimed", "a repair of today", "reconcile (test)", now);
    lite.noteEvent(recent.event.id, "claimed", "a repair of today", "reconcile (test)", now);

    const kept = async () => (await p.sql<{ event_id: string; to_state: string }[]>`SELECT event_id, to_state FROM delivery_transitions ORDER BY id`).map((r) => `${r.event_id} ${r.to_state}`);
    const liteKept = () => (lite.db.$client.prepare(`SELECT event_id, to_state FROM delivery_transitions ORDER BY id`).all() as { event_id: string; to_state: string }[]).map((r) => `${r.event_id} ${r.to_state}`);
    const all = await kept();
    expect(all).toEqual(liteKept());
    expect(all.filter((t) => t.startsWith(delivered.event.id))).toEqual([`${delivered.event.id} delivered`, `${delivered.event.id} delivered`]);

    // The sidecar's hourly pruning (ODC_HISTORY_RETENTION_DAYS, 90 by default) reaches the shared store.
    expect(await p.a.sidecar.history.pruneNow(now)).toBe(2);
    expect(lite.pruneTransitions(before, 2)).toBe(2);
    const left = await kept();
    expect(left).toEqual(liteKept());
    expect(left.some((t) => t.startsWith(delivered.event.id))).toBe(false);
    expect(left.filter((t) => t.startsWith(dead.event.id))).toEqual([`${dead.event.id} dead`, `${dead.event.id} dead`]);
    expect(left.filter((t) => t.startsWith(invalid.event.id))).toEqual([`${invalid.event.id} dead`, `${invalid.event.id} dead`]);
    expect(left.filter((t) => t.startsWith(recent.event.id))).toEqual([`${recent.event.id} claimed`]);

    // Replayed, the dead letter is resolved: its old changes go at the next pruning, in batches of one; the replay's stays.
    expect(await pg.replayDead({ eventIds: [dead.event.id] }, now, "admin-token (test)")).toBe(1);
    expect(lite.replayDead({ eventIds: [dead.event.id] }, now, "admin-token (test)")).toBe(1);
    expect(await pg.pruneTransitions(before, 1)).toBe(2);
    expect(lite.pruneTransitions(before, 1)).toBe(2);
    const last = await kept();
    expect(last).toEqual(liteKept());
    expect(last.filter((t) => t.startsWith(dead.event.id))).toEqual([`${dead.event.id} pending`]);
    expect(last.filter((t) => t.startsWith(invalid.event.id))).toHaveLength(2);
    expect(await pg.pruneTransitions(before)).toBe(0);
    lite.db.$client.close();
  });
});

describe("HistoryRetention with a store that answers later or fails", () => {
  it("adds up every store's prune, sync and async, and logs one that fails without stopping the others", async () => {
    const warned: unknown[] = [];
    const log = { warn: (o: unknown) => void warned.push(o) } as unknown as Logger;
    const seen: number[] = [];
    const retention = new HistoryRetention(
      [
        (before) => (seen.push(before), 3),
        async () => {
          throw new Error("connection refused");
        },
        async (before) => (seen.push(before), 2),
      ],
      10 * DAY,
      log,
    );
    expect(await retention.pruneNow(100 * DAY)).toBe(5);
    expect(seen).toEqual([90 * DAY, 90 * DAY]);
    expect(warned).toHaveLength(1);
  });
});
