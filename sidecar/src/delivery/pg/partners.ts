import type { Logger } from "pino";
import type { Breaker, PartnerStateFactory, RateGate } from "../port.ts";
import type { PartnerPause } from "../pause.ts";
import { DB_NOW, type Pg } from "../../store/pg/db.ts";

/** How long after its start a held slot stays counted if its replica dies without releasing it, beyond the request's timeout. */
const HOLD_MARGIN_MS = 5_000;
/** How often held slots are renewed, the breaker and the pauses re-read. */
const REFRESH_MS = 1_000;

interface Held {
  concurrency: number;
  rate: number;
}

/**
 * A partner's rate and concurrency limits shared by every replica (table partner_slots): each
 * request takes one `concurrency` row and one `rate` row whose free_at has passed, in one
 * statement (`FOR UPDATE SKIP LOCKED`: replicas never wait on each other, never take the same
 * row). While the request runs, both rows stay taken until start + timeout + a margin (+ the
 * window for `rate`), renewed while it lasts, so a replica killed mid-request keeps its share
 * counted; once answered, `concurrency` is free at once and `rate` one window after the
 * answer. So, whatever the number of replicas, the partner sees at most `concurrency`
 * requests in flight and at most `requests` in any window of `per_ms`, counted as the local
 * SlidingWindow counts them (lib/sliding-window.ts: from start until `per_ms` after the answer).
 */
class SharedGate implements RateGate {
  private readonly waiters: (() => void)[] = [];
  private readonly held: Held[] = [];
  private readonly releasing: Held[] = [];
  private taking = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private flushScheduled = false;
  private readonly holdMs: number;
  readonly requests: number;
  readonly perMs: number;

  constructor(
    private readonly sql: Pg,
    private readonly partner: string,
    private readonly replica: string,
    private readonly concurrency: number,
    rate: { requests: number; per_ms: number },
    timeoutMs: number,
    private readonly ready: Promise<void>,
    private readonly log: Logger,
  ) {
    this.requests = rate.requests;
    this.perMs = rate.per_ms;
    this.holdMs = timeoutMs + HOLD_MARGIN_MS;
  }

  inUse(): number {
    return this.held.length;
  }

