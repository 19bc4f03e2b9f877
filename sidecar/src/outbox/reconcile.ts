import type { Logger } from "pino";
import type { Awaitable, ReconcileStore } from "../delivery/index.ts";
import type { OdooOutbox, OutboxResult, OutboxRowView } from "../odoo/outbox.ts";
import type { ConsumerIdentity } from "./consumer.ts";
import type { OutboxDrain } from "./drain.ts";

/**
 * What reconciliation looks for:
 *
 * - `leased_unknown`: rows Odoo shows leased to this replica that the store does not have (a
 *   claim's answer lost for good, a store restored from an older copy). Repair: claim again as
 *   this consumer, a generation past the lease, which takes them back at once.
 * - `finished_unrecorded`: deliveries finished here (delivered or dead) and recorded, while Odoo
 *   still shows the row leased (or failed, for a dead one): Odoo lost the result (a database
 *   restored from a backup). Repair: record the result again (`record_results` is idempotent).
 * - `lease_expired`: rows whose lease ran out and that nobody claimed again (this replica is
 *   holding back, another replica is gone). Repair: claim, which takes expired leases first in
 *   their turn; left when claiming is paused (backlog full) or they are behind the backlog.
 * - `failed_delivered`: rows `failed` or `dead` in Odoo that were delivered here. Repair:
 *   record `delivered` again (Odoo allows delivered from failed and dead).
 * - `inbound_stuck`: partners' documents still waiting (received or pending) longer than the
 *   bound. Repair: pending ones are tried again now; received ones (waiting to be decoded)
 *   wake the worker and are left for the next run to judge.
 */
export const MISMATCH_KINDS = ["leased_unknown", "finished_unrecorded", "lease_expired", "failed_delivered", "inbound_stuck"] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

export interface MismatchCount {
  found: number;
  repaired: number;
  /** Found and not repaired: what a person should look at. */
  left: number;
  /** Up to 20 event ids (document ids for inbound), to look at with `odc history`. */
  sample: string[];
}

export interface ReconcileReport {
  ran_at: string;
  dry_run: boolean;
  /** Who asked: `periodic`, or the admin token (and the CLI's user). */
  actor: string;
  kinds: Record<MismatchKind, MismatchCount>;
  /** Why something was left (claiming paused, more rows than one run reads). */
  notes: string[];
  /** The run failed (Odoo unreachable): the counts are what it had found until then. */
  error: string | null;
}

/** The inbound store's part (the inbound feature, wired by the composition root): SQLite answers at once, PostgreSQL later. */
export interface InboundReconcileSource {
  stuck(receivedBefore: number, limit: number): Awaitable<{ id: number; status: "received" | "pending"; nextAttemptAt: number }[]>;
  retryNow(ids: readonly number[], actor: string, cause: string): Awaitable<number>;
  wake(): void;
}

export interface ReconcilerOptions {
  /** Periodic runs; 0: on demand only. */
  intervalMs: number;
  /** How many of the latest finished events each run checks in Odoo. */
  recentFinished?: number;
  /** An inbound document still waiting this long after it came is stuck. */
  inboundStuckMs?: number;
  /** Claims a repair may make in one run, at most. */
  maxClaims?: number;
  /**
   * A store shared by replicas gives reconciliation one replica at a time: how long a run
   * asked for (`odc reconcile`) waits for another replica's run to end. A periodic run does
   * not wait: it skips its round.
   */
  turnWaitMs?: number;
}

const SAMPLE = 20;
const VIEW_CHUNK = 1000;
const empty = (): Record<MismatchKind, MismatchCount> => Object.fromEntries(MISMATCH_KINDS.map((k) => [k, { found: 0, repaired: 0, left: 0, sample: [] }])) as unknown as Record<MismatchKind, MismatchCount>;

/**
 * Compares Odoo's outbox with the store, periodically and on demand, repairs what it safely
 * can and reports the rest (status page, `/metrics`, `odc reconcile`). It reads Odoo with
 * `connector.outbox.reconcile_view` while holding the drain's claims off, so a claim in flight
 * is never taken for a mismatch. Every repair is written in the event's history.
 */
