import type { InboundStore, NewInboundDocument, ReceiveOutcome } from "../store/inbound.ts";

/**
 * Stores the documents of requests that arrive close together in one SQLite transaction (a
 * group commit): each request still gets its answer only after its document is committed,
 * but a busy endpoint pays one commit per event-loop turn (or per `windowMs`), not one per
 * request. A commit of one row costs several times a row of a larger commit (the WAL
 * frames of the table and each index page are written either way); under load the requests
 * parsed in one turn of the event loop share a commit by themselves.
 */
export class GroupCommit {
  private pending: { doc: NewInboundDocument; resolve: (o: ReceiveOutcome) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    private readonly store: InboundStore,
    /** Longest a document waits for others before its commit. 0: commit at the end of the event-loop turn. */
    private readonly windowMs = 0,
    /** Most documents per transaction. */
    private readonly maxBatch = 256,
  ) {}

  receive(doc: NewInboundDocument): Promise<ReceiveOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ doc, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.timer && !this.immediate) {
        if (this.windowMs > 0) this.timer = setTimeout(() => this.flush(), this.windowMs);
        else this.immediate = setImmediate(() => this.flush());
      }
    });
  }

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
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => b.resolve(outcomes[i]!));
  }
}
