/**
 * Writes the items of callers that arrive close together in one transaction (a group
 * commit): each caller still hears back only after its item is committed, but a busy path
 * does not pay one commit per item. Used by the delivery outcomes and the inbound door; they
 * differ only in the options below.
 */
export interface GroupCommitOptions<T, R> {
  /**
   * Commits a batch in one transaction and returns one result per item, in order; throws (or
   * rejects) to fail the whole batch. A store on the network answers with a promise; batches
   * may then overlap (the next one is not held back while one is on the wire).
   */
  commit(items: readonly T[]): readonly R[] | Promise<readonly R[]>;
  /**
   * Shortest time between two commits. 0: the items of one event-loop turn commit at its end.
   * Above 0, an item arriving sooner after the last commit waits (at most that long) for the
   * others arriving meanwhile: a commit of one row costs several times a row of a larger one.
   */
  minIntervalMs?: number;
  /** Most items per transaction; a full batch commits at once. */
  maxBatch?: number;
  /** Called once per failed batch (before each caller hears the error), e.g. to log it once. */
  failed?(err: unknown, items: number): void;
}

export type Done<R> = (err: unknown, result?: R) => void;

export class GroupCommit<T, R> {
  private pending: { item: T; done: Done<R> }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private lastCommitAt = -Infinity;
  private readonly minIntervalMs: number;
  private readonly maxBatch: number;

  constructor(private readonly options: GroupCommitOptions<T, R>) {
    this.minIntervalMs = options.minIntervalMs ?? 0;
    this.maxBatch = options.maxBatch ?? Infinity;
  }

  /** Queues an item; `done` is called once its transaction committed (or failed). */
  take(item: T, done: Done<R>): void {
    this.pending.push({ item, done });
    if (this.pending.length >= this.maxBatch) this.flush();
    else if (!this.timer && !this.immediate) {
      const wait = this.lastCommitAt + this.minIntervalMs - performance.now();
      if (wait > 0) this.timer = setTimeout(this.flushNow, Math.ceil(wait));
      else this.immediate = setImmediate(this.flushNow);
    }
  }

  /** The promise form of `take`. */
  put(item: T): Promise<R> {
    return new Promise((resolve, reject) => this.take(item, (err, result) => (err ? reject(err) : resolve(result as R))));
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
    let results: readonly R[] | Promise<readonly R[]>;
    try {
      results = this.options.commit(batch.map((b) => b.item));
    } catch (err) {
      this.fail(batch, err);
      return;
    } finally {
      this.lastCommitAt = performance.now();
    }
    if (results instanceof Promise) results.then((r) => this.answerAll(batch, r), (err: unknown) => this.fail(batch, err));
    else this.answerAll(batch, results);
  }

  private answerAll(batch: readonly { done: Done<R> }[], results: readonly R[]): void {
    for (let i = 0; i < batch.length; i++) answer(batch[i]!.done, null, results[i]);
  }

  private fail(batch: readonly { done: Done<R> }[], err: unknown): void {
    this.options.failed?.(err, batch.length);
    for (const b of batch) answer(b.done, err);
  }
}

/** One caller's failure must not keep the others of the batch from their answers. */
function answer<R>(done: Done<R>, err: unknown, result?: R): void {
  try {
    done(err, result);
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown;
    });
  }
}
