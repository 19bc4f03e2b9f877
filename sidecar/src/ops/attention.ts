import type { StoreDb } from "../store/db.ts";
import type { Pg } from "../store/pg/db.ts";

export interface AttentionBounds {
  /** A confirmed PO delivered to its supplier longer ago than this with no acknowledgement received. */
  ackMs: number;
  /** A dispatched shipment claimed longer ago than this with no tracking milestone received. */
  milestoneMs: number;
  /** Per partner code (the partners file's `attention` section): its own bounds, over the two above. */
  byPartner?: Readonly<Record<string, { ackMs?: number | undefined; milestoneMs?: number | undefined }>>;
}

export interface Attention {
  /** The default bounds, and the partners that have their own (`by_partner`, only those). */
  bounds: { ack_s: number; milestone_s: number; by_partner: Record<string, { ack_s?: number; milestone_s?: number }> };
  po_unacknowledged: { total: number; by_partner: Record<string, number> };
  ack_changes_pending: { total: number; by_partner: Record<string, number> };
  shipments_without_milestone: { total: number; by_carrier: Record<string, number> };
  exceptions_open: { total: number; by_partner: Record<string, number> };
  backlog_by_carrier: Record<string, number>;
}

/** Acknowledgement statuses that change what was ordered: a buyer has to accept them. */
const CHANGE_STATUSES = ["changed", "partially_accepted", "backordered"];

/**
 * The business attention counts, computed from the sidecar's own store only (the events it
 * claimed and the partners' documents it received), so a status read costs Odoo nothing:
 *
 * - po_unacknowledged: `purchase_order.confirmed` delivered to a supplier more than `ackMs` ago
 *   (or that supplier's own bound),
 *   no `supplier.order_acknowledged` received for that PO number since, PO not cancelled since;
 * - ack_changes_pending: the latest acknowledgement of a PO says changed, partially accepted or
 *   backordered, and Odoo has sent no `purchase_order.changed` for that PO after it (what the
 *   buyer accepting the changes in Odoo produces);
 * - shipments_without_milestone: `shipment.dispatched` claimed more than `milestoneMs` ago (or
 *   the carrier's own bound) whose
 *   tracking reference has had no `carrier.tracking_updated` (or none at all), by carrier code;
 * - exceptions_open: inbound documents Odoo answered `exception` (a person decides in Odoo; the
 *   sidecar cannot see when they have, so this counts every exception it received), by partner;
 * - backlog_by_carrier: pending deliveries of shipment events, by the carrier code they carry.
 */
export function attentionOf(db: StoreDb, bounds: AttentionBounds, now: number): Attention {
  const c = db.$client;
  // Per-partner bounds as one JSON parameter (partner code -> ms), joined with json_each.
  const own = ownBoundsOf(bounds);
  const ackBounds = JSON.stringify(Object.fromEntries(own.ack.map((b) => [b.code, b.ms])));
  const milestoneBounds = JSON.stringify(Object.fromEntries(own.milestone.map((b) => [b.code, b.ms])));
  const grouped = (sql: string, params: Record<string, unknown> = {}) => {
    const by: Record<string, number> = {};
    for (const r of c.prepare(sql).all(params) as { k: string | null; n: number }[]) by[r.k ?? "(none)"] = r.n;
    return by;
  };
  const unack = grouped(
    `SELECT d.partner AS k, count(*) AS n FROM deliveries d JOIN events e ON e.id = d.event_id
      LEFT JOIN json_each(@ackBounds) b ON b.key = d.partner
      WHERE e.type = 'purchase_order.confirmed' AND d.state = 'delivered' AND d.delivered_at <= @now - coalesce(b.value, @ackMs)
        AND coalesce(json_extract(e.payload, '$.subject.ref'), '') NOT IN
            (SELECT subject_ref FROM inbound_documents WHERE type = 'supplier.order_acknowledged' AND subject_ref IS NOT NULL AND status NOT IN ('received', 'rejected'))
        AND NOT EXISTS (SELECT 1 FROM events x WHERE x.subject_key = e.subject_key AND x.sequence > e.sequence AND x.type IN ('purchase_order.cancelled', 'purchase_order.confirmed'))
      GROUP BY d.partner`,
    { now, ackMs: bounds.ackMs, ackBounds },
  );
  const changes = grouped(
    `SELECT i.partner AS k, count(*) AS n FROM inbound_documents i
      WHERE i.type = 'supplier.order_acknowledged' AND i.status = 'applied'
        AND json_extract(i.event, '$.data.status') IN (SELECT value FROM json_each(@changeStatuses))
        AND i.id = (SELECT max(j.id) FROM inbound_documents j WHERE j.type = i.type AND j.partner = i.partner AND j.subject_ref = i.subject_ref AND j.status = 'applied')
        AND NOT EXISTS (SELECT 1 FROM events e WHERE e.type = 'purchase_order.changed' AND e.received_at > i.received_at AND json_extract(e.payload, '$.subject.ref') = i.subject_ref)
      GROUP BY i.partner`,
    { changeStatuses: JSON.stringify(CHANGE_STATUSES) },
  );
  const milestones = grouped(
    `SELECT coalesce(e.routing_code, json_extract(e.payload, '$.data.carrier.partner_code')) AS k, count(*) AS n FROM events e
      LEFT JOIN json_each(@milestoneBounds) b ON b.key = coalesce(e.routing_code, json_extract(e.payload, '$.data.carrier.partner_code'))
      WHERE e.type = 'shipment.dispatched' AND e.received_at <= @now - coalesce(b.value, @milestoneMs)
        AND coalesce(json_extract(e.payload, '$.data.tracking_ref'), '') NOT IN
            (SELECT subject_ref FROM inbound_documents WHERE type = 'carrier.tracking_updated' AND subject_ref IS NOT NULL AND status NOT IN ('received', 'rejected'))
        AND NOT EXISTS (SELECT 1 FROM events x WHERE x.subject_key = e.subject_key AND x.sequence > e.sequence AND x.type = 'shipment.cancelled')
      GROUP BY k`,
    { now, milestoneMs: bounds.milestoneMs, milestoneBounds },
  );
  const exceptions = grouped(`SELECT partner AS k, count(*) AS n FROM inbound_documents WHERE status = 'exception' GROUP BY partner`);
  const backlog = grouped(
    `SELECT coalesce(e.routing_code, d.partner) AS k, count(*) AS n FROM deliveries d JOIN events e ON e.id = d.event_id
      WHERE d.state = 'pending' AND e.type LIKE 'shipment.%' GROUP BY k`,
  );
  return attentionDocument(bounds, { unack, changes, milestones, exceptions, backlog });
}

