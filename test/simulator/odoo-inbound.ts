import { checkEvent } from "../../sidecar/src/contracts/validate.ts";
import { INBOUND_SUBJECT_MODEL } from "../../sidecar/src/partners/events/envelope.ts";
import type { PartnerPeriod, PartnerTime } from "../../sidecar/src/partners/events/partner-time.ts";
import type { CarrierShipmentBooked, CarrierTrackingUpdated, InboundEventType, SupplierOrderAcknowledged, SupplierShipmentNoticed } from "../../sidecar/src/partners/events/inbound.ts";

/**
 * The addon's `connector.inbound.apply_events` as contracts/odoo-rpc.md ("Intent methods")
 * describes it, for the simulator: idempotent per event id (every event kept, a repeat answers
 * the stored outcome with duplicate: true), each event reconciled on its own against the
 * record's current state (nothing changes for an event that is not applied), one outcome per
 * event in the order sent. Purchase orders come from the simulator; receipts and delivery
 * orders (pickings) and activities live here.
 */

export interface SimPoLineState {
  line_number: number;
  quantity: number;
  received: number;
  promised_date: string | null;
  backordered: number;
  backorder_date: string | null;
}

export interface SimPoAckState {
  supplier_status: "acknowledged" | "accepted" | "rejected" | "changed" | "exception" | null;
  ack_version: number | null;
  ack_issued_at: string | null;
  promised_date: string | null;
}

export interface SimPicking {
  id: number;
  name: string;
  kind: "incoming" | "outgoing";
  po_id: number | null;
  /** Partner code of the carrier of a delivery order. */
  carrier_code: string | null;
  state: "assigned" | "done" | "cancel";
  scheduled_date: string | null;
  carrier_tracking_ref: string | null;
  label_url: string | null;
  carrier_status: string | null;
  /** occurred_at of the tracking update that set carrier_status. */
  carrier_status_at: string | null;
  last_milestone: string | null;
  estimated_delivery: string | null;
  /** What the supplier's ship notice announced for this receipt. */
  expected: { line_number: number | null; quantity: number; uom: string; lots: string[] }[] | null;
  asn_shipment_id: string | null;
  notes: string[];
}

export interface SimActivity {
  model: string;
  id: number;
  ref: string;
  summary: string;
}

export interface SimInboundAnswer {
  event_id: string;
  outcome: "applied" | "stale" | "exception" | "unknown_reference" | "rejected";
  duplicate: boolean;
  detail: string;
  record: { model: string; id: number; ref: string } | null;
}

export interface SimInboundRow extends SimInboundAnswer {
  partner: string | null;
  type: string | null;
  subject_ref: string | null;
  payload: unknown;
  at: string;
}

/** What the simulator's purchase side gives this model. */
export interface SimPurchaseSide {
  orders: Map<number, { id: number; name: string; vendor_id: number; state: string; lines: { line_number: number | null; quantity: number; uom: string }[] }>;
  vendors: Map<number, { id: number; partner_code: string | null }>;
}

export class CallError extends Error {}

const TYPES: readonly InboundEventType[] = ["supplier.order_acknowledged", "supplier.shipment_noticed", "supplier.document_status", "carrier.shipment_booked", "carrier.tracking_updated"];
const FORMATS = ["cxml", "ubl", "easypost", "shippo", "aftership", "shipengine", "canonical"];
const KEYS = new Set(["event_id", "type", "partner", "format", "test_mode", "received_at", "occurred_at", "subject_ref", "data"]);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const TERMINAL = new Set(["delivered", "returned", "cancelled"]);

class Outcome extends Error {
  constructor(
    readonly outcome: SimInboundAnswer["outcome"],
    readonly detail: string,
    readonly record: SimInboundAnswer["record"] = null,
    /** What an exception still records (a supplier status), after everything else was rolled back. */
    readonly keep?: () => void,
  ) {
    super(detail);
  }
}

type Item = { event_id: string; type: InboundEventType; partner: string; format: string; test_mode: boolean; received_at: string; occurred_at: string; subject_ref: string; data: Record<string, unknown> };

function timeOf(t: PartnerTime | null | undefined): string | null {
  if (!t) return null;
  return t.utc ?? t.local;
}
function periodStart(p: PartnerPeriod | null | undefined): string | null {
  return p ? (timeOf(p.start) ?? timeOf(p.end)) : null;
}
const clone = <T>(v: T): T => structuredClone(v);