  acquire(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      void this.take();
    });
  }

  release(): void {
    const h = this.held.pop();
    if (!h) return;
    this.releasing.push(h);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => void this.flushReleases());
    }
  }

  private async flushReleases(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.releasing.splice(0);
    if (batch.length === 0) return;
    try {
      // One UPDATE per kind, each on the primary key (partner, kind, slot): an OR of the two
      // let PostgreSQL scan every row of the partner, a large rate's tens of thousands.
      await this.sql`
        WITH c AS (UPDATE partner_slots SET free_at = 0, held_by = NULL
                    WHERE partner = ${this.partner} AND kind = 'concurrency' AND slot = ANY(${batch.map((h) => h.concurrency)}::int[]) AND held_by = ${this.replica}
                   RETURNING 1)
        UPDATE partner_slots SET free_at = ${this.sql.unsafe(DB_NOW)} + ${this.perMs}, held_by = NULL
         WHERE partner = ${this.partner} AND kind = 'rate' AND slot = ANY(${batch.map((h) => h.rate)}::int[]) AND held_by = ${this.replica}`;
    } catch (err) {
      // The rows free themselves when their hold runs out: only capacity is lost meanwhile.
      this.log.warn({ err, partner: this.partner }, "releasing rate slots failed");
    }
    if (this.waiters.length > 0) void this.take();
  }

  /** Extends the hold of slots whose requests are still running (called every second, on the keeper connection). */
  async renew(keeper: Pg): Promise<void> {
    if (this.held.length === 0) return;
    try {
      await keeper`
        UPDATE partner_slots SET free_at = greatest(free_at, ${keeper.unsafe(DB_NOW)} + ${this.holdMs} + CASE kind WHEN 'rate' THEN ${this.perMs}::bigint ELSE 0 END)
         WHERE partner = ${this.partner} AND held_by = ${this.replica}
           AND ((kind = 'concurrency' AND slot = ANY(${this.held.map((h) => h.concurrency)}::int[])) OR (kind = 'rate' AND slot = ANY(${this.held.map((h) => h.rate)}::int[])))`;
    } catch (err) {
      this.log.warn({ err, partner: this.partner }, "renewing rate slots failed");
    }
  }

  private async take(): Promise<void> {
    if (this.taking || this.closed) return;
    this.taking = true;
    try {
      await this.ready;
      while (this.waiters.length > 0 && !this.closed) {
        const want = Math.min(this.waiters.length, 64);
        const sql = this.sql;
        const got = await sql<{ kind: string; slot: number }[]>`
          -- The slots free longest first, on partner_slots_free_idx: the scan stops at the first
          -- ones it can take, however many places a large rate has in its window.
          WITH c AS (SELECT slot FROM partner_slots WHERE partner = ${this.partner} AND kind = 'concurrency' AND free_at <= ${sql.unsafe(DB_NOW)}
                      ORDER BY free_at LIMIT ${want} FOR UPDATE SKIP LOCKED),
               r AS (SELECT slot FROM partner_slots WHERE partner = ${this.partner} AND kind = 'rate' AND free_at <= ${sql.unsafe(DB_NOW)}
                      ORDER BY free_at LIMIT ${want} FOR UPDATE SKIP LOCKED),
               k AS (SELECT least((SELECT count(*) FROM c), (SELECT count(*) FROM r)) AS n),
               pick AS (SELECT 'concurrency' AS kind, slot FROM (SELECT slot FROM c ORDER BY slot LIMIT (SELECT n FROM k)) a
                        UNION ALL SELECT 'rate', slot FROM (SELECT slot FROM r ORDER BY slot LIMIT (SELECT n FROM k)) b)
          UPDATE partner_slots s SET held_by = ${this.replica},
                 free_at = ${sql.unsafe(DB_NOW)} + ${this.holdMs} + CASE s.kind WHEN 'rate' THEN ${this.perMs}::bigint ELSE 0 END
            FROM pick WHERE s.partner = ${this.partner} AND s.kind = pick.kind AND s.slot = pick.slot
          RETURNING s.kind, s.slot`;
        const cs = got.filter((g) => g.kind === "concurrency").map((g) => g.slot);
        const rs = got.filter((g) => g.kind === "rate").map((g) => g.slot);
        for (let i = 0; i < cs.length && i < rs.length; i++) {
          this.held.push({ concurrency: cs[i]!, rate: rs[i]! });
          this.waiters.shift()!();
        }
        if (cs.length < want) {
          // Nothing free now: look again shortly (a release of ours looks at once).
          if (!this.retryTimer) {
            this.retryTimer = setTimeout(() => {
              this.retryTimer = null;
              void this.take();
            }, 15);
            this.retryTimer.unref();
          }
          break;
        }
      }
    } catch (err) {
      this.log.warn({ err, partner: this.partner }, "taking rate slots failed");
      if (!this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          void this.take();
        }, 500);
        this.retryTimer.unref();
      }
    } finally {
      this.taking = false;
    }
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const w of this.waiters.splice(0)) w();
    // Slots still held are given back as their requests end (release), or run out.
  }

  /** Slots of the partner, as configured: the same partners file on every replica. */
  static async ensureSlots(sql: Pg, partner: string, concurrency: number, requests: number): Promise<void> {
    await sql`INSERT INTO partner_slots (partner, kind, slot) SELECT ${partner}, 'concurrency', g FROM generate_series(0, ${concurrency - 1}::int) g ON CONFLICT DO NOTHING`;
    await sql`INSERT INTO partner_slots (partner, kind, slot) SELECT ${partner}, 'rate', g FROM generate_series(0, ${requests - 1}::int) g ON CONFLICT DO NOTHING`;
    await sql`DELETE FROM partner_slots WHERE partner = ${partner} AND ((kind = 'concurrency' AND slot >= ${concurrency}) OR (kind = 'rate' AND slot >= ${requests}))`;
    // Statistics for the table just filled: without them PostgreSQL may take free slots and
    // give them back by scanning every row of a large rate (autovacuum's analyze comes later,
    // or never where it is off, as on this machine).
    await sql`ANALYZE partner_slots`;
  }
}

/**
 * A partner's circuit breaker shared by every replica (table partner_breakers). Each replica
 * keeps the state in memory, re-read every second, and writes what changes it: a retryable
 * failure (counted in the table, so every replica's failures add up; the last one opens the
 * circuit for all), a success or neutral answer after failures (closes it). When the cooldown
 * has passed exactly one replica wins the probe (a conditional update). Consecutive means
 * here: with no success seen by this replica within the last second.
 */
