import type { Logger } from "pino";
import type { Awaitable } from "../delivery/index.ts";
import type { Pg } from "../store/pg/db.ts";
import { attentionDocument, ownBoundsOf, type AttentionBounds, type InboundFacts } from "./attention.ts";
import type { PartnerSummary, StatusStore, StoreSummary } from "./status.ts";

export interface PgStatusStoreOptions {
  /** How often the summary is refreshed in the background (0: only by refresh()); never more often than 4 times the last refresh took. */
  everyMs?: number;
  /** The time the attention bounds are measured from (tests fix it). */
  clock?: () => number;
}

/** Longest a status read may take before PostgreSQL cancels it (the last summary is kept, with the reason). */
const STATUS_READ_TIMEOUT_MS = 10_000;

const grouped = (rows: readonly { k: string | null; n: number }[]) => {
  const by: Record<string, number> = {};
  for (const r of rows) by[r.k ?? "(none)"] = Number(r.n);
  return by;
};

/**
 * The status model's counts from the shared PostgreSQL store: every replica's deliveries,
 * whichever made them. status() is synchronous and read often (each page refresh, each
 * metrics scrape), so it answers from a summary refreshed in the background (every `everyMs`,
 * and by refresh() at most that often), read with parameterized queries only. The attention
 * counts that depend on inbound documents match the shared events with the inbound facts
 * (`inbound`: the shared store's documents, ops/attention.ts pgInboundFactsReader).
 */
