import { and, asc, desc, eq, gte, inArray, lt, lte } from "drizzle-orm";
import type { Logger } from "pino";
import type { StoreDb } from "../store/db.ts";
import type { Pg } from "../store/pg/db.ts";
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

/** Which entries `list` answers, newest first. */
export interface AuditFilter {
  since?: number;
  action?: string;
  beforeId?: number;
}

/**
 * The audit trail of operators' actions: in the SQLite file (AuditLog) or, with several
 * replicas, in the shared PostgreSQL store (PgAuditLog), where every replica records and reads
 * one trail. Both keep `retentionMs` (pruned at start and then hourly) and scrub details of
 * every configured secret before they are written.
 */
export interface AuditTrail {
  record(actor: string, action: string, subject: string | null, detail: Record<string, unknown> | null, now?: number): void | Promise<void>;
  list(filter: AuditFilter, limit: number): AuditEntry[] | Promise<AuditEntry[]>;
  /** Entries about these subjects (partners) with one of these actions, between two times, oldest first. */
  forSubjects(subjects: readonly string[], actions: readonly string[], since: number, until: number, limit?: number): AuditEntry[] | Promise<AuditEntry[]>;
  prune(now?: number): number | Promise<number>;
  start(): void;
  stop(): void;
}

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  detail: string | null;
}

const entryOf = (r: AuditRow): AuditEntry => ({ id: r.id, at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, subject: r.subject, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null });

/** Pruning at start, then hourly; a failed prune (the shared store unreachable) is logged and tried again the next hour. */
class HourlyPrune {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly prune: () => number | Promise<number>,
    private readonly log?: Logger,
  ) {}

  start(): void {
    const once = () => {
      void (async () => this.prune())().catch((err: unknown) => this.log?.warn({ err }, "pruning the audit trail failed"));
    };
    once();
    this.timer = setInterval(once, 3_600_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** The audit trail in the SQLite store (table audit_log). */
export class AuditLog implements AuditTrail {
  private readonly pruning: HourlyPrune;

  constructor(
    private readonly db: StoreDb,
    private readonly retentionMs: number,
    private readonly secrets: readonly string[],
    log?: Logger,
  ) {
    this.pruning = new HourlyPrune(() => this.prune(), log);
  }

  record(actor: string, action: string, subject: string | null, detail: Record<string, unknown> | null, now = Date.now()): void {
    this.db
      .insert(auditLog)
      .values({ at: now, actor: scrub(actor, this.secrets), action, subject, detail: detail ? scrub(JSON.stringify(detail), this.secrets) : null })
      .run();
  }

  list(filter: AuditFilter, limit: number): AuditEntry[] {
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
      .map(entryOf);
  }

  forSubjects(subjects: readonly string[], actions: readonly string[], since: number, until: number, limit = 200): AuditEntry[] {
    if (subjects.length === 0 || actions.length === 0) return [];
    return this.db
      .select()
      .from(auditLog)
      .where(and(gte(auditLog.at, since), lte(auditLog.at, until), inArray(auditLog.subject, [...subjects]), inArray(auditLog.action, [...actions])))
      .orderBy(asc(auditLog.id))
      .limit(limit)
      .all()
      .map(entryOf);
  }

  prune(now = Date.now()): number {
    return this.db.delete(auditLog).where(lt(auditLog.at, now - this.retentionMs)).run().changes;
  }

  start(): void {
    this.pruning.start();
  }

  stop(): void {
    this.pruning.stop();
  }
}

/**
 * The audit trail in the shared PostgreSQL store (table audit_log): an action any replica
 * records is in every replica's `/admin/audit`, `odc audit` and event histories, once it
 * answered. Every replica prunes it hourly; deleting the same old rows twice is harmless.
 */
export class PgAuditLog implements AuditTrail {
  private readonly pruning: HourlyPrune;

  constructor(
    private readonly sql: Pg,
    private readonly retentionMs: number,
    private readonly secrets: readonly string[],
    log?: Logger,
  ) {
    this.pruning = new HourlyPrune(() => this.prune(), log);
  }

  async record(actor: string, action: string, subject: string | null, detail: Record<string, unknown> | null, now = Date.now()): Promise<void> {
    await this.sql`INSERT INTO audit_log (at, actor, action, subject, detail)
                   VALUES (${now}, ${scrub(actor, this.secrets)}, ${action}, ${subject}, ${detail ? scrub(JSON.stringify(detail), this.secrets) : null})`;
  }

  async list(filter: AuditFilter, limit: number): Promise<AuditEntry[]> {
    const sql = this.sql;
    const rows = await sql<AuditRow[]>`
      SELECT id, at, actor, action, subject, detail FROM audit_log
       WHERE true
         ${filter.since !== undefined ? sql`AND at >= ${filter.since}` : sql``}
         ${filter.action ? sql`AND action = ${filter.action}` : sql``}
         ${filter.beforeId !== undefined ? sql`AND id < ${filter.beforeId}` : sql``}
       ORDER BY id DESC LIMIT ${limit}`;
    return rows.map(entryOf);
  }

  async forSubjects(subjects: readonly string[], actions: readonly string[], since: number, until: number, limit = 200): Promise<AuditEntry[]> {
    if (subjects.length === 0 || actions.length === 0) return [];
    const rows = await this.sql<AuditRow[]>`
      SELECT id, at, actor, action, subject, detail FROM audit_log
       WHERE at >= ${since} AND at <= ${until} AND subject = ANY(${[...subjects]}::text[]) AND action = ANY(${[...actions]}::text[])
       ORDER BY id LIMIT ${limit}`;
    return rows.map(entryOf);
  }

  async prune(now = Date.now()): Promise<number> {
    return (await this.sql`DELETE FROM audit_log WHERE at < ${now - this.retentionMs}`).count;
  }

  start(): void {
    this.pruning.start();
  }

  stop(): void {
    this.pruning.stop();
  }
}