export class SimInbound {
  readonly pickings = new Map<number, SimPicking>();
  readonly activities: SimActivity[] = [];
  /** connector.inbound rows, by event id (lower case). */
  readonly rows = new Map<string, SimInboundRow>();
  readonly poAck = new Map<number, SimPoAckState>();
  readonly poLines = new Map<number, Map<number, SimPoLineState>>();
  readonly chatter: { model: string; id: number; body: string }[] = [];
  /** Partner codes configured as test partners (their test-mode documents are applied). */
  readonly testPartners = new Set<string>();
  /** Ship notices applied, by `<partner>|<shipment_id>`: the pickings' state before, to revert. */
  private readonly notices = new Map<string, { noticeDate: string | null; before: SimPicking[] }>();
  private nextPickingId = 1;
  private outSeq = 1;
  private inSeq = 1;
  /** Every apply_events call, as received (for tests of order and coalescing). */
  readonly calls: Item[][] = [];

  constructor(private readonly purchase: SimPurchaseSide) {}

  // ---- business side -------------------------------------------------------------------

  /** The PO's receipt (created with the order's confirmation in Odoo; lazily here). */
  receiptOf(poId: number): SimPicking {
    for (const p of this.pickings.values()) if (p.kind === "incoming" && p.po_id === poId && p.state !== "cancel") return p;
    const picking = this.newPicking("incoming", `WH/IN/${String(this.inSeq++).padStart(5, "0")}`, { po_id: poId });
    return picking;
  }

  /** A delivery order shipped with the carrier whose partner code is `carrierCode`. */
  addDeliveryOrder(carrierCode: string, options: { tracking?: string; name?: string } = {}): SimPicking {
    return this.newPicking("outgoing", options.name ?? `WH/OUT/${String(this.outSeq++).padStart(5, "0")}`, { carrier_code: carrierCode, carrier_tracking_ref: options.tracking ?? null });
  }

  /** Goods received on a PO line (after which the supplier cannot change its quantity any more). */
  receive(poId: number, lineNumber: number, quantity: number): void {
    this.lineStates(poId).get(lineNumber)!.received += quantity;
  }

  lineStates(poId: number): Map<number, SimPoLineState> {
    let lines = this.poLines.get(poId);
    if (!lines) {
      const po = this.purchase.orders.get(poId)!;
      lines = new Map();
      for (const l of po.lines) if (l.line_number !== null) lines.set(l.line_number, { line_number: l.line_number, quantity: l.quantity, received: 0, promised_date: null, backordered: 0, backorder_date: null });
      this.poLines.set(poId, lines);
    }
    return lines;
  }

  ackState(poId: number): SimPoAckState {
    let s = this.poAck.get(poId);
    if (!s) this.poAck.set(poId, (s = { supplier_status: null, ack_version: null, ack_issued_at: null, promised_date: null }));
    return s;
  }

  /** Everything an inbound event may change, for "nothing changed" checks. */
  snapshot(): string {
    return JSON.stringify({
      orders: [...this.purchase.orders.values()].map((o) => ({ id: o.id, state: o.state, lines: o.lines })),
      pickings: [...this.pickings.values()],
      activities: this.activities,
      acks: [...this.poAck.entries()],
      lines: [...this.poLines.entries()].map(([k, v]) => [k, [...v.values()]]),
      chatter: this.chatter.length,
    });
  }

  private newPicking(kind: SimPicking["kind"], name: string, over: Partial<SimPicking>): SimPicking {
    const p: SimPicking = {
      id: this.nextPickingId++,
      name,
      kind,
      po_id: null,
      carrier_code: null,
      state: "assigned",
      scheduled_date: null,
      carrier_tracking_ref: null,
      label_url: null,
      carrier_status: null,
      carrier_status_at: null,
      last_milestone: null,
      estimated_delivery: null,
      expected: null,
      asn_shipment_id: null,
      notes: [],
      ...over,
    };
    this.pickings.set(p.id, p);
    return p;
  }

  // ---- connector.inbound.apply_events ----------------------------------------------------

  applyEvents(events: unknown): SimInboundAnswer[] {
    if (!Array.isArray(events)) throw new CallError("events must be a list");
    if (events.length > 200) throw new CallError("at most 200 events per call");
    events.forEach((e, i) => {
      if (typeof e !== "object" || e === null || Array.isArray(e)) throw new CallError(`events[${i}] must be an object`);
    });
    this.calls.push(events as Item[]);
    return events.map((e) => this.applyOne(e as Record<string, unknown>));
  }