/** The partners that have their own bounds, one list per bound (both dialects' queries take them as a parameter). */
export function ownBoundsOf(bounds: AttentionBounds): { ack: { code: string; ms: number }[]; milestone: { code: string; ms: number }[] } {
  const own = Object.entries(bounds.byPartner ?? {});
  return {
    ack: own.flatMap(([code, b]) => (b.ackMs === undefined ? [] : [{ code, ms: b.ackMs }])),
    milestone: own.flatMap(([code, b]) => (b.milestoneMs === undefined ? [] : [{ code, ms: b.milestoneMs }])),
  };
}

/** The attention counts of both dialects (ops/status-pg.ts computes the same on PostgreSQL), grouped, as the status document shows them. */
export function attentionDocument(
  bounds: AttentionBounds,
  by: { unack: Record<string, number>; changes: Record<string, number>; milestones: Record<string, number>; exceptions: Record<string, number>; backlog: Record<string, number> },
): Attention {
  const own = Object.entries(bounds.byPartner ?? {});
  const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  return {
    bounds: {
      ack_s: Math.round(bounds.ackMs / 1000),
      milestone_s: Math.round(bounds.milestoneMs / 1000),
      by_partner: Object.fromEntries(
        own.map(([code, b]) => [code, { ...(b.ackMs === undefined ? {} : { ack_s: Math.round(b.ackMs / 1000) }), ...(b.milestoneMs === undefined ? {} : { milestone_s: Math.round(b.milestoneMs / 1000) }) }]),
      ),
    },
    po_unacknowledged: { total: total(by.unack), by_partner: by.unack },
    ack_changes_pending: { total: total(by.changes), by_partner: by.changes },
    shipments_without_milestone: { total: total(by.milestones), by_carrier: by.milestones },
    exceptions_open: { total: total(by.exceptions), by_partner: by.exceptions },
    backlog_by_carrier: by.backlog,
  };
}

/**
 * What the attention counts need of the inbound documents, read from where they are kept
 * (the SQLite file, or the shared store: `pgInboundFactsReader`), then matched with the
 * shared events and deliveries on PostgreSQL (ops/status-pg.ts).
 */
export interface InboundFacts {
  /** PO numbers with an acknowledgement received (decoded, not rejected). */
  acknowledged: string[];
  /** Tracking references with a milestone received (decoded, not rejected). */
  tracked: string[];
  /** The latest applied acknowledgement of each PO per partner, when it asks the buyer to accept changes. */
  changes: { partner: string; ref: string; receivedAt: number }[];
  /** Exceptions Odoo answered, per partner. */
  exceptions: Record<string, number>;
}

/**
 * The inbound facts of a replica's SQLite file, read again only once the file has changed
 * (a write through this connection, `total_changes()`, or through another, `data_version`):
 * the read scans every inbound document, and the shared store's summary asks every 2 s.
 */
export function inboundFactsReader(db: StoreDb): () => InboundFacts {
  const version = db.$client.prepare(`SELECT total_changes() AS t, (SELECT data_version FROM pragma_data_version) AS v`);
  let memo: { key: string; facts: InboundFacts } | null = null;
  return () => {
    const r = version.get() as { t: number; v: number };
    const key = `${r.t}:${r.v}`;
    if (memo?.key !== key) memo = { key, facts: inboundFactsOf(db) };
    return memo.facts;
  };
}

