import type { CanonicalEvent, ClaimedEvent } from "../contracts/events.ts";
import type { AttemptRecord, DeadLetterFilter, DueDelivery, IngestOutcome, PendingReport, StoredEventState } from "./store.ts";
import type { DeliveryRow } from "../store/schema.ts";

/** A value, or a promise of it: the SQLite store answers at once, the PostgreSQL one later. */
export type Awaitable<T> = T | Promise<T>;

/**
 * What the delivery path (outbox drain, partner lanes, result reporter) needs of the store.
 * Two implementations: `DeliveryStore` (SQLite, synchronous inside: it answers with plain
 * values, which callers await like promises) and `PgDeliveryStore` (PostgreSQL, shared by
 * several replicas: `due` leases what it returns). Callers always `await` every call.
 */
export interface DeliveryPort {
  ingest(claimed: readonly ClaimedEvent[], route: (e: CanonicalEvent) => string[], routingCode: (e: CanonicalEvent) => string | null): Awaitable<IngestOutcome>;
  rejectInvalid(rejected: readonly { claimed: ClaimedEvent; reason: string }[]): Awaitable<void>;
  /**
   * Due deliveries of a partner, oldest first, in order per subject (see DeliveryStore.due).
   * On a shared store each row returned is leased to this replica until it is recorded, its
   * lease renewed meanwhile; `release` gives back those the caller did not attempt.
   */
  due(partner: string, now: number, limit: number, exclude?: ReadonlySet<number>, gapHoldMs?: number): Awaitable<DueDelivery[]>;
  /** Shortest time between two `due` calls of a lane after one that found less than it asked for (0 or unset: none). */
  readonly dueIntervalMs?: number;
  /** The caller is done with these deliveries (recorded or dropped unsent): their leases may lapse. */
  release?(ids: readonly number[]): void;
  pendingCount(): Awaitable<number>;
  previousDelivered(deliveryId: number): Awaitable<string | undefined>;
  nextDueAt(partner: string): Awaitable<number | null>;
  recordOutcomes(outcomes: readonly AttemptRecord[]): Awaitable<number>;
  pendingReports(limit: number): Awaitable<PendingReport[]>;
  markReported(reported: readonly { id: string; state: string }[]): Awaitable<void>;
  /** Deliveries per state and results waiting for Odoo (a shared store answers from a cache a few seconds old). */
  counts(): Record<string, number>;
}

/** Dead letters as the admin API lists and replays them (both stores). */
export interface DeadLetters {
  listDead(filter: DeadLetterFilter, limit?: number): Awaitable<(DeliveryRow & { eventType: string; subjectKey: string })[]>;
  replayDead(filter: DeadLetterFilter, now?: number, actor?: string): Awaitable<number>;
}

/**
 * What reconciliation (outbox/reconcile.ts) reads and writes in the store: both stores. On the
 * shared one every answer covers every replica's events (a row any replica finished is known).
 */
export interface ReconcileStore {
  /** The latest events finished (delivered or dead) and recorded in Odoo, newest first. */
  recentlyFinished(limit: number): Awaitable<{ id: string; state: "delivered" | "dead" }[]>;
  /** What the store holds of these events; events it lacks are absent from the map. */
  eventStates(eventIds: readonly string[]): Awaitable<Map<string, StoredEventState>>;
  /** The results to record in Odoo for these events, whatever their report flag. */
  reportsFor(eventIds: readonly string[]): Awaitable<PendingReport[]>;
  /** An event-level change in its history with no state of the store behind it (a repair in Odoo). */
  noteEvent(eventId: string, toState: string, cause: string, actor: string): Awaitable<void>;
  /**
   * A store several replicas share: one replica reconciles at a time. Resolves with the
   * release once this replica holds the turn, or null if another replica still held it after
   * `waitMs`. A store of one replica has no such method.
   */
  reconcileTurn?(waitMs: number): Promise<(() => Promise<void>) | null>;
}

/** Circuit breaker as a lane uses it: local (CircuitBreaker) or shared by replicas (PgPartnerState). */
export interface Breaker {
  readonly state: "closed" | "open" | "half_open";
  readonly reopensAt: number;
  tryAcquire(): Awaitable<boolean>;
  success(): void;
  failure(): void;
  neutral(): void;
}

/** Rate and concurrency gate of a lane: local (SlidingWindow) or shared by replicas. */
export interface RateGate {
  readonly requests: number;
  readonly perMs: number;
  acquire(): Promise<void>;
  release(): void;
  inUse(): number;
  close(): void;
}

/** Where a lane gets its gate and breaker: in-process by default, from the shared store with several replicas. */
export interface PartnerStateFactory {
  gate(partner: string, limits: { concurrency: number; rate: { requests: number; per_ms: number }; timeout_ms: number }): RateGate;
  breaker(partner: string, threshold: number, cooldownMs: number, probeMs: number): Breaker;
}