export class PgStatusStore implements StatusStore {
  readonly kind = "postgresql";
  private readonly everyMs: number;
  private readonly clock: () => number;
  private last: StoreSummary;
  private inFlight: Promise<void> | null = null;
  private startedAt = 0;
  private tookMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly sql: Pg,
    private readonly bounds: AttentionBounds,
    private readonly inbound: () => Awaitable<InboundFacts>,
    private readonly log: Logger,
    options: PgStatusStoreOptions = {},
  ) {
    this.everyMs = options.everyMs ?? 2_000;
    this.clock = options.clock ?? Date.now;
    this.last = { partners: [], reportPending: 0, attention: attentionDocument(bounds, { unack: {}, changes: {}, milestones: {}, exceptions: {}, backlog: {} }), asOf: null, error: null };
  }

  /** Starts the background refresh (a first one at once). */
  start(): void {
    if (this.timer || this.everyMs <= 0) return;
    this.stopped = false;
    void this.refresh();
    const tick = () => {
      this.timer = setTimeout(
        () => void this.refresh().finally(() => !this.stopped && tick()),
        // A slow store is asked less often: never more than a fifth of the time spent on this.
        Math.max(this.everyMs, 4 * this.tookMs),
      );
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  summary(): StoreSummary {
    return this.last;
  }

  /**
   * Reads the summary again, unless a read began less than `everyMs` ago (then that one's
   * result, awaited if still under way). Never throws: a failed read keeps the last summary,
   * with the reason in `error`.
   */
  refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.startedAt > 0 && Date.now() - this.startedAt < this.everyMs) return Promise.resolve();
    this.startedAt = Date.now();
    this.inFlight = this.read(this.clock())
      .then((s) => {
        this.last = s;
      })
      .catch((err: unknown) => {
        if (this.stopped) return;
        this.log.warn({ err }, "reading the status summary from the shared store failed");
        this.last = { ...this.last, error: err instanceof Error ? err.message : String(err) };
      })
      .finally(() => {
        this.tookMs = Date.now() - this.startedAt;
        this.inFlight = null;
      });
    return this.inFlight;
  }

  private async read(now: number): Promise<StoreSummary> {
    const sql = this.sql;
    const facts = await this.inbound();
    const { ack: ackBounds, milestone: milestoneBounds } = ownBoundsOf(this.bounds);
    // One snapshot for every count: they add up with each other.
    const summary = await sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
      // A read for a status page: never one that holds a core of the database for long.
      await tx`SELECT set_config('statement_timeout', ${String(STATUS_READ_TIMEOUT_MS)}, true)`;
      const partners = await tx<(Omit<PartnerSummary, "last_error_class" | "last_error"> & { cls: string | null; msg: string | null })[]>`
        SELECT p.partner, p.pending, p.delivered, p.dead, p.oldest, p.last_success, le.last_error_class AS cls, le.last_error AS msg
          FROM (SELECT partner, count(*) FILTER (WHERE state = 'pending')::bigint AS pending, count(*) FILTER (WHERE state = 'delivered')::bigint AS delivered,
                       count(*) FILTER (WHERE state = 'dead')::bigint AS dead, min(created_at) FILTER (WHERE state = 'pending') AS oldest, max(delivered_at) AS last_success
                  FROM deliveries GROUP BY partner) p
          LEFT JOIN (SELECT DISTINCT ON (partner) partner, last_error_class, last_error FROM deliveries
                      WHERE last_error_class IS NOT NULL AND state <> 'delivered' ORDER BY partner, id DESC) le ON le.partner = p.partner`;
      const [report] = await tx<{ n: number }[]>`SELECT count(*)::bigint AS n FROM events WHERE report_pending = 1`;
      const unack = await tx<{ k: string; n: number }[]>`
        SELECT d.partner AS k, count(*)::bigint AS n FROM deliveries d JOIN events e ON e.id = d.event_id
          LEFT JOIN unnest(${ackBounds.map((b) => b.code)}::text[], ${ackBounds.map((b) => b.ms)}::bigint[]) AS b(code, ms) ON b.code = d.partner
         WHERE e.type = 'purchase_order.confirmed' AND d.state = 'delivered' AND d.delivered_at <= ${now}::bigint - coalesce(b.ms, ${this.bounds.ackMs}::bigint)
           AND coalesce(e.payload::json #>> '{subject,ref}', '') NOT IN (SELECT r FROM unnest(${facts.acknowledged}::text[]) AS a(r) WHERE r IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM events x WHERE x.subject_key = e.subject_key AND x.sequence > e.sequence AND x.type IN ('purchase_order.cancelled', 'purchase_order.confirmed'))
         GROUP BY d.partner`;
      const changes = await tx<{ k: string; n: number }[]>`
        SELECT c.partner AS k, count(*)::bigint AS n
          FROM unnest(${facts.changes.map((c) => c.partner)}::text[], ${facts.changes.map((c) => c.ref)}::text[], ${facts.changes.map((c) => c.receivedAt)}::bigint[]) AS c(partner, ref, at)
          LEFT JOIN (SELECT e.payload::json #>> '{subject,ref}' AS ref, max(e.received_at) AS at FROM events e WHERE e.type = 'purchase_order.changed' GROUP BY 1) x ON x.ref = c.ref
         WHERE x.at IS NULL OR x.at <= c.at
         GROUP BY c.partner`;
      const milestones = await tx<{ k: string | null; n: number }[]>`
        SELECT s.k, count(*)::bigint AS n
          FROM (SELECT coalesce(e.routing_code, e.payload::json #>> '{data,carrier,partner_code}') AS k, e.payload::json #>> '{data,tracking_ref}' AS tracking, e.received_at, e.subject_key, e.sequence
                  FROM events e WHERE e.type = 'shipment.dispatched') s
          LEFT JOIN unnest(${milestoneBounds.map((b) => b.code)}::text[], ${milestoneBounds.map((b) => b.ms)}::bigint[]) AS b(code, ms) ON b.code = s.k
         WHERE s.received_at <= ${now}::bigint - coalesce(b.ms, ${this.bounds.milestoneMs}::bigint)
           AND coalesce(s.tracking, '') NOT IN (SELECT r FROM unnest(${facts.tracked}::text[]) AS t(r) WHERE r IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM events x WHERE x.subject_key = s.subject_key AND x.sequence > s.sequence AND x.type = 'shipment.cancelled')
         GROUP BY s.k`;
      const backlog = await tx<{ k: string; n: number }[]>`
        SELECT coalesce(e.routing_code, d.partner) AS k, count(*)::bigint AS n FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.state = 'pending' AND e.type LIKE 'shipment.%' GROUP BY 1`;
      return {
        partners: partners.map(({ cls, msg, ...r }) => ({ ...r, pending: Number(r.pending), delivered: Number(r.delivered), dead: Number(r.dead), last_error_class: cls, last_error: msg })),
        reportPending: Number(report?.n ?? 0),
        attention: attentionDocument(this.bounds, { unack: grouped(unack), changes: grouped(changes), milestones: grouped(milestones), exceptions: { ...facts.exceptions }, backlog: grouped(backlog) }),
        asOf: now,
        error: null,
      };
    });
    await this.keepStatistics(summary.partners.reduce((n, p) => n + p.pending + p.delivered + p.dead, 0));
    return summary;
  }

  private analyzedAt = 0;

  /**
   * Refreshes the planner's statistics of the store's busy tables once they have grown
   * several times over since this replica last did (autovacuum's analyze does it too, where
   * it runs; this machine's PostgreSQL has it off). Plans made while the tables were nearly
   * empty (a prepared statement keeps its plan) otherwise scan them in nested loops: one
   * status query took tens of seconds of a core with ten thousand deliveries pending
   * (bench/README.md, "Several replicas on PostgreSQL"). ANALYZE samples the tables and
   * invalidates those plans; it blocks neither reads nor writes.
   */
  private async keepStatistics(deliveries: number): Promise<void> {
    if (deliveries < 2 * this.analyzedAt + 1_000) return;
    this.analyzedAt = deliveries;
    try {
      await this.sql`ANALYZE events, deliveries, inbound_documents, delivery_transitions, partner_slots`;
    } catch (err) {
      this.log.warn({ err }, "refreshing the shared store's statistics failed");
    }
  }
}
