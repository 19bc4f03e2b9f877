import { EventEmitter } from "node:events";

/** How often the deadlines of requests in flight are checked: a request times out at most this late. */
const SWEEP_MS = 20;

/** The error a request that ran out of time ends with (the name AbortSignal.timeout gives it). */
class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/**
 * One request's deadline, in the shape undici takes as `signal` (an EventEmitter with
 * `aborted` and `reason`). AbortSignal.timeout costs a timer, an EventTarget and a weak
 * reference per request (bench/README.md, "Where the time goes in immediate mode"); these
 * share one timer that looks at the requests in flight every SWEEP_MS.
 */
export class Deadline extends EventEmitter {
  aborted = false;
  reason: Error | undefined;

  constructor(readonly at: number) {
    super();
  }

  /** The request is over (answered or failed): its deadline no longer matters. */
  done(): void {
    live.delete(this);
    if (live.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  expire(): void {
    live.delete(this);
    this.aborted = true;
    this.reason = new TimeoutError("The operation was aborted due to timeout");
    this.emit("abort");
  }
}

const live = new Set<Deadline>();
let timer: NodeJS.Timeout | null = null;

function sweep(): void {
  const now = Date.now();
  for (const d of live) if (d.at <= now) d.expire();
  if (live.size === 0 && timer) {
    clearInterval(timer);
    timer = null;
  }
}

/** A deadline `ms` from now, watched until `done()` or until it expires. */
export function deadline(ms: number): Deadline {
  const d = new Deadline(Date.now() + ms);
  live.add(d);
  if (!timer) {
    timer = setInterval(sweep, SWEEP_MS);
    timer.unref();
  }
  return d;
}

/** Deadlines being watched (tests). */
export const watchedDeadlines = (): number => live.size;
