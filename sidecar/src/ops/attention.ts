import type { StoreDb } from "../store/db.ts";

export interface AttentionBounds {
  /** A confirmed PO delivered to its supplier longer ago than this with no acknowledgement received. */
  ackMs: number;
  /** A dispatched shipment told to its carrier longer ago than this with no tracking milestone received. */
  milestoneMs: number;
}

export interface Attention {
  bounds: { ack_s: number; milestone_s: number };
  po_unacknowledged: { total: number; by_partner: Record<string, number> };
  ack_changes_pending: { total: number; by_partner: Record<string, number> };
  shipments_without_milestone: { total: number; by_carrier: Record<string, number> };
  exceptions_open: { total: number; by_partner: Record<string, number> };
  backlog_by_carrier: Record<string, number>;
}

export function attentionOf(_db: StoreDb, bounds: AttentionBounds, _now: number): Attention {
  return {
    bounds: { ack_s: Math.round(bounds.ackMs / 1000), milestone_s: Math.round(bounds.milestoneMs / 1000) },
    po_unacknowledged: { total: 0, by_partner: {} },
    ack_changes_pending: { total: 0, by_partner: {} },
    shipments_without_milestone: { total: 0, by_carrier: {} },
    exceptions_open: { total: 0, by_partner: {} },
    backlog_by_carrier: {},
  };
}
