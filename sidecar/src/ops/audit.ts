import { and, asc, desc, eq, gte, inArray, lt, lte } from "drizzle-orm";
import type { StoreDb } from "../store/db.ts";
import { auditLog } from "../store/schema.ts";
import { scrub } from "../lib/secrets.ts";

/** What the audit trail records: operators' actions through the admin API. */
export const AUDIT_ACTIONS = ["partner.pause", "partner.resume", "dead_letters.replay", "outbox.reconcile"] as const;

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  detail: unknown;
}

/**
 * The audit trail of operators' actions, in the store (table audit_log), kept `retentionMs`
 * (pruned at start and then hourly). Details are scrubbed of every configured secret.
 */
export class AuditLog {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: StoreDb,
    private readonly retentionMs: number,
    private readonly secrets: readonly string[],
  ) {}

  record(actor: string, action: string, subject: string | null, detail: Record<string, unknown> | null, now = Date.now()): void {
    this.db
      .insert(auditLog)
      .values({ at: now, actor: scrub(actor, this.secrets), action, subject, detail: detail ? scrub(JSON.stringify(detail), this.secrets) : null })
      .run();
  }

  list(filter: { since?: number; action?: string; beforeId?: number }, limit: number): AuditEntry[] {
    const c = [];
    if (filter.since !== undefined) c.push(gte(auditLog.at, filter.since));
    if (filter.action) c.push(eq(auditLog.action, filter.action));
    if (filter.beforeId !== undefined) c.push(lt(auditLog.id, filter.beforeId));
    return this.db
      .select()
      .from(auditLog)
      .where(c.length ? and(...c) : undefined)
      .orderBy(desc(auditLog.id))
      .limit(limit)
      .all()
      .map((r) => ({ id: r.id, at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, subject: r.subject, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null }));
  }

  /** Entries about these subjects (partners) with one of these actions, between two times, oldest first. */
  forSubjects(subjects: readonly string[], actions: readonly string[], since: number, until: number, limit = 200): AuditEntry[] {
    if (subjects.length === 0 || actions.length === 0) return [];
    return this.db
      .select()
      .from(auditLog)
      .where(and(gte(auditLog.at, since), lte(auditLog.at, until), inArray(auditLog.subject, [...subjects]), inArray(auditLog.action, [...actions])))
      .orderBy(asc(auditLog.id))
      .limit(limit)
      .all()
      .map((r) => ({ id: r.id, at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, subject: r.subject, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null }));
  }

  prune(now = Date.now()): number {
    return this.db.delete(auditLog).where(lt(auditLog.at, now - this.retentionMs)).run().changes;
  }

  start(): void {
    this.prune();
    this.timer = setInterval(() => this.prune(), 3_600_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