class SharedBreaker implements Breaker {
  private failures = 0;
  private openUntil = 0;
  private probing = false;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sql: Pg,
    private readonly partner: string,
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly probeMs: number,
    private readonly log: Logger,
  ) {}

  get state(): "closed" | "open" | "half_open" {
    if (this.failures < this.threshold) return "closed";
    return this.probing || Date.now() >= this.openUntil ? "half_open" : "open";
  }

  get reopensAt(): number {
    return this.openUntil;
  }

  async refresh(): Promise<void> {
    try {
      const [r] = await this.sql<{ failures: number; open_until: number }[]>`SELECT failures, open_until FROM partner_breakers WHERE partner = ${this.partner}`;
      this.failures = r?.failures ?? 0;
      this.openUntil = r?.open_until ?? 0;
    } catch (err) {
      this.log.debug({ err, partner: this.partner }, "reading the shared breaker failed");
    }
  }

  private write(fn: () => Promise<unknown>): void {
    this.writes = this.writes.then(fn).catch((err: unknown) => this.log.warn({ err, partner: this.partner }, "writing the shared breaker failed"));
  }

  async tryAcquire(now = Date.now()): Promise<boolean> {
    if (this.failures < this.threshold) return true;
    if (now < this.openUntil || this.probing) return false;
    try {
      const won = await this.sql`
        UPDATE partner_breakers SET probe_until = ${now + this.probeMs}
         WHERE partner = ${this.partner} AND failures >= ${this.threshold} AND open_until <= ${now} AND probe_until <= ${now}`;
      if (won.count > 0) {
        this.probing = true;
        return true;
      }
    } catch (err) {
      this.log.warn({ err, partner: this.partner }, "taking the breaker's probe failed");
    }
    await this.refresh();
    return this.failures < this.threshold;
  }

  success(): void {
    if (this.failures === 0 && !this.probing) return;
    this.failures = 0;
    this.probing = false;
    this.write(() => this.sql`UPDATE partner_breakers SET failures = 0, probe_until = 0 WHERE partner = ${this.partner}`);
  }

  neutral(): void {
    this.success();
  }

  failure(now = Date.now()): void {
    this.failures++;
    this.probing = false;
    if (this.failures >= this.threshold) this.openUntil = now + this.cooldownMs;
    this.write(async () => {
      const [r] = await this.sql<{ failures: number; open_until: number }[]>`
        INSERT INTO partner_breakers (partner, failures, open_until) VALUES (${this.partner}, 1, CASE WHEN ${this.threshold} <= 1 THEN ${now + this.cooldownMs}::bigint ELSE 0 END)
        ON CONFLICT (partner) DO UPDATE SET failures = partner_breakers.failures + 1, probe_until = 0,
          open_until = CASE WHEN partner_breakers.failures + 1 >= ${this.threshold} THEN ${now + this.cooldownMs}::bigint ELSE partner_breakers.open_until END
        RETURNING failures, open_until`;
      if (r) {
        this.failures = r.failures;
        this.openUntil = r.open_until;
      }
    });
  }
}

/** The lanes' shared state on PostgreSQL: gates and breakers per partner, refreshed every second. */
export class PgPartnerState implements PartnerStateFactory {
  private readonly gates: SharedGate[] = [];
  private readonly breakers: SharedBreaker[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sql: Pg,
    private readonly replica: string,
    private readonly log: Logger,
    /** The connection holds are renewed through (see PgDeliveryStoreOptions.keeper). */
    private readonly keeper: Pg = sql,
  ) {
    this.timer = setInterval(() => {
      for (const g of this.gates) void g.renew(this.keeper);
      for (const b of this.breakers) void b.refresh();
    }, REFRESH_MS);
    this.timer.unref();
  }

  gate(partner: string, limits: { concurrency: number; rate: { requests: number; per_ms: number }; timeout_ms: number }): RateGate {
    const ready = SharedGate.ensureSlots(this.sql, partner, limits.concurrency, limits.rate.requests);
    ready.catch((err: unknown) => this.log.error({ err, partner }, "creating the partner's rate slots failed"));
    const g = new SharedGate(this.sql, partner, this.replica, limits.concurrency, limits.rate, limits.timeout_ms, ready, this.log);
    this.gates.push(g);
    return g;
  }

  breaker(partner: string, threshold: number, cooldownMs: number, probeMs: number): Breaker {
    const b = new SharedBreaker(this.sql, partner, threshold, cooldownMs, probeMs, this.log);
    void b.refresh();
    this.breakers.push(b);
    return b;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * Operators' pauses on PostgreSQL: written at once, read by every replica from a copy re-read
 * every second (a pause reaches the other replicas' lanes within a second; requests they
 * already started finish).
 */
export class PgPauses {
  private paused = new Map<string, PartnerPause>();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly sql: Pg,
    private readonly log: Logger,
    private readonly changed: (partner: string, paused: boolean) => void,
  ) {
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  static async open(sql: Pg, log: Logger, changed: (partner: string, paused: boolean) => void = () => {}): Promise<PgPauses> {
    const p = new PgPauses(sql, log, changed);
    await p.refresh();
    return p;
  }

  async refresh(): Promise<void> {
    try {
      const rows = await this.sql<{ partner: string; paused_at: number; paused_by: string; reason: string | null }[]>`SELECT partner, paused_at, paused_by, reason FROM partner_pauses`;
      const next = new Map(rows.map((r) => [r.partner, { partner: r.partner, pausedAt: r.paused_at, pausedBy: r.paused_by, reason: r.reason }]));
      for (const code of this.paused.keys()) if (!next.has(code)) this.changed(code, false);
      this.paused = next;
    } catch (err) {
      this.log.debug({ err }, "reading pauses failed");
    }
  }

  isPaused(partner: string): boolean {
    return this.paused.has(partner);
  }

  get(partner: string): PartnerPause | undefined {
    return this.paused.get(partner);
  }

  all(): PartnerPause[] {
    return [...this.paused.values()];
  }

  async pause(partner: string, pausedBy: string, reason: string | null, now = Date.now()): Promise<boolean> {
    const r = await this.sql`INSERT INTO partner_pauses (partner, paused_at, paused_by, reason) VALUES (${partner}, ${now}, ${pausedBy}, ${reason}) ON CONFLICT DO NOTHING`;
    await this.refresh();
    return r.count > 0;
  }

  async resume(partner: string): Promise<boolean> {
    const r = await this.sql`DELETE FROM partner_pauses WHERE partner = ${partner}`;
    const was = this.paused.delete(partner);
    return was || r.count > 0;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
