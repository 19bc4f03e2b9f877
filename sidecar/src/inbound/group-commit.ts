import type { InboundStore, NewInboundDocument, ReceiveOutcome } from "../store/inbound.ts";

/**
 * Stores the documents of requests that arrive close together in one SQLite transaction (a
 * group commit): each request still gets its answer only after its document is committed,
 * but a busy endpoint does not pay one commit per request. A commit of one row costs several
 * times a row of a larger commit (the WAL frames of the table and of each index page are
 * written either way), so commits are spaced at least `minIntervalMs` apart: a document that
 * arrives after a quiet moment is committed at the end of its event-loop turn; one that
 * arrives less than `minIntervalMs` after the last commit waits (at most that long) for the
 * others arriving meanwhile.
 */
export class GroupCommit {
  private pending: { doc: NewInboundDocument; done: (err: unknown, outcome?: ReceiveOutcome) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private lastCommitAt = -Infinity;

  constructor(
    private readonly store: InboundStore,
    /** Shortest time between two commits; 0: every event-loop turn that received something commits. */
    private readonly minIntervalMs = 1,
    /** Most documents per transaction. */
    private readonly maxBatch = 256,
  ) {}

  /** Queues a document; `done` is called once its transaction committed (or failed). */
  take(doc: NewInboundDocument, done: (err: unknown, outcome?: ReceiveOutcome) => void): void {
    this.pending.push({ doc, done });
    if (this.pending.length >= this.maxBatch) this.flush();
    else if (!this.timer && !this.immediate) {
      const wait = this.lastCommitAt + this.minIntervalMs - performance.now();
      if (wait > 0) this.timer = setTimeout(this.flushNow, Math.ceil(wait));
      else this.immediate = setImmediate(this.flushNow);
    }
  }

  private readonly flushNow = () => this.flush();

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let outcomes: ReceiveOutcome[];
    try {
      outcomes = this.store.receive(batch.map((b) => b.doc));
    } catch (err) {
      for (const b of batch) {
        try {
          b.done(err);
        } catch (thrown) {
          queueMicrotask(() => {
            throw thrown;
          });
        }
      }
      return;
    } finally {
      this.lastCommitAt = performance.now();
    }
    for (let i = 0; i < batch.length; i++) {
      try {
        batch[i]!.done(null, outcomes[i]!);
      } catch (err) {
        // One caller's failure must not keep the others of the batch from their answers.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
