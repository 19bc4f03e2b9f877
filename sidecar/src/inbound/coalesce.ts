/**
 * Coalescing a burst of tracking updates for one shipment into the state changes Odoo needs.
 *
 * Carriers scan a parcel many times a day and aggregators post every scan. Odoo needs the
 * changes of state (in transit, out for delivery, delivered; each exception, which raises an
 * activity), not every "arrived at facility". Among the pending updates of one shipment:
 * sort them by when they happened (carriers post out of order), then keep only the last
 * update of each run with the same status. The latest update is therefore always kept, and
 * so is every change of status, in the order they happened; what is dropped is only a scan
 * that a later scan with the same status supersedes.
 *
 * Documents of other types (a booking) are barriers: updates are never moved across them.
 */
export interface CoalesceCandidate {
  id: number;
  type: string;
  eventId: string;
  /** Canonical shipment status for tracking updates, null for other types. */
  status: string | null;
  /** UTC ISO of when the partner says it happened, or null. */
  occurredAt: string | null;
  receivedAt: number;
}

export interface Coalesced<T extends CoalesceCandidate> {
  /** What to send, in order. */
  send: T[];
  /** What a later update supersedes: recorded as coalesced into that update's event. */
  superseded: { item: T; into: T }[];
}

const TRACKING = "carrier.tracking_updated";

function happenedAt(c: CoalesceCandidate): number {
  const t = c.occurredAt ? Date.parse(c.occurredAt) : NaN;
  return Number.isFinite(t) ? t : c.receivedAt;
}

function coalesceRun<T extends CoalesceCandidate>(run: T[], out: Coalesced<T>): void {
  const sorted = [...run].sort((a, b) => happenedAt(a) - happenedAt(b) || a.id - b.id);
  for (let i = 0; i < sorted.length; i++) {
    const item = sorted[i]!;
    const next = sorted[i + 1];
    if (next && next.status === item.status) {
      // The last of the run is the one kept; it supersedes every earlier one of the run.
      let last = i + 1;
      while (sorted[last + 1]?.status === item.status) last++;
      for (let j = i; j < last; j++) out.superseded.push({ item: sorted[j]!, into: sorted[last]! });
      out.send.push(sorted[last]!);
      i = last;
    } else {
      out.send.push(item);
    }
  }
}

/** Coalesces the pending documents of one subject (given in arrival order). */
export function coalesceSubject<T extends CoalesceCandidate>(pending: readonly T[]): Coalesced<T> {
  const out: Coalesced<T> = { send: [], superseded: [] };
  let run: T[] = [];
  for (const item of pending) {
    if (item.type === TRACKING) {
      run.push(item);
      continue;
    }
    coalesceRun(run, out);
    run = [];
    out.send.push(item);
  }
  coalesceRun(run, out);
  return out;
}