  private applyOne(raw: Record<string, unknown>): SimInboundAnswer {
    const eventId = typeof raw.event_id === "string" ? raw.event_id.toLowerCase() : String(raw.event_id);
    const known = this.rows.get(eventId);
    if (known) return { event_id: eventId, outcome: known.outcome, duplicate: true, detail: known.detail, record: known.record };
    let answer: SimInboundAnswer;
    const problem = this.malformed(raw);
    if (problem) answer = { event_id: eventId, outcome: "rejected", duplicate: false, detail: problem, record: null };
    else {
      const item = raw as Item;
      // Savepoint: snapshot the state an event may touch, restore it unless applied.
      const saved = this.saveState();
      try {
        if (item.test_mode && !this.testPartners.has(item.partner)) throw new Outcome("rejected", `test-mode document from ${item.partner}, which is not a test partner`);
        answer = { event_id: eventId, outcome: "applied", duplicate: false, ...this.apply(item) };
      } catch (err) {
        if (!(err instanceof Outcome)) throw err;
        // exception keeps only its activity and note; every other outcome changes nothing.
        const activities = this.activities.slice(saved.activities);
        const notes = this.chatter.slice(saved.chatter);
        this.restoreState(saved);
        if (err.outcome === "exception") {
          this.activities.push(...activities);
          this.chatter.push(...notes);
          err.keep?.();
        }
        answer = { event_id: eventId, outcome: err.outcome, duplicate: false, detail: err.detail, record: err.record };
      }
    }
    if (UUID_RE.test(eventId)) {
      this.rows.set(eventId, {
        ...answer,
        partner: typeof raw.partner === "string" ? raw.partner : null,
        type: typeof raw.type === "string" ? raw.type : null,
        subject_ref: typeof raw.subject_ref === "string" ? raw.subject_ref : null,
        payload: raw,
        at: new Date().toISOString(),
      });
    }
    return answer;
  }

  private malformed(e: Record<string, unknown>): string | null {
    const extra = Object.keys(e).filter((k) => !KEYS.has(k));
    if (extra.length) return `unknown keys ${extra.sort().join(", ")}`;
    if (typeof e.event_id !== "string" || !UUID_RE.test(e.event_id)) return "event_id must be a UUID";
    if (typeof e.type !== "string" || !TYPES.includes(e.type as InboundEventType)) return `type must be one of ${TYPES.join(", ")}`;
    if (typeof e.partner !== "string" || e.partner.length < 1 || e.partner.length > 64) return "partner must be a string of 1 to 64 characters";
    if (typeof e.format !== "string" || !FORMATS.includes(e.format)) return `format must be one of ${FORMATS.join(", ")}`;
    if (typeof e.test_mode !== "boolean") return "test_mode must be a boolean";
    for (const k of ["received_at", "occurred_at"] as const) if (typeof e[k] !== "string" || !UTC_RE.test(e[k] as string)) return `${k} must be a UTC ISO 8601 datetime ending in Z`;
    if (typeof e.subject_ref !== "string" || e.subject_ref.length < 1 || e.subject_ref.length > 256) return "subject_ref must be a string of 1 to 256 characters";
    if (typeof e.data !== "object" || e.data === null || Array.isArray(e.data)) return "data must be an object";
    const type = e.type as InboundEventType;
    const check = checkEvent({
      id: e.event_id,
      type,
      version: 1,
      occurred_at: e.occurred_at,
      source: { system: "partner", database: e.partner, company: { id: 1, name: e.partner } },
      subject: { model: INBOUND_SUBJECT_MODEL[type], id: 1, ref: e.subject_ref },
      sequence: 1,
      data: e.data,
    });
    return check.ok ? null : `data does not match ${type}: ${check.reason}`;
  }

  private saveState() {
    return {
      pickings: clone([...this.pickings.entries()]),
      poAck: clone([...this.poAck.entries()]),
      poLines: clone([...this.poLines.entries()].map(([k, v]) => [k, [...v.entries()]] as const)),
      orders: clone([...this.purchase.orders.values()].map((o) => [o.id, o.lines.map((l) => l.quantity)] as const)),
      notices: clone([...this.notices.entries()]),
      activities: this.activities.length,
      chatter: this.chatter.length,
    };
  }

