import type { InboundStore, NewInboundDocument, ReceiveOutcome } from "../store/inbound.ts";

/**
 * Stores the documents of requests that arrive close together in one SQLite transaction (a
 * group commit): each request still gets its answer only after its document is committed,
 * but a busy endpoint pays one commit per event-loop turn, not one per request.
 */
export class GroupCommit {
  private pending: { doc: NewInboundDocument; resolve: (o: ReceiveOutcome) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly store: InboundStore,
    /** Most documents per transaction. */
    private readonly maxBatch = 256,
  ) {}

  receive(doc: NewInboundDocument): Promise<ReceiveOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ doc, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
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
