import { describe, expect, it } from "vitest";
import { openStore, type StoreDb } from "../store/db.ts";
import { attentionOf } from "./attention.ts";

const H = 3_600_000;
const NOW = Date.parse("2026-12-03T12:00:00Z");
let n = 0;

function event(db: StoreDb, type: string, subject: string, sequence: number, data: Record<string, unknown>, receivedAt: number, routing: string | null = null): string {
  const id = `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
  const [model, ref] = subject.split("/");
  db.$client
    .prepare(`INSERT INTO events (id, outbox_id, type, subject_key, sequence, routing_code, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(id, n, type, `${model}:${ref}`, sequence, routing, JSON.stringify({ id, type, subject: { model, id: n, ref }, sequence, data }), receivedAt);
  return id;
}
function delivery(db: StoreDb, eventId: string, partner: string, state: string, at: number): void {
  db.$client
    .prepare(`INSERT INTO deliveries (event_id, partner, subject_key, sequence, state, next_attempt_at, created_at, delivered_at) VALUES (?, ?, 'x', 1, ?, ?, ?, ?)`)
    .run(eventId, partner, state, at, at, state === "delivered" ? at : null);
}
function inbound(db: StoreDb, partner: string, type: string, subjectRef: string, status: string, receivedAt: number, data: Record<string, unknown> = {}): void {
  db.$client
    .prepare(
      `INSERT INTO inbound_documents (partner, type, message_id, message_id_source, format, subject_ref, subject_key, body, body_sha256, verification, verification_key, received_at, last_received_at, status, next_attempt_at, event)
       VALUES (?, ?, ?, 'partner', 'canonical', ?, ?, x'00', 'h', 'standard_webhooks', 0, ?, ?, ?, ?, ?)`,
    )
    .run(partner, type, `m${++n}`, subjectRef, `${partner}|${subjectRef}`, receivedAt, receivedAt, status, receivedAt, JSON.stringify({ type, subject_ref: subjectRef, data }));
}

describe("business attention from the sidecar's store", () => {
  it("counts unacknowledged POs past the bound, unaccepted changes, shipments without milestones, exceptions and carrier backlog", () => {
    const db = openStore(":memory:");
    const bounds = { ackMs: 24 * H, milestoneMs: 48 * H };
    // PO 1: delivered 30 h ago, never acknowledged -> counts.
    delivery(db, event(db, "purchase_order.confirmed", "purchase.order/P1", 1, {}, NOW - 30 * H), "WOODCORNER", "delivered", NOW - 30 * H);
    // PO 2: delivered 30 h ago, acknowledged -> not counted.
    delivery(db, event(db, "purchase_order.confirmed", "purchase.order/P2", 1, {}, NOW - 30 * H), "WOODCORNER", "delivered", NOW - 30 * H);
    inbound(db, "WOODCORNER", "supplier.order_acknowledged", "P2", "applied", NOW - 20 * H, { status: "partially_accepted" });
    // PO 3: delivered 2 h ago -> inside the bound.
    delivery(db, event(db, "purchase_order.confirmed", "purchase.order/P3", 1, {}, NOW - 2 * H), "WOODCORNER", "delivered", NOW - 2 * H);
    // PO 4: delivered long ago but cancelled since -> not counted.
    delivery(db, event(db, "purchase_order.confirmed", "purchase.order/P4", 1, {}, NOW - 50 * H), "ACME", "delivered", NOW - 50 * H);
    event(db, "purchase_order.cancelled", "purchase.order/P4", 2, {}, NOW - 40 * H);
    // PO 5: still pending delivery -> not an acknowledgement question yet.
    delivery(db, event(db, "purchase_order.confirmed", "purchase.order/P5", 1, {}, NOW - 50 * H), "ACME", "pending", NOW - 50 * H);
    // PO 6: acknowledged with changes, then Odoo sent a change (the buyer accepted) -> not pending.
    delivery(db, event(db, "purchase_order.confirmed", "purchase.order/P6", 1, {}, NOW - 50 * H), "ACME", "delivered", NOW - 50 * H);
    inbound(db, "ACME", "supplier.order_acknowledged", "P6", "applied", NOW - 40 * H, { status: "changed" });
    event(db, "purchase_order.changed", "purchase.order/P6", 2, {}, NOW - 30 * H);
    // PO 7: acknowledged accepted -> no changes to accept.
    inbound(db, "ACME", "supplier.order_acknowledged", "P7", "applied", NOW - 40 * H, { status: "accepted" });

    // Shipments: S1 dispatched 50 h ago without milestone (counts), S2 with one, S3 too recent.
    event(db, "shipment.dispatched", "stock.picking/S1", 2, { tracking_ref: "T1", carrier: { partner_code: "DHL" } }, NOW - 50 * H, "DHL");
    event(db, "shipment.dispatched", "stock.picking/S2", 2, { tracking_ref: "T2", carrier: { partner_code: "DHL" } }, NOW - 50 * H, "DHL");
    inbound(db, "EASYPOST", "carrier.tracking_updated", "T2", "applied", NOW - 45 * H);
    event(db, "shipment.dispatched", "stock.picking/S3", 2, { tracking_ref: "T3", carrier: { partner_code: "UPS" } }, NOW - 1 * H, "UPS");
    // Backlog: a pending shipment.ready for UPS.
    delivery(db, event(db, "shipment.ready", "stock.picking/S4", 1, {}, NOW - H, "UPS"), "UPSHOOK", "pending", NOW - H);
    inbound(db, "WOODCORNER", "supplier.shipment_noticed", "ASN1", "exception", NOW - H);
    inbound(db, "WOODCORNER", "supplier.shipment_noticed", "ASN2", "applied", NOW - H);

    const a = attentionOf(db, bounds, NOW);
    expect(a.bounds).toEqual({ ack_s: 86_400, milestone_s: 172_800, by_partner: {} });
    expect(a.po_unacknowledged).toEqual({ total: 1, by_partner: { WOODCORNER: 1 } });
    expect(a.ack_changes_pending).toEqual({ total: 1, by_partner: { WOODCORNER: 1 } });
    expect(a.shipments_without_milestone).toEqual({ total: 1, by_carrier: { DHL: 1 } });
    expect(a.exceptions_open).toEqual({ total: 1, by_partner: { WOODCORNER: 1 } });
    expect(a.backlog_by_carrier).toEqual({ UPS: 1 });

    // A later acknowledgement that accepts everything clears P2's pending changes.
    inbound(db, "WOODCORNER", "supplier.order_acknowledged", "P2", "applied", NOW - 10 * H, { status: "accepted" });
    expect(attentionOf(db, bounds, NOW).ack_changes_pending.total).toBe(0);
    db.$client.close();
  });

  it("applies a partner's own bounds over the defaults, to that partner only", () => {
    const db = openStore(":memory:");
    // Two suppliers' POs delivered 2 h ago and a carrier's shipments dispatched 3 h ago: inside the defaults.
    delivery(db, event(db, "purchase_order.confirmed", "purchase.order/Q1", 1, {}, NOW - 2 * H), "FAST", "delivered", NOW - 2 * H);
    delivery(db, event(db, "purchase_order.confirmed", "purchase.order/Q2", 1, {}, NOW - 2 * H), "SLOW", "delivered", NOW - 2 * H);
    event(db, "shipment.dispatched", "stock.picking/T1", 2, { tracking_ref: "X1", carrier: { partner_code: "UPS" } }, NOW - 3 * H, "UPS");
    event(db, "shipment.dispatched", "stock.picking/T2", 2, { tracking_ref: "X2", carrier: { partner_code: "DHL" } }, NOW - 3 * H);
    const defaults = { ackMs: 24 * H, milestoneMs: 48 * H };
    expect(attentionOf(db, defaults, NOW).po_unacknowledged.total).toBe(0);
    expect(attentionOf(db, defaults, NOW).shipments_without_milestone.total).toBe(0);

    // FAST must answer within the hour; DHL (matched on the carrier code the payload carries) must scan within 2 h.
    const own = { ...defaults, byPartner: { FAST: { ackMs: H }, DHL: { milestoneMs: 2 * H }, SLOW: { milestoneMs: H } } };
    const a = attentionOf(db, own, NOW);
    expect(a.po_unacknowledged).toEqual({ total: 1, by_partner: { FAST: 1 } });
    expect(a.shipments_without_milestone).toEqual({ total: 1, by_carrier: { DHL: 1 } });
    expect(a.bounds.by_partner).toEqual({ FAST: { ack_s: 3600 }, DHL: { milestone_s: 7200 }, SLOW: { milestone_s: 3600 } });
    // A partner code that looks like SQL is only a key.
    expect(attentionOf(db, { ...defaults, byPartner: { "x' OR 1=1 --": { ackMs: 1 } } }, NOW).po_unacknowledged.total).toBe(0);
    db.$client.close();
  });
});
