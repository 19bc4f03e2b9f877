import type { ReceivedEvent } from "../simulator/partner.ts";

/** A later sequence of a subject accepted (for the first time) before an earlier one. */
export interface OrderViolation {
  subject: string;
  /** The sequence that came late... */
  sequence: number;
  /** ...after this higher sequence had already been delivered. */
  after: number;
}

/**
 * Order per subject among first deliveries: walking the accepted requests in arrival order
 * and keeping only the first acceptance of each event id, every subject's sequences must
 * increase. Redeliveries (same webhook-id again) are at-least-once, not disorder.
 */
export function orderViolations(accepted: readonly ReceivedEvent[]): OrderViolation[] {
  const seen = new Set<string>();
  const highest = new Map<string, number>();
  const out: OrderViolation[] = [];
  for (const e of accepted) {
    if (seen.has(e.webhookId)) continue;
    seen.add(e.webhookId);
    const top = highest.get(e.subject) ?? 0;
    if (e.sequence < top) out.push({ subject: e.subject, sequence: e.sequence, after: top });
    else highest.set(e.subject, e.sequence);
  }
  return out;
}

export interface AcceptedSummary {
  /** Requests accepted (204), duplicates included. */
  accepted: number;
  unique: number;
  /** Accepted requests beyond the first of their event id. */
  duplicates: number;
  /** Event ids accepted more than once. */
  duplicatedIds: number;
  /** Accepted requests whose body `id` is not their `webhook-id` header (must be 0: the key is stable). */
  idMismatches: number;
  orderViolations: number;
  orderViolationSample: OrderViolation[];
}

export function summarizeAccepted(accepted: readonly ReceivedEvent[]): AcceptedSummary {
  const counts = new Map<string, number>();
  let idMismatches = 0;
  for (const e of accepted) {
    counts.set(e.webhookId, (counts.get(e.webhookId) ?? 0) + 1);
    let id: unknown;
    try {
      id = (JSON.parse(e.body) as { id?: unknown }).id;
    } catch {
      id = undefined;
    }
    if (id !== e.webhookId) idMismatches++;
  }
  const violations = orderViolations(accepted);
  return {
    accepted: accepted.length,
    unique: counts.size,
    duplicates: accepted.length - counts.size,
    duplicatedIds: [...counts.values()].filter((n) => n > 1).length,
    idMismatches,
    orderViolations: violations.length,
    orderViolationSample: violations.slice(0, 10),
  };
}

/** Largest number of instants within any window of `windowMs` (`[t, t + windowMs)`), as PartnerReceiver.maxInWindow. */
export function maxInWindow(instants: readonly number[], windowMs: number): number {
  const sorted = [...instants].sort((a, b) => a - b);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}
