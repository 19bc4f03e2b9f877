import type { LaneStatus, PartnerPause } from "../delivery/index.ts";
import type { PartnerActivity } from "./activity.ts";
import type { Attention } from "./attention.ts";
import { scrubDeep } from "../lib/secrets.ts";
import type { ReconcileReport } from "../outbox/index.ts";

/** What the status model is gathered from: all of it already in the sidecar. */
export interface StatusSources {
  /** Counts, ages and attention from the store: the replica's SQLite file, or the shared PostgreSQL store (all replicas). */
  store: StatusStore;
  /** Configured partners (outbound ones have a lane). */
  partners: readonly { code: string; name?: string | undefined; format: string; outbound: boolean }[];
  lanes(): Record<string, LaneStatus>;
  pause(partner: string): PartnerPause | undefined;
  activity: PartnerActivity;
  sidecar(): { started_at: number; claiming: string };
  odoo(): { claim_error: string | null; last_claim_at: number | null; report_error: string | null; inbound_error: string | null };
  inbound(): { documents: Record<string, number>; last_error: string | null; last_applied_at: string | null };
  /** The last reconciliation run, if any since the start. */
  reconcile?(): ReconcileReport | null;
  /** Configured secret values, scrubbed from the whole document. */
  secrets: readonly string[];
}

export interface PartnerStatus {
  code: string;
  name: string | null;
  format: string;
  outbound: boolean;
  circuit: string | null;
  paused: boolean;
  paused_at: string | null;
  paused_by: string | null;
  pause_reason: string | null;
  disabled: string | null;
  in_flight: number;
  rate: { in_use: number; requests: number; per_ms: number } | null;
  deliveries: { pending: number; delivered: number; dead: number };
  oldest_pending_at: string | null;
  oldest_pending_age_s: number | null;
  last_success_at: string | null;
  last_error_at: string | null;
  last_error_class: string | null;
  last_error: string | null;
  /** ok | paused | circuit_open | disabled | failing | backlog */
  health: string;
}