  private restoreState(s: ReturnType<SimInbound["saveState"]>): void {
    this.pickings.clear();
    for (const [k, v] of s.pickings) this.pickings.set(k, v);
    this.poAck.clear();
    for (const [k, v] of s.poAck) this.poAck.set(k, v);
    this.poLines.clear();
    for (const [k, v] of s.poLines) this.poLines.set(k, new Map(v));
    for (const [id, quantities] of s.orders) this.purchase.orders.get(id)?.lines.forEach((l, i) => (l.quantity = quantities[i]!));
    this.notices.clear();
    for (const [k, v] of s.notices) this.notices.set(k, v);
    this.activities.length = s.activities;
    this.chatter.length = s.chatter;
  }

  private apply(item: Item): { detail: string; record: SimInboundAnswer["record"] } {
    switch (item.type) {
      case "supplier.order_acknowledged":
        return this.applyAcknowledgement(item, item.data as unknown as SupplierOrderAcknowledged);
      case "supplier.shipment_noticed":
        return this.applyShipNotice(item, item.data as unknown as SupplierShipmentNoticed);
      case "supplier.document_status": {
        const po = this.findOrder(item.partner, item.subject_ref);
        const record = { model: "purchase.order", id: po.id, ref: po.name };
        this.note("purchase.order", po.id, `Supplier document status ${String((item.data as { status_code?: unknown }).status_code)}`);
        return { detail: "status noted", record };
      }
      case "carrier.shipment_booked":
        return this.applyBooking(item, item.data as unknown as CarrierShipmentBooked);
      case "carrier.tracking_updated":
        return this.applyTracking(item, item.data as unknown as CarrierTrackingUpdated);
    }
  }

  private findOrder(partner: string, poNumber: string) {
    for (const po of this.purchase.orders.values()) {
      if (po.name !== poNumber) continue;
      if (this.purchase.vendors.get(po.vendor_id)?.partner_code !== partner) break;
      return po;
    }
    throw new Outcome("unknown_reference", `no purchase order ${poNumber} of partner ${partner}`);
  }

  private activity(model: string, id: number, ref: string, summary: string): void {
    this.activities.push({ model, id, ref, summary });
    this.note(model, id, summary);
  }

  private note(model: string, id: number, body: string): void {
    this.chatter.push({ model, id, body });
  }

  private applyAcknowledgement(item: Item, ack: SupplierOrderAcknowledged) {
    const po = this.findOrder(item.partner, ack.po_number);
    const record = { model: "purchase.order", id: po.id, ref: po.name };
    if (po.state === "cancel") {
      this.activity("purchase.order", po.id, po.name, `Late acknowledgement for cancelled order ${po.name}`);
      throw new Outcome("exception", `order ${po.name} is cancelled; the acknowledgement was not applied`, record);
    }
    if (po.state !== "purchase") {
      this.activity("purchase.order", po.id, po.name, `Acknowledgement for order ${po.name} that is not confirmed`);
      throw new Outcome("exception", `order ${po.name} is not confirmed (${po.state})`, record);
    }
    const state = this.ackState(po.id);
    const issued = ack.issued_at?.utc ?? null;
    if ((ack.version !== null && state.ack_version !== null && ack.version < state.ack_version) || (issued && state.ack_issued_at && issued < state.ack_issued_at)) {
      throw new Outcome("stale", `older than the acknowledgement already applied to ${po.name}`, record);
    }
    if (ack.status === "rejected") {
      this.activity("purchase.order", po.id, po.name, `Supplier rejected ${po.name}${ack.note ? `: ${ack.note}` : ""}`);
      // The order's lines are not touched; its supplier status says what the supplier said.
      throw new Outcome("exception", `supplier rejected ${po.name}`, record, () => {
        const kept = this.ackState(po.id);
        kept.supplier_status = "rejected";
        kept.ack_version = ack.version ?? kept.ack_version;
        kept.ack_issued_at = issued ?? kept.ack_issued_at;
      });
    }
    const lines = this.lineStates(po.id);
    const orderLines = new Map(po.lines.filter((l) => l.line_number !== null).map((l) => [l.line_number!, l]));
    const headerDate = periodStart(ack.promised_delivery);
    for (const line of ack.lines) {
      if (line.line_number === null) continue; // a line the supplier added: noted, not created
      const state = lines.get(line.line_number);
      if (!state) {
        this.activity("purchase.order", po.id, po.name, `Acknowledgement names line ${line.line_number}, not on ${po.name}`);
        throw new Outcome("exception", `line ${line.line_number} is not on ${po.name}`, record);
      }
      const q = line.quantities;
      const stated = (q.accepted ?? 0) + (q.changed ?? 0) + (q.backordered ?? 0);
      const restates = line.portions.some((p) => p.quantity !== null);
      const quantity = line.status === "rejected" ? 0 : restates ? stated : state.quantity;
      if (Math.abs(quantity - state.quantity) > 1e-9) {
        if (state.received > 0) {
          this.activity("purchase.order", po.id, po.name, `Quantity change on line ${line.line_number} of ${po.name} after goods were received`);
          throw new Outcome("exception", `line ${line.line_number}: quantities do not reconcile (${state.received} already received)`, record);
        }
        state.quantity = quantity;
        orderLines.get(line.line_number)!.quantity = quantity;
      }
      const accepted = line.portions.find((p) => p.status === "accepted" || p.status === "changed") ?? line.portions[0];
      const date = periodStart(accepted?.promised_delivery) ?? timeOf(accepted?.promised_shipment_date) ?? headerDate;
      if (date) state.promised_date = date;
      const backorder = line.portions.find((p) => p.status === "backordered");
      state.backordered = q.backordered ?? 0;
      state.backorder_date = backorder ? (periodStart(backorder.promised_delivery) ?? timeOf(backorder.promised_shipment_date)) : null;
    }
    state.supplier_status = ack.status === "accepted" ? "accepted" : ack.status === "acknowledged_only" ? "acknowledged" : "changed";
    state.ack_version = ack.version ?? state.ack_version;
    state.ack_issued_at = issued ?? state.ack_issued_at;
    if (headerDate) state.promised_date = headerDate;
    this.note("purchase.order", po.id, `Supplier acknowledgement: ${ack.status}`);
    return { detail: `${po.name}: supplier status ${state.supplier_status}`, record };
  }