/** The inbound facts from a replica's SQLite file. */
export function inboundFactsOf(db: StoreDb): InboundFacts {
  const c = db.$client;
  const refs = (type: string) =>
    (c.prepare(`SELECT DISTINCT subject_ref AS r FROM inbound_documents WHERE type = ? AND subject_ref IS NOT NULL AND status NOT IN ('received', 'rejected')`).all(type) as { r: string }[]).map((x) => x.r);
  const changes = c
    .prepare(
      `SELECT i.partner, i.subject_ref AS ref, i.received_at AS receivedAt FROM inbound_documents i
        WHERE i.type = 'supplier.order_acknowledged' AND i.status = 'applied' AND i.subject_ref IS NOT NULL
          AND json_extract(i.event, '$.data.status') IN (SELECT value FROM json_each(?))
          AND i.id = (SELECT max(j.id) FROM inbound_documents j WHERE j.type = i.type AND j.partner = i.partner AND j.subject_ref = i.subject_ref AND j.status = 'applied')`,
    )
    .all(JSON.stringify(CHANGE_STATUSES)) as InboundFacts["changes"];
  const exceptions: Record<string, number> = {};
  for (const r of c.prepare(`SELECT partner AS k, count(*) AS n FROM inbound_documents WHERE status = 'exception' GROUP BY partner`).all() as { k: string; n: number }[]) exceptions[r.k] = r.n;
  return { acknowledged: refs("supplier.order_acknowledged"), tracked: refs("carrier.tracking_updated"), changes, exceptions };
}

/** "FAST: acknowledge within 1 h; DHL: milestone within 2 h" (ages as `age` writes them), or "" when no partner has its own bounds. */
export function ownBounds(by: Attention["bounds"]["by_partner"], age: (s: number) => string): string {
  return Object.entries(by)
    .map(([code, b]) => `${code}: ${[b.ack_s === undefined ? null : `acknowledge within ${age(b.ack_s)}`, b.milestone_s === undefined ? null : `milestone within ${age(b.milestone_s)}`].filter(Boolean).join(", ")}`)
    .join("; ");
}

/** How long the shared store's inbound facts are kept at most without a change seen (a change committed late, under a lower id, is found by then). */
const PG_FACTS_MAX_AGE_MS = 60_000;

/**
 * The inbound facts of every replica's documents on the shared store, read again only after a
 * change (a new document, or a new state change: every change of status writes one) or after
 * PG_FACTS_MAX_AGE_MS; parameterized queries only.
 */
export function pgInboundFactsReader(sql: Pg, clock: () => number = Date.now): () => Promise<InboundFacts> {
  let memo: { key: string; at: number; facts: InboundFacts } | null = null;
  return async () => {
    const [v] = await sql<{ d: number | null; t: number | null }[]>`SELECT (SELECT max(id) FROM inbound_documents) AS d, (SELECT max(id) FROM inbound_transitions) AS t`;
    const key = `${v?.d ?? 0}:${v?.t ?? 0}`;
    const now = clock();
    if (memo?.key !== key || now - memo.at > PG_FACTS_MAX_AGE_MS) memo = { key, at: now, facts: await pgInboundFactsOf(sql) };
    return memo.facts;
  };
}

/** The inbound facts from the shared store, in one snapshot. */
export async function pgInboundFactsOf(sql: Pg): Promise<InboundFacts> {
  return sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
    const refs = async (type: string) =>
      (await tx<{ r: string }[]>`SELECT DISTINCT subject_ref AS r FROM inbound_documents WHERE type = ${type} AND subject_ref IS NOT NULL AND status NOT IN ('received', 'rejected')`).map((x) => x.r);
    const acknowledged = await refs("supplier.order_acknowledged");
    const tracked = await refs("carrier.tracking_updated");
    const changes = await tx<InboundFacts["changes"]>`
      SELECT i.partner, i.subject_ref AS ref, i.received_at AS "receivedAt" FROM inbound_documents i
       WHERE i.type = 'supplier.order_acknowledged' AND i.status = 'applied' AND i.subject_ref IS NOT NULL
         AND (i.event::json #>> '{data,status}') = ANY(${CHANGE_STATUSES}::text[])
         AND i.id = (SELECT max(j.id) FROM inbound_documents j WHERE j.type = i.type AND j.partner = i.partner AND j.subject_ref = i.subject_ref AND j.status = 'applied')`;
    const exceptions: Record<string, number> = {};
    for (const r of await tx<{ k: string; n: number }[]>`SELECT partner AS k, count(*)::bigint AS n FROM inbound_documents WHERE status = 'exception' GROUP BY partner`) exceptions[r.k] = Number(r.n);
    return { acknowledged, tracked, changes: [...changes], exceptions };
  });
}
