import type { Logger } from "pino";
import type { Awaitable, EventHistory } from "../delivery/index.ts";
import { scrubDeep } from "../lib/secrets.ts";
import type { AuditTrail } from "./audit.ts";

/** One state change as the admin API and `odc history` show it. */
export interface HistoryEntry {
  at: string;
  /** event (towards Odoo), delivery (to one partner), partner (paused, resumed), document (inbound). */
  scope: "event" | "delivery" | "partner" | "document";
  delivery_id: number | null;
  partner: string | null;
  from: string | null;
  to: string;
  cause: string | null;
  actor: string;
  attempts: number | null;
  next_attempt_at: string | null;
}

export interface EventHistoryView {
  event: { id: string; outbox_id: number; type: string; subject: string; sequence: number; claimed_at: string; final_state: string | null; final_error: string | null; result_waiting_for_odoo: boolean; recorded_in_odoo_at: string | null };
  deliveries: { delivery_id: number; partner: string; state: string; attempts: number; next_attempt_at: string | null; last_error: string | null; delivered_at: string | null }[];
  history: HistoryEntry[];
}

/** An inbound document and its state changes, as the inbound store gives them. */
export interface DocumentHistorySource {
  document: { id: number; partner: string; type: string; status: string; eventId: string | null; subjectRef: string | null; receivedAt: number; receipts: number; attempts: number; detail: string | null };
  transitions: { at: number; fromState: string | null; toState: string; cause: string | null; actor: string; attempts: number | null; nextAttemptAt: number | null }[];
}

export interface DocumentHistoryView {
  document: { document_id: number; partner: string; type: string; status: string; event_id: string | null; subject_ref: string | null; received_at: string; receipts: number; attempts: number; detail: string | null };
  history: HistoryEntry[];
}