  private applyShipNotice(item: Item, notice: SupplierShipmentNoticed) {
    const key = `${item.partner}|${notice.shipment_id}`;
    const previous = this.notices.get(key);
    const noticeDate = notice.notice_date?.utc ?? null;
    if (previous && noticeDate && previous.noticeDate && noticeDate < previous.noticeDate) {
      throw new Outcome("stale", `older than the notice of shipment ${notice.shipment_id} already applied`);
    }
    // update replaces the previous notice of the same shipment; delete reverts it.
    if (previous) for (const p of previous.before) this.pickings.set(p.id, clone(p));
    if (notice.operation === "delete") {
      if (!previous) throw new Outcome("unknown_reference", `no notice of shipment ${notice.shipment_id} to delete`);
      this.notices.delete(key);
      const first = previous.before[0];
      for (const p of previous.before) this.note("stock.picking", p.id, `Ship notice ${notice.shipment_id} withdrawn by the supplier`);
      return { detail: `notice ${notice.shipment_id} withdrawn`, record: first ? { model: "stock.picking", id: first.id, ref: first.name } : null };
    }
    if (notice.portions.length === 0) throw new Outcome("unknown_reference", `notice ${notice.shipment_id} names no purchase order`);
    const before: SimPicking[] = [];
    let record: SimInboundAnswer["record"] = null;
    for (const portion of notice.portions) {
      const po = this.findOrder(item.partner, portion.po_number);
      if (po.state === "cancel") {
        this.activity("purchase.order", po.id, po.name, `Ship notice ${notice.shipment_id} for cancelled order ${po.name}`);
        throw new Outcome("exception", `order ${po.name} is cancelled`, { model: "purchase.order", id: po.id, ref: po.name });
      }
      const picking = this.receiptOf(po.id);
      record ??= { model: "stock.picking", id: picking.id, ref: picking.name };
      if (picking.state === "done") {
        this.activity("stock.picking", picking.id, picking.name, `Ship notice ${notice.shipment_id} for a receipt already done`);
        throw new Outcome("exception", `receipt ${picking.name} is already done`, record);
      }
      const lines = this.lineStates(po.id);
      for (const l of portion.lines) {
        if (l.line_number !== null && !lines.has(l.line_number)) {
          this.activity("stock.picking", picking.id, picking.name, `Ship notice ${notice.shipment_id} names line ${l.line_number}, not on ${po.name}`);
          throw new Outcome("exception", `line ${l.line_number} is not on ${po.name}`, record);
        }
        if (l.line_number !== null && l.quantity > lines.get(l.line_number)!.quantity - lines.get(l.line_number)!.received + 1e-9) {
          this.activity("stock.picking", picking.id, picking.name, `Ship notice ${notice.shipment_id} announces more than ordered on line ${l.line_number}`);
          throw new Outcome("exception", `line ${l.line_number}: ${l.quantity} announced, more than is still to receive`, record);
        }
      }
      before.push(clone(picking));
      picking.scheduled_date = timeOf(notice.delivery_date) ?? periodStart(notice.estimated_delivery) ?? timeOf(notice.shipment_date) ?? picking.scheduled_date;
      const tracking = notice.tracking_numbers.map((t) => t.number).join(",");
      if (tracking) picking.carrier_tracking_ref = tracking;
      picking.expected = portion.lines_known ? portion.lines.map((l) => ({ line_number: l.line_number, quantity: l.quantity, uom: l.uom, lots: l.lots.map((x) => x.lot) })) : null;
      picking.asn_shipment_id = notice.shipment_id;
      this.note("stock.picking", picking.id, `Ship notice ${notice.shipment_id} (${notice.operation})`);
    }
    this.notices.set(key, { noticeDate, before: previous ? previous.before : before });
    return { detail: `notice ${notice.shipment_id} ${notice.operation === "update" || previous ? "replaced" : "applied"}`, record };
  }