export class Reconciler {
  last: ReconcileReport | null = null;
  private running: Promise<ReconcileReport> = Promise.resolve(null as unknown as ReconcileReport);
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly outbox: OdooOutbox,
    private readonly store: ReconcileStore,
    private readonly drain: OutboxDrain,
    private readonly claimer: ConsumerIdentity,
    private readonly inbound: InboundReconcileSource | null,
    private readonly options: ReconcilerOptions,
    private readonly log: Logger,
    private readonly onReport: (report: ReconcileReport) => void = () => {},
  ) {}

  /** Periodic runs: the first a minute after start (or one interval, when shorter), then every interval. */
  start(): void {
    if (this.options.intervalMs <= 0) return;
    const schedule = (ms: number) => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.run(false, "periodic")
          .catch(() => undefined)
          .finally(() => schedule(this.options.intervalMs));
      }, ms);
      this.timer.unref();
    };
    schedule(Math.min(this.options.intervalMs, 60_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }

  /** One run; runs asked for while one is under way wait for it, then run. */
  run(dryRun: boolean, actor: string): Promise<ReconcileReport> {
    const next = this.running.catch(() => undefined).then(() => this.runOnce(dryRun, actor));
    this.running = next;
    return next;
  }

  private async runOnce(dryRun: boolean, actor: string): Promise<ReconcileReport> {
    const report: ReconcileReport = { ran_at: new Date().toISOString(), dry_run: dryRun, actor, kinds: empty(), notes: [], error: null };
    const who = `reconcile (${actor})`;
    let release: (() => Promise<void>) | null = null;
    try {
      // Several replicas on one store: one reconciles at a time, or two would repair the same rows twice.
      if (this.store.reconcileTurn) {
        release = await this.store.reconcileTurn(actor === "periodic" ? 0 : (this.options.turnWaitMs ?? 10_000));
        if (!release) return this.skipped(report);
      }
      await this.drain.exclusive((claim) => this.outboxPart(report, dryRun, who, claim));
      await this.inboundPart(report, dryRun, who);
    } catch (err) {
      report.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.log.warn({ err: report.error }, "reconciliation failed");
    } finally {
      await release?.().catch((err: unknown) => this.log.warn({ err }, "reconciliation: giving back its turn failed"));
    }
    for (const k of MISMATCH_KINDS) {
      const c = report.kinds[k];
      c.left = c.found - c.repaired;
    }
    this.last = report;
    const found = MISMATCH_KINDS.reduce((n, k) => n + report.kinds[k].found, 0);
    if (found > 0 || report.error) {
      this.log.warn({ dry_run: dryRun, actor, ...Object.fromEntries(MISMATCH_KINDS.map((k) => [k, `${report.kinds[k].found} found, ${report.kinds[k].repaired} repaired`])), notes: report.notes }, "reconciliation found mismatches");
    } else this.log.debug({ dry_run: dryRun, actor }, "reconciliation: outbox and store agree");
    this.onReport(report);
    return report;
  }

  /**
   * Another replica was reconciling the shared store (and still was after the wait): this run
   * checked nothing. Said in the report it answers; the last report (status page, metrics)
   * stays this replica's last run that checked.
   */
  private skipped(report: ReconcileReport): ReconcileReport {
    if (report.actor === "periodic") {
      report.notes.push("skipped: another replica was reconciling the shared store; this round checked nothing");
      this.log.info("reconciliation skipped: another replica is reconciling the shared store");
    } else {
      report.error = "another replica is reconciling the shared store: nothing was checked, run again in a moment";
      this.log.warn("reconciliation asked for, skipped: another replica is reconciling the shared store");
    }
    return report;
  }

  private note(report: ReconcileReport, kind: MismatchKind, id: string): void {
    const c = report.kinds[kind];
    c.found++;
    if (c.sample.length < SAMPLE) c.sample.push(id);
  }

  private async outboxPart(report: ReconcileReport, dryRun: boolean, who: string, claim: () => Promise<boolean>): Promise<void> {
    const consumer = this.claimer.consumer;
    const leasedView = await this.outbox.reconcileView({ consumer, limit: 5000 });
    if (leasedView.leasedTruncated) report.notes.push("more than 5000 leased rows in Odoo: the rest is checked by the next run");
    const now = leasedView.now;
    const finished = await this.store.recentlyFinished(this.options.recentFinished ?? 5000);
    const rows = new Map<string, OutboxRowView>(leasedView.rows.map((r) => [r.eventId, r]));
    for (let i = 0; i < finished.length; i += VIEW_CHUNK) {
      const wanted = finished.slice(i, i + VIEW_CHUNK).map((f) => f.id).filter((id) => !rows.has(id));
      if (wanted.length === 0) continue;
      for (const r of (await this.outbox.reconcileView({ eventIds: wanted })).rows) rows.set(r.eventId, r);
    }
    const known = await this.store.eventStates([...rows.keys()]);

    const leasedUnknown: OutboxRowView[] = [];
    const expired: OutboxRowView[] = [];
    const rerecord: { row: OutboxRowView; kind: "finished_unrecorded" | "failed_delivered" }[] = [];
    for (const row of rows.values()) {
      const here = known.get(row.eventId);
      const finishedHere = here && !here.reportPending && (here.finalState === "delivered" || here.finalState === "dead") ? here.finalState : null;
      if (row.state === "leased") {
        if (!here) {
          if (row.leaseConsumer === consumer) {
            this.note(report, "leased_unknown", row.eventId);
            leasedUnknown.push(row);
          } else if ((row.leaseUntil ?? 0) < now) {
            this.note(report, "lease_expired", row.eventId);
            expired.push(row);
          }
        } else if (finishedHere) {
          this.note(report, "finished_unrecorded", row.eventId);
          rerecord.push({ row, kind: "finished_unrecorded" });
        } else if (!here.reportPending && (row.leaseUntil ?? 0) < now) {
          this.note(report, "lease_expired", row.eventId);
          expired.push(row);
        }
      } else if ((row.state === "failed" || row.state === "dead") && finishedHere === "delivered") {
        this.note(report, "failed_delivered", row.eventId);
        rerecord.push({ row, kind: "failed_delivered" });
      } else if (row.state === "failed" && finishedHere === "dead") {
        this.note(report, "finished_unrecorded", row.eventId);
        rerecord.push({ row, kind: "finished_unrecorded" });
      }
    }
    if (dryRun) return;

    if (rerecord.length > 0) await this.rerecord(report, rerecord, who);
    if (leasedUnknown.length > 0 || expired.length > 0) await this.reclaim(report, leasedUnknown, expired, claim, who);
  }

  /** Records again in Odoo the results Odoo lost; what Odoo takes is repaired. */
  private async rerecord(report: ReconcileReport, items: readonly { row: OutboxRowView; kind: "finished_unrecorded" | "failed_delivered" }[], who: string): Promise<void> {
    const byId = new Map(items.map((i) => [i.row.eventId, i]));
    const at = new Date().toISOString();
    const reports = await this.store.reportsFor([...byId.keys()]);
    for (let i = 0; i < reports.length; i += 1000) {
      const batch = reports.slice(i, i + 1000);
      const results: OutboxResult[] = batch.map((r) => ({
        event_id: r.id,
        state: r.state,
        partner: r.partner ? r.partner.slice(0, 64) : null,
        attempts: r.attempts,
        error: r.state === "delivered" || !r.error ? null : r.error.slice(0, 2000),
        at,
      }));
      const answer = await this.outbox.recordResults(results);
      const refused = new Set([...answer.unknown, ...answer.ignored]);
      for (const r of batch) {
        const item = byId.get(r.id)!;
        if (refused.has(r.id)) continue;
        report.kinds[item.kind].repaired++;
        await this.store.noteEvent(r.id, r.state, `re-recorded in Odoo as ${r.state}: Odoo showed it ${item.row.state}`, who);
      }
    }
  }

  /**
   * Claims again: a generation past the leases of rows the store lacks (they come back at
   * once), and expired leases in their turn. Then looks in Odoo and the store for what came back.
   */
  private async reclaim(report: ReconcileReport, unknown: readonly OutboxRowView[], expired: readonly OutboxRowView[], claim: () => Promise<boolean>, who: string): Promise<void> {
    const highest = Math.max(0, ...unknown.map((r) => r.leaseGeneration ?? 0));
    if (unknown.length > 0) this.claimer.advancePast(highest);
    const rounds = this.options.maxClaims ?? 20;
    for (let i = 0; i < rounds; i++) {
      const full = await claim();
      if (!full) break;
    }
    // claim() takes nothing while the backlog is full, and says so by `holding`.
    if (this.drain.holding) report.notes.push("claiming is paused (backlog full): leases cannot be taken back until the backlog drains");
    const ids = [...unknown, ...expired].map((r) => r.eventId);
    const now = new Map<string, OutboxRowView>();
    for (let i = 0; i < ids.length; i += VIEW_CHUNK) {
      const view = await this.outbox.reconcileView({ eventIds: ids.slice(i, i + VIEW_CHUNK) });
      for (const r of view.rows) now.set(r.eventId, r);
      // Judged by Odoo's clock of this very answer.
      for (const r of view.rows) if (r.state === "leased" && (r.leaseUntil ?? 0) < view.now) now.delete(r.eventId);
    }
    const stored = await this.store.eventStates(ids);
    const back = (r: OutboxRowView) => {
      const o = now.get(r.eventId);
      // Back in this replica's hands: in the store, and no longer an expired or foreign lease in Odoo.
      return stored.has(r.eventId) && (o === undefined || o.state !== "leased" || o.leaseConsumer === this.claimer.consumer);
    };
    for (const r of unknown) {
      if (!back(r)) continue;
      report.kinds.leased_unknown.repaired++;
      await this.store.noteEvent(r.eventId, "claimed", "leased to this sidecar in Odoo, unknown to its store: claimed again", who);
    }
    for (const r of expired) {
      if (!back(r)) continue;
      report.kinds.lease_expired.repaired++;
      await this.store.noteEvent(r.eventId, "claimed", `its lease ran out in Odoo (held by ${r.leaseConsumer ?? "no consumer"}) and nobody claimed it: claimed again`, who);
    }
  }

  private async inboundPart(report: ReconcileReport, dryRun: boolean, who: string): Promise<void> {
    if (!this.inbound) return;
    const now = Date.now();
    const stuck = await this.inbound.stuck(now - (this.options.inboundStuckMs ?? 15 * 60_000), 1000);
    for (const d of stuck) this.note(report, "inbound_stuck", String(d.id));
    if (dryRun || stuck.length === 0) return;
    const waiting = stuck.filter((d) => d.status === "pending").map((d) => d.id);
    report.kinds.inbound_stuck.repaired += await this.inbound.retryNow(waiting, who, "still waiting to be applied in Odoo: tried again now");
    this.inbound.wake();
  }
}
