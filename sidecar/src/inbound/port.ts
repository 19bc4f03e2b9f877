import type { Awaitable } from "../delivery/index.ts";
import type {
  DecodedDocument,
  InboundDecision,
  InboundListFilter,
  InboundListRow,
  InboundTransition,
  NewInboundDocument,
  PendingInbound,
  ReceivedInbound,
  ReceiveOutcome,
  StuckInbound,
} from "./store.ts";

/**
 * What the inbound side (the door, the decode stage, the apply worker, the admin routes, the
 * document history and reconciliation) needs of its store. Two implementations:
 * `InboundStore` (SQLite, one replica: synchronous inside, it answers with plain values that
 * callers await like promises) and `PgInboundStore` (PostgreSQL, shared by several replicas:
 * `received`, `due` and `pendingOfSubject` lease what they return to this replica, and the
 * outcomes are recorded only for rows this replica still holds). Callers `await` every call
 * except the synchronous counters.
 */
export interface InboundPort {
  /** Stores and deduplicates documents on (partner, message scope, message id), one outcome per document, in order. */
  receive(documents: readonly NewInboundDocument[]): Awaitable<ReceiveOutcome[]>;
  /** About how many documents wait to be decoded (the door's backlog bound; a shared store answers from a recent count). */
  receivedCount(): number;
  /** Carrier webhooks waiting to be decoded, oldest first (a shared store leases them to this replica). */
  received(limit: number): Awaitable<ReceivedInbound[]>;
  /** What decoding found; returns the documents merged into an earlier one with the same key. */
  decoded(documents: readonly DecodedDocument[], now?: number): Awaitable<{ id: number; into: number }[]>;
  /** Due documents, oldest first, in order per subject, leaving out `busySubjects`. */
  due(now: number, limit: number, busySubjects?: readonly string[]): Awaitable<PendingInbound[]>;
  /** Every pending document of a subject (tracking bursts are coalesced whole). */
  pendingOfSubject(subjectKey: string, limit: number): Awaitable<PendingInbound[]>;
  /** When the worker should look again (epoch ms, this replica's clock), or null when nothing waits. */
  nextDueAt(): Awaitable<number | null>;
  decide(decisions: readonly InboundDecision[], coalesced: readonly { id: number; into: string }[], now?: number): Awaitable<void>;
  postpone(ids: readonly number[], next: number, error: string, now?: number): Awaitable<void>;
  /** The worker took these from `due`/`pendingOfSubject` but sends none of them now: their leases may go. */
  release?(ids: readonly number[]): Awaitable<void>;
  /**
   * Shortest wait of the worker's timer. A shared store sets it: documents other replicas
   * hold, or received there, are found by looking again, not by a wake-up.
   */
  readonly pollFloorMs?: number;
  stuck(receivedBefore: number, limit: number): Awaitable<StuckInbound[]>;
  retryNow(ids: readonly number[], actor: string, cause: string, now?: number): Awaitable<number>;
  history(id: number): Awaitable<InboundTransition[]>;
  document(id: number): Awaitable<InboundListRow | undefined>;
  pruneTransitions(before: number, batch?: number): Awaitable<number>;
  /** Documents per status (a shared store answers from a count a few seconds old). */
  counts(): Record<string, number>;
  body(id: number): Awaitable<{ body: Buffer; contentType: string | null } | undefined>;
  list(filter: InboundListFilter, limit?: number): Awaitable<InboundListRow[]>;
  /** Stops background work and gives back the leases still held. */
  close?(): Promise<void>;
}