/** Where histories are read from (the stores, wired by the composition root). */
export interface HistorySource {
  /** The shared store's history when there is one (every replica's changes), else the SQLite file's. */
  event(id: string): Awaitable<EventHistory | undefined>;
  document(id: number): DocumentHistorySource | undefined;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/**
 * An event's history: its claim from Odoo, every change of each delivery (attempts with the
 * partner's answer and the next attempt, delivered, dead, replayed by whom), its result
 * recorded in Odoo, repairs by reconciliation, and the pauses of its partners meanwhile (from
 * the audit trail). Scrubbed of every configured secret.
 */
export async function eventHistoryView(source: HistorySource, audit: AuditTrail | undefined, id: string, secrets: readonly string[], now = Date.now()): Promise<EventHistoryView | undefined> {
  const h = await source.event(id);
  if (!h) return undefined;
  const e = h.event;
  const entries: (HistoryEntry & { ms: number; order: number })[] = [
    { ms: e.receivedAt, order: 0, at: iso(e.receivedAt)!, scope: "event", delivery_id: null, partner: null, from: null, to: "claimed", cause: `claimed from Odoo's outbox (row ${e.outboxId})${h.deliveries.length ? `; ${h.deliveries.length} deliver${h.deliveries.length === 1 ? "y" : "ies"}: ${h.deliveries.map((d) => d.partner).join(", ")}` : "; no partner subscribed"}`, actor: "sidecar", attempts: null, next_attempt_at: null },
  ];
  for (const t of h.transitions) {
    entries.push({ ms: t.at, order: t.id, at: iso(t.at)!, scope: t.deliveryId === null ? "event" : "delivery", delivery_id: t.deliveryId, partner: t.partner, from: t.fromState, to: t.toState, cause: t.cause, actor: t.actor, attempts: t.attempts, next_attempt_at: iso(t.nextAttemptAt) });
  }
  const partners = [...new Set(h.deliveries.map((d) => d.partner))];
  if (audit && partners.length > 0) {
    const until = h.deliveries.some((d) => d.state === "pending") ? now : Math.max(e.receivedAt, ...h.transitions.map((t) => t.at));
    for (const a of await audit.forSubjects(partners, ["partner.pause", "partner.resume"], e.receivedAt, until)) {
      const detail = (a.detail ?? {}) as { reason?: string | null };
      entries.push({ ms: Date.parse(a.at), order: Number.MAX_SAFE_INTEGER, at: a.at, scope: "partner", delivery_id: null, partner: a.subject, from: a.action === "partner.pause" ? "active" : "paused", to: a.action === "partner.pause" ? "paused" : "active", cause: detail.reason ? `operator: ${detail.reason}` : "operator", actor: a.actor, attempts: null, next_attempt_at: null });
    }
  }
  entries.sort((a, b) => a.ms - b.ms || a.order - b.order);
  return scrubDeep(
    {
      event: { id: e.id, outbox_id: e.outboxId, type: e.type, subject: e.subjectKey, sequence: e.sequence, claimed_at: iso(e.receivedAt)!, final_state: e.finalState, final_error: e.finalError, result_waiting_for_odoo: e.reportPending, recorded_in_odoo_at: iso(e.reportedAt) },
      deliveries: h.deliveries.map((d) => ({ delivery_id: d.id, partner: d.partner, state: d.state, attempts: d.attempts, next_attempt_at: d.state === "pending" ? iso(d.nextAttemptAt) : null, last_error: d.lastError, delivered_at: iso(d.deliveredAt) })),
      history: entries.map(({ ms: _ms, order: _order, ...rest }) => rest),
    },
    secrets,
  );
}

/** An inbound document's history: received (how many times), decoded, each try in Odoo, Odoo's outcome. */
export function documentHistoryView(source: HistorySource, id: number, secrets: readonly string[]): DocumentHistoryView | undefined {
  const h = source.document(id);
  if (!h) return undefined;
  const d = h.document;
  const history: HistoryEntry[] = [
    {
      at: iso(d.receivedAt)!,
      scope: "document",
      delivery_id: null,
      partner: d.partner,
      from: null,
      to: h.transitions[0]?.fromState ?? d.status,
      cause: `received from ${d.partner}${d.receipts > 1 ? ` (sent ${d.receipts} times; later copies counted, not applied)` : ""}`,
      actor: `partner ${d.partner}`,
      attempts: null,
      next_attempt_at: null,
    },
    ...h.transitions.map((t): HistoryEntry => ({ at: iso(t.at)!, scope: "document", delivery_id: null, partner: d.partner, from: t.fromState, to: t.toState, cause: t.cause, actor: t.actor, attempts: t.attempts, next_attempt_at: iso(t.nextAttemptAt) })),
  ];
  return scrubDeep(
    {
      document: { document_id: d.id, partner: d.partner, type: d.type, status: d.status, event_id: d.eventId, subject_ref: d.subjectRef, received_at: iso(d.receivedAt)!, receipts: d.receipts, attempts: d.attempts, detail: d.detail },
      history,
    },
    secrets,
  );
}

/** Deletes the state changes older than `before` from one store; how many it deleted (the shared store answers later). */
export type PruneHistory = (before: number) => Awaitable<number>;

/** Keeps the state changes `retentionMs` (pruned at start, then hourly); dead letters' and quarantined documents' until resolved. */
export class HistoryRetention {
  private timer: NodeJS.Timeout | null = null;
  private previous: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly prune: readonly PruneHistory[],
    private readonly retentionMs: number,
    private readonly log?: Logger,
  ) {}

  /**
   * Prunes every store, one after the other; one that fails (the shared store unreachable) is
   * logged and does not keep the others from pruning. A call while one runs starts after it.
   */
  pruneNow(now = Date.now()): Promise<number> {
    const run = this.previous.then(async () => {
      let total = 0;
      for (const p of this.prune) {
        try {
          total += await p(now - this.retentionMs);
        } catch (err) {
          this.log?.warn({ err }, "pruning the history failed");
        }
      }
      return total;
    });
    this.previous = run;
    return run;
  }

  start(): void {
    void this.pruneNow();
    this.timer = setInterval(() => void this.pruneNow(), 3_600_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
