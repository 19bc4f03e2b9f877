import type { PartnerFault } from "../simulator/partner.ts";

/**
 * A seeded fault schedule for a partner receiver: the fate of the n-th request is a pure
 * function of (seed, n), so a run is reproducible from its seed whatever order concurrent
 * requests happen to arrive in, and a failing seed can be replayed.
 */

export type FaultKind = "http_500" | "http_502" | "http_503" | "http_429" | "timeout" | "reset" | "slow_error" | "slow_accept";

/** Faults that fail the attempt (everything but `slow_accept`, which ends in a 204). */
export const FAILING_KINDS: readonly FaultKind[] = ["http_500", "http_502", "http_503", "http_429", "timeout", "reset", "slow_error"];

export interface FaultScheduleOptions {
  seed: number;
  /** Probability that a request fails (any failing kind), 0..1. */
  rate: number;
  /** Probability that a request not failed is accepted but answered late, 0..1. */
  slowRate?: number;
  /** Relative weights of the failing kinds; missing kinds weigh 0, default all 1. */
  weights?: Partial<Record<FaultKind, number>>;
  /** Largest Retry-After sent with a 429 (whole seconds, 0..max). */
  retryAfterMaxS?: number;
  /** How long a `timeout` hangs before the connection is dropped: longer than the sidecar's timeout. */
  hangMs?: number;
  /** Upper bound of a late answer (`slow_accept`, `slow_error`): shorter than the sidecar's timeout. */
  slowMaxMs?: number;
}

export interface FaultDecision {
  kind: FaultKind | null;
  fault: PartnerFault | null;
}

/** splitmix32-style integer hash: uniform 32-bit output from a 32-bit input. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The i-th uniform number in [0, 1) of the stream for request n. */
export function uniform(seed: number, n: number, i: number): number {
  return mix32(mix32(mix32(seed) ^ n) ^ Math.imul(i + 1, 0x27d4eb2d)) / 4294967296;
}

/** A small seeded PRNG (mulberry32) for schedules that are not per request (kill times, seeds). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultSchedule {
  /** Faults handed out so far, by kind (what the partner injected, to compare with what the sidecar recorded). */
  readonly injected: Record<FaultKind, number> = { http_500: 0, http_502: 0, http_503: 0, http_429: 0, timeout: 0, reset: 0, slow_error: 0, slow_accept: 0 };
  private readonly kinds: { kind: FaultKind; weight: number }[];
  private readonly totalWeight: number;

  constructor(readonly options: FaultScheduleOptions) {
    if (options.rate < 0 || options.rate > 1) throw new RangeError("rate must be within 0..1");
    this.kinds = FAILING_KINDS.map((kind) => ({ kind, weight: options.weights ? (options.weights[kind] ?? 0) : 1 })).filter((k) => k.weight > 0);
    this.totalWeight = this.kinds.reduce((s, k) => s + k.weight, 0);
    if (options.rate > 0 && this.totalWeight <= 0) throw new RangeError("weights leave no failing kind");
  }

  /** The fate of request n: pure, does not count. */
  decide(n: number): FaultDecision {
    const { seed, rate, slowRate = 0, retryAfterMaxS = 1, hangMs = 1_000, slowMaxMs = 100 } = this.options;
    const u = (i: number) => uniform(seed, n, i);
    if (u(0) < rate) {
      let pick = u(1) * this.totalWeight;
      let kind = this.kinds[this.kinds.length - 1]!.kind;
      for (const k of this.kinds) {
        if (pick < k.weight) {
          kind = k.kind;
          break;
        }
        pick -= k.weight;
      }
      const late = Math.floor(u(2) * slowMaxMs);
      switch (kind) {
        case "http_500":
        case "http_502":
        case "http_503":
          return { kind, fault: { status: Number(kind.slice(5)), body: `injected ${kind} #${n}` } };
        case "http_429":
          return { kind, fault: { status: 429, headers: { "retry-after": String(Math.floor(u(3) * (retryAfterMaxS + 1))) }, body: `slow down #${n}` } };
        case "timeout":
          return { kind, fault: { hangMs } };
        case "reset":
          return { kind, fault: { reset: true } };
        case "slow_error":
          return { kind, fault: { status: 503, delayMs: late, body: `injected late 503 #${n}` } };
        default:
          break;
      }
    }
    if (u(4) < slowRate) return { kind: "slow_accept", fault: { acceptAfterMs: Math.floor(u(5) * slowMaxMs) } };
    return { kind: null, fault: null };
  }

  /** The receiver's `fault` callback: decides and counts. */
  readonly fault = (n: number): PartnerFault | null => {
    const { kind, fault } = this.decide(n);
    if (kind) this.injected[kind]++;
    return fault;
  };

  /** Failing faults injected so far. */
  get failures(): number {
    return FAILING_KINDS.reduce((s, k) => s + this.injected[k], 0);
  }
}

/** The error class the sidecar must record for an injected kind (sidecar/src/delivery/attempt.ts). */
export function expectedErrorClass(kind: FaultKind): string | null {
  switch (kind) {
    case "http_500":
    case "http_502":
    case "http_503":
    case "slow_error":
      return "http_5xx";
    case "http_429":
      return "http_retryable_4xx";
    case "timeout":
      return "timeout";
    case "reset":
      return "network";
    case "slow_accept":
      return null;
  }
}