  private findDelivery(partner: string, refs: (string | null)[], tracking: readonly string[]): SimPicking {
    for (const p of this.pickings.values()) {
      if (p.kind !== "outgoing" || p.carrier_code !== partner) continue;
      const numbers = (p.carrier_tracking_ref ?? "").split(",").filter(Boolean);
      if (refs.includes(p.name) || tracking.some((t) => numbers.includes(t))) return p;
    }
    throw new Outcome("unknown_reference", `no delivery order of carrier ${partner} for ${[...refs.filter(Boolean), ...tracking].join(", ")}`);
  }

  private applyBooking(item: Item, booking: CarrierShipmentBooked) {
    const picking = this.findDelivery(item.partner, [booking.reference, item.subject_ref], booking.tracking_numbers);
    const record = { model: "stock.picking", id: picking.id, ref: picking.name };
    if (picking.state === "cancel") {
      this.activity("stock.picking", picking.id, picking.name, `Label bought for cancelled delivery ${picking.name}`);
      throw new Outcome("exception", `delivery ${picking.name} is cancelled`, record);
    }
    picking.carrier_tracking_ref = booking.tracking_numbers.join(",");
    picking.label_url = booking.labels[0]?.url ?? picking.label_url;
    this.note("stock.picking", picking.id, `Shipment booked: ${picking.carrier_tracking_ref}`);
    return { detail: `tracking ${picking.carrier_tracking_ref} set on ${picking.name}`, record };
  }

  private applyTracking(item: Item, t: CarrierTrackingUpdated) {
    const picking = this.findDelivery(item.partner, [t.reference], [t.tracking_number]);
    const record = { model: "stock.picking", id: picking.id, ref: picking.name };
    const at = t.occurred_at?.utc ?? item.occurred_at;
    if (picking.carrier_status_at && at < picking.carrier_status_at) throw new Outcome("stale", `older than the last tracking update of ${picking.name}`, record);
    if (picking.carrier_status && TERMINAL.has(picking.carrier_status) && !TERMINAL.has(t.status)) {
      throw new Outcome("stale", `${picking.name} is already ${picking.carrier_status}; ${t.status} does not move it back`, record);
    }
    if (t.status === "exception" || t.status === "attempt_failed") {
      // Needs a person: an activity and a note, nothing overwritten.
      const milestone = t.status_detail ?? t.partner_status;
      this.activity("stock.picking", picking.id, picking.name, `Carrier reports ${t.status} for ${picking.name}: ${milestone}`);
      throw new Outcome("exception", `${t.status}: ${milestone}`, record);
    }
    picking.carrier_status = t.status;
    picking.carrier_status_at = at;
    picking.last_milestone = t.status_detail ?? t.partner_status;
    picking.estimated_delivery = timeOf(t.estimated_delivery) ?? picking.estimated_delivery;
    this.note("stock.picking", picking.id, `Carrier status ${t.status}`);
    return { detail: `${picking.name}: ${t.status}`, record };
  }
}
