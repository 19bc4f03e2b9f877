import { eq } from "drizzle-orm";
import type { StoreDb } from "../store/db.ts";
import type { Awaitable } from "./port.ts";
import { partnerPauses, type PartnerPauseRow } from "../store/schema.ts";

export interface PartnerPause {
  partner: string;
  pausedAt: number;
  pausedBy: string;
  reason: string | null;
}

/** Operators' pauses as the lanes and the admin API use them: in SQLite (PauseStore) or shared on PostgreSQL (PgPauses). */
export interface Pauses {
  isPaused(partner: string): boolean;
  get(partner: string): PartnerPause | undefined;
  all(): PartnerPause[];
  pause(partner: string, pausedBy: string, reason: string | null): Awaitable<boolean>;
  resume(partner: string): Awaitable<boolean>;
}

/**
 * Partners an operator paused, kept in the store (table partner_pauses), so a pause survives a
 * restart. Read once at start and kept in memory: the lanes ask on every pump.
 */
export class PauseStore implements Pauses {
  private readonly paused = new Map<string, PartnerPause>();

  constructor(private readonly db: StoreDb) {
    for (const r of db.select().from(partnerPauses).all()) this.paused.set(r.partner, toPause(r));
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

  /** Pauses a partner; false when it already was (the first pause's time and actor are kept). */
  pause(partner: string, pausedBy: string, reason: string | null, now = Date.now()): boolean {
    if (this.paused.has(partner)) return false;
    const row = { partner, pausedAt: now, pausedBy, reason };
    this.db.insert(partnerPauses).values(row).onConflictDoNothing().run();
    this.paused.set(partner, row);
    return true;
  }

  /** Resumes a partner; false when it was not paused. */
  resume(partner: string): boolean {
    const changes = this.db.delete(partnerPauses).where(eq(partnerPauses.partner, partner)).run().changes;
    return this.paused.delete(partner) || changes > 0;
  }
}

const toPause = (r: PartnerPauseRow): PartnerPause => ({ partner: r.partner, pausedAt: r.pausedAt, pausedBy: r.pausedBy, reason: r.reason });