export interface StatusDocument {
  generated_at: string;
  ok: boolean;
  sidecar: { uptime_s: number; claiming: string };
  odoo: { reachable: boolean; last_error: string | null; last_claim_at: string | null; report_error: string | null; inbound_error: string | null };
  deliveries: { pending: number; delivered: number; dead: number; report_pending: number; oldest_pending_age_s: number | null };
  partners: PartnerStatus[];
  inbound: { waiting: number; quarantined: number; exceptions: number; by_status: Record<string, number>; last_error: string | null; last_applied_at: string | null };
  attention: Attention;
  /** Where the counts above come from: this replica's SQLite file, or the shared PostgreSQL store (every replica), as of when it was last read. */
  store: { kind: "sqlite" | "postgresql"; as_of: string | null; error: string | null };
  /** The last reconciliation of Odoo's outbox with the store (null before the first run). */
  reconcile: { ran_at: string; dry_run: boolean; actor: string; error: string | null; notes: string[]; left: number; kinds: Record<string, { found: number; repaired: number; left: number }> } | null;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const ageS = (ms: number | null, now: number) => (ms === null ? null : Math.max(0, Math.round((now - ms) / 1000)));

/** One partner's deliveries as the store counts them. */
export interface PartnerSummary {
  partner: string;
  pending: number;
  delivered: number;
  dead: number;
  /** created_at of the oldest pending delivery (epoch ms). */
  oldest: number | null;
  last_success: number | null;
  /** The last error the store kept (a delivery still failing or dead), for after a restart. */
  last_error_class: string | null;
  last_error: string | null;
}

/** What the status model reads from the store. */
export interface StoreSummary {
  partners: PartnerSummary[];
  reportPending: number;
  attention: Attention;
  /** When it was read (epoch ms; a shared store answers from a cache refreshed in the background), null: not read yet. */
  asOf: number | null;
  /** Why the last refresh failed (the figures are then as of `asOf`), null when it did not. */
  error: string | null;
}

/**
 * Where the status model's counts come from: one implementation per store dialect
 * (ops/status-sqlite.ts: this replica's file, at each call; ops/status-pg.ts: every replica
 * on the shared store, from a summary a few seconds old). Synchronous: status is read often.
 */
export interface StatusStore {
  readonly kind: "sqlite" | "postgresql";
  summary(now: number): StoreSummary;
  /** Background refresh of a cached summary, started and stopped with the sidecar. */
  start?(): void;
  stop?(): void;
}

/**
 * The one status model: what `GET /admin/status`, `odc status` and the status page show. Read
 * from the store (counts, ages, last results that survive a restart), the lanes (circuit,
 * in flight, rate in use, pause), the drain and reporter (Odoo), and the inbound side.
 */
export function gatherStatus(s: StatusSources, now = Date.now()): StatusDocument {
  const summary = s.store.summary(now);
  const rows = summary.partners;
  const byPartner = new Map(rows.map((r) => [r.partner, r]));
  const reportPending = summary.reportPending;
  const lanes = s.lanes();
  const codes = [...new Set([...s.partners.map((p) => p.code), ...rows.map((r) => r.partner)])];
  const partners = codes.map((code): PartnerStatus => {
    const cfg = s.partners.find((p) => p.code === code);
    const lane = lanes[code];
    const r = byPartner.get(code);
    const a = s.activity.get(code);
    const pause = s.pause(code);
    const lastErrorClass = a?.lastErrorClass ?? r?.last_error_class ?? null;
    const lastError = a?.lastError ?? r?.last_error ?? null;
    const oldest = r?.oldest ?? null;
    const lastSuccess = Math.max(a?.lastSuccessAt ?? 0, r?.last_success ?? 0) || null;
    const failing = a?.lastErrorAt != null && (a.lastSuccessAt ?? 0) < a.lastErrorAt;
    const health = lane?.disabled ? "disabled" : pause ? "paused" : lane && lane.circuit !== "closed" ? "circuit_open" : failing ? "failing" : "ok";
    return {
      code,
      name: cfg?.name ?? null,
      format: cfg?.format ?? "(not configured)",
      outbound: cfg?.outbound ?? false,
      circuit: lane?.circuit ?? null,
      paused: pause !== undefined,
      paused_at: iso(pause?.pausedAt),
      paused_by: pause?.pausedBy ?? null,
      pause_reason: pause?.reason ?? null,
      disabled: lane?.disabled ?? null,
      in_flight: lane?.in_flight ?? 0,
      rate: lane?.rate ?? null,
      deliveries: { pending: r?.pending ?? 0, delivered: r?.delivered ?? 0, dead: r?.dead ?? 0 },
      oldest_pending_at: iso(oldest),
      oldest_pending_age_s: ageS(oldest, now),
      last_success_at: iso(lastSuccess),
      last_error_at: iso(a?.lastErrorAt),
      last_error_class: lastErrorClass,
      last_error: lastError,
      health,
    };
  });
  const total = { pending: 0, delivered: 0, dead: 0 };
  let oldestAll: number | null = null;
  for (const r of rows) {
    total.pending += r.pending;
    total.delivered += r.delivered;
    total.dead += r.dead;
    if (r.oldest !== null && (oldestAll === null || r.oldest < oldestAll)) oldestAll = r.oldest;
  }
  const odoo = s.odoo();
  const inbound = s.inbound();
  const docs = inbound.documents;
  const n = (k: string) => docs[k] ?? 0;
  const sidecar = s.sidecar();
  const reachable = odoo.claim_error === null;
  const last = s.reconcile?.() ?? null;
  const reconcile = last
    ? {
        ran_at: last.ran_at,
        dry_run: last.dry_run,
        actor: last.actor,
        error: last.error,
        notes: last.notes,
        left: Object.values(last.kinds).reduce((n, k) => n + k.left, 0),
        kinds: Object.fromEntries(Object.entries(last.kinds).map(([k, v]) => [k, { found: v.found, repaired: v.repaired, left: v.left }])),
      }
    : null;
  const doc: StatusDocument = {
    generated_at: iso(now)!,
    // Mismatches reconciliation could not repair need a person.
    ok: reachable && partners.every((p) => p.health === "ok" || p.health === "paused") && (reconcile?.left ?? 0) === 0,
    sidecar: { uptime_s: Math.round((now - sidecar.started_at) / 1000), claiming: sidecar.claiming },
    odoo: { reachable, last_error: odoo.claim_error ?? odoo.report_error ?? odoo.inbound_error, last_claim_at: iso(odoo.last_claim_at), report_error: odoo.report_error, inbound_error: odoo.inbound_error },
    deliveries: { ...total, report_pending: reportPending, oldest_pending_age_s: ageS(oldestAll, now) },
    partners,
    inbound: {
      waiting: n("received") + n("pending"),
      quarantined: n("unknown_reference") + n("rejected"),
      exceptions: n("exception"),
      by_status: docs,
      last_error: inbound.last_error,
      last_applied_at: inbound.last_applied_at,
    },
    attention: summary.attention,
    store: { kind: s.store.kind, as_of: iso(summary.asOf), error: summary.error },
    reconcile,
  };
  return scrubDeep(doc, s.secrets);
}
