import { checkEvent } from "../../sidecar/src/contracts/validate.ts";
import { INBOUND_SUBJECT_MODEL } from "../../sidecar/src/partners/events/envelope.ts";
import type { PartnerPeriod, PartnerTime } from "../../sidecar/src/partners/events/partner-time.ts";
import type { CarrierShipmentBooked, CarrierTrackingUpdated, InboundEventType, SupplierDocumentStatus, SupplierOrderAcknowledged, SupplierShipmentNoticed } from "../../sidecar/src/partners/events/inbound.ts";

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
  /** occurred_at of the booking applied. */
  booked_at: string | null;
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

/** Thrown when an event changes nothing (stale, unknown reference, rejected): the savepoint is rolled back. */
class Outcome extends Error {
  constructor(
    readonly outcome: SimInboundAnswer["outcome"],
    readonly detail: string,
    readonly record: SimInboundAnswer["record"] = null,
  ) {
    super(detail);
  }
}

type Item = { event_id: string; type: InboundEventType; partner: string; format: string; test_mode: boolean; received_at: string; occurred_at: string; subject_ref: string; data: Record<string, unknown> };

function periodStart(p: PartnerPeriod | null | undefined): string | null {
  return p ? (utcOf(p.start) ?? utcOf(p.end)) : null;
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
  /** The database setting *Accept Test Documents* (off: test-mode documents are rejected). */
  acceptTestDocuments = false;
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
      booked_at: null,
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
    else if ((raw.test_mode === true || (raw.data as { test_mode?: unknown }).test_mode === true) && !this.acceptTestDocuments) {
      answer = { event_id: eventId, outcome: "rejected", duplicate: false, detail: "test-mode document; this database takes production documents only", record: null };
    } else {
      // Savepoint: what an event that changes nothing touched is rolled back.
      const saved = this.saveState();
      try {
        answer = { event_id: eventId, duplicate: false, ...this.apply(raw as Item) };
      } catch (err) {
        if (!(err instanceof Outcome)) throw err;
        this.restoreState(saved);
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

  private apply(item: Item): Applied {
    switch (item.type) {
      case "supplier.order_acknowledged":
        return this.applyAcknowledgement(item, item.data as unknown as SupplierOrderAcknowledged);
      case "supplier.shipment_noticed":
        return this.applyShipNotice(item, item.data as unknown as SupplierShipmentNoticed);
      case "supplier.document_status":
        return this.applyDocumentStatus(item, item.data as unknown as SupplierDocumentStatus);
      case "carrier.shipment_booked":
        return this.applyBooking(item, item.data as unknown as CarrierShipmentBooked);
      case "carrier.tracking_updated":
        return this.applyTracking(item, item.data as unknown as CarrierTrackingUpdated);
    }
  }

  private findOrder(partner: string, poNumber: string) {
    const named = [...this.purchase.orders.values()].filter((po) => po.name === poNumber);
    if (named.length === 0) throw new Outcome("unknown_reference", `no purchase order ${poNumber}`);
    const mine = named.filter((po) => this.purchase.vendors.get(po.vendor_id)?.partner_code === partner);
    if (mine.length === 0) throw new Outcome("unknown_reference", `${poNumber} belongs to another vendor`);
    if (mine.length > 1) throw new Outcome("unknown_reference", `several purchase orders are named ${poNumber}`);
    return mine[0]!;
  }

  /** One "Partner exception" activity per record while one is open; always a note. */
  private needsPerson(model: string, id: number, ref: string, summary: string): void {
    if (!this.activities.some((a) => a.model === model && a.id === id)) this.activities.push({ model, id, ref, summary });
    this.note(model, id, summary);
  }

  private note(model: string, id: number, body: string): void {
    this.chatter.push({ model, id, body });
  }

  private receivedAll(poId: number): boolean {
    const lines = [...this.lineStates(poId).values()];
    return lines.length > 0 && lines.every((l) => l.received >= l.quantity - 1e-9);
  }

  private applyAcknowledgement(item: Item, ack: SupplierOrderAcknowledged): Applied {
    const po = this.findOrder(item.partner, ack.po_number || item.subject_ref);
    const record = { model: "purchase.order", id: po.id, ref: po.name };
    const state = this.ackState(po.id);
    const issued = utcOf(ack.issued_at) ?? item.occurred_at;
    // Versions decide when both are known and differ; else the issue times. Only strictly older is stale.
    if (ack.version !== null && state.ack_version !== null && ack.version !== state.ack_version) {
      if (ack.version < state.ack_version) throw new Outcome("stale", `version ${ack.version} is older than the applied version ${state.ack_version}`, record);
    } else if (state.ack_issued_at && issued < state.ack_issued_at) {
      throw new Outcome("stale", `issued ${issued}, before the applied acknowledgement (${state.ack_issued_at})`, record);
    }
    // Late: the order stays exactly as it is, supplier status included; the buyer is told.
    const late = po.state === "cancel" ? `late acknowledgement: ${po.name} is cancelled` : this.receivedAll(po.id) ? `late acknowledgement: ${po.name} is already received` : po.state !== "purchase" ? `acknowledgement for ${po.name}, which is not confirmed` : null;
    if (late) {
      this.needsPerson("purchase.order", po.id, po.name, `Late vendor answer: ${po.name}`);
      return { outcome: "exception", detail: late, record };
    }
    const record_ack = () => {
      state.ack_version = ack.version ?? 0;
      state.ack_issued_at = issued;
    };
    if (ack.status === "rejected") {
      state.supplier_status = "rejected";
      record_ack();
      this.needsPerson("purchase.order", po.id, po.name, `Vendor rejected ${po.name}`);
      return { outcome: "exception", detail: `vendor rejected the order${ack.note ? `: ${ack.note}` : ""}`, record };
    }
    const lines = this.lineStates(po.id);
    const orderLines = new Map(po.lines.filter((l) => l.line_number !== null).map((l) => [l.line_number!, l]));
    const problems: string[] = [];
    const plans: { line: number; quantity: number | null; status: string; promised: string | null; backordered: number; backorderDate: string | null }[] = [];
    for (const line of ack.lines) {
      if (line.line_number === null || line.status === "added") {
        problems.push(`vendor added a line (${line.supplier_part ?? line.partner_line_id ?? "no part number"})`);
        continue;
      }
      const ours = lines.get(line.line_number);
      const orderLine = orderLines.get(line.line_number);
      if (!ours || !orderLine) {
        problems.push(`line ${line.line_number} is not in the order`);
        continue;
      }
      for (const p of line.portions) if (p.substitution) problems.push(`line ${line.line_number}: substitute offered (${p.substitution.supplier_part ?? p.substitution.description ?? "?"})`);
      const units = new Set([line.uom, ...line.portions.map((p) => p.uom)].filter((u): u is string => !!u));
      if ([...units].some((u) => u !== orderLine.uom)) {
        problems.push(`line ${line.line_number}: quantities in ${[...units].sort().join("/")}, ordered in ${orderLine.uom}`);
        continue;
      }
      for (const p of line.portions) {
        if (!p.unit_price) continue;
        if (p.unit_price.currency && p.unit_price.currency !== this.currencyOf(po.id)) problems.push(`line ${line.line_number}: price in ${p.unit_price.currency}`);
        else if (Math.abs(p.unit_price.amount - this.priceOf(po.id, line.line_number)) > 1e-4) problems.push(`line ${line.line_number}: price ${p.unit_price.amount} instead of ${this.priceOf(po.id, line.line_number)}`);
      }
      const decided = line.portions.filter((p) => p.status !== "unknown");
      if (decided.length === 0) continue;
      const ordered = ours.quantity;
      const q = (p: (typeof decided)[number]) => p.quantity ?? ordered;
      const confirmed = decided.filter((p) => ["accepted", "changed", "backordered"].includes(p.status)).reduce((sum, p) => sum + q(p), 0);
      const backordered = decided.filter((p) => p.status === "backordered").reduce((sum, p) => sum + q(p), 0);
      const stated = decided.some((p) => p.quantity !== null) || line.status === "rejected";
      const quantity = stated && Math.abs(confirmed - ordered) > 1e-6 ? confirmed : null;
      if (quantity !== null && ours.received > 1e-6) problems.push(`line ${line.line_number}: quantity ${quantity} after ${ours.received} received; quantities do not reconcile`);
      const promisedPortion = decided.find((p) => (p.status === "accepted" || p.status === "changed") && periodStart(p.promised_delivery));
      const backorder = decided.find((p) => p.status === "backordered");
      plans.push({
        line: line.line_number,
        quantity,
        status: line.status === "accepted" && quantity !== null ? "changed" : line.status,
        promised: periodStart(promisedPortion?.promised_delivery) ?? periodStart(ack.promised_delivery),
        backordered,
        backorderDate: backorder ? periodStart(backorder.promised_delivery) : null,
      });
    }
    if (ack.lines.length === 0 && ["accepted", "backordered", "changed"].includes(ack.status)) {
      const promised = periodStart(ack.promised_delivery);
      for (const l of lines.values()) plans.push({ line: l.line_number, quantity: null, status: ack.status, promised: ack.status === "backordered" ? null : promised, backordered: ack.status === "backordered" ? l.quantity : 0, backorderDate: ack.status === "backordered" ? promised : null });
    }
    if (problems.length > 0) {
      state.supplier_status = "exception";
      record_ack();
      this.needsPerson("purchase.order", po.id, po.name, `Vendor answer needs review: ${po.name}`);
      return { outcome: "exception", detail: problems.join("; "), record };
    }
    for (const plan of plans) {
      const l = lines.get(plan.line)!;
      if (plan.quantity !== null) {
        l.quantity = plan.quantity;
        orderLines.get(plan.line)!.quantity = plan.quantity;
      }
      if (plan.promised) l.promised_date = plan.promised;
      l.backordered = plan.backordered;
      l.backorder_date = plan.backorderDate;
    }
    let status: SimPoAckState["supplier_status"] = ack.status === "acknowledged_only" ? "acknowledged" : ack.status === "accepted" ? "accepted" : "changed";
    if (plans.some((p) => p.quantity !== null || ["changed", "backordered", "rejected"].includes(p.status))) status = "changed";
    state.supplier_status = status;
    state.promised_date = periodStart(ack.promised_delivery) ?? state.promised_date;
    record_ack();
    this.note("purchase.order", po.id, `Vendor answer: ${status}`);
    return { outcome: "applied", detail: `${po.name}: supplier status ${status}`, record };
  }

  private applyDocumentStatus(item: Item, data: SupplierDocumentStatus): Applied {
    const po = this.findOrder(item.partner, item.subject_ref.trim());
    const record = { model: "purchase.order", id: po.id, ref: po.name };
    const state = this.ackState(po.id);
    if (state.ack_issued_at && item.occurred_at < state.ack_issued_at) throw new Outcome("stale", "older than the vendor's last answer", record);
    const text = [data.status_code, data.status_text, data.message].filter(Boolean).join(" ");
    if (data.outcome === "client_error" || data.outcome === "server_error") {
      state.supplier_status = "exception";
      this.needsPerson("purchase.order", po.id, po.name, `Vendor could not process ${po.name}`);
      return { outcome: "exception", detail: `vendor system: ${text}`, record };
    }
    if (data.outcome === "success" && (state.supplier_status === null || state.supplier_status === "acknowledged")) state.supplier_status = "acknowledged";
    this.note("purchase.order", po.id, `The vendor's system received the order: ${text}`);
    return { outcome: "applied", detail: `vendor system: ${text}`, record };
  }

  private currencyOf(poId: number): string {
    return (this.purchase.orders.get(poId) as unknown as { currency?: string }).currency ?? "EUR";
  }

  private priceOf(poId: number, lineNumber: number): number {
    const line = this.purchase.orders.get(poId)!.lines.find((l) => l.line_number === lineNumber) as unknown as { unit_price?: number };
    return line.unit_price ?? 0;
  }

  private applyShipNotice(item: Item, notice: SupplierShipmentNoticed): Applied {
    const key = `${item.partner}|${notice.shipment_id}`;
    const previous = this.notices.get(key);
    const noticeAt = utcOf(notice.notice_date) ?? item.occurred_at;
    const showing = [...this.pickings.values()].filter((p) => p.kind === "incoming" && p.asn_shipment_id === notice.shipment_id && previous);
    if (notice.operation === "delete") {
      if (!previous || showing.length === 0) throw new Outcome("unknown_reference", `no earlier ship notice ${notice.shipment_id} to delete`);
      const first = { model: "stock.picking", id: showing[0]!.id, ref: showing[0]!.name };
      if (previous.noticeDate && noticeAt < previous.noticeDate) throw new Outcome("stale", `older than the ship notice ${notice.shipment_id} applied`, first);
      const done = showing.find((p) => p.state === "done");
      if (done) {
        this.needsPerson("stock.picking", done.id, done.name, `Ship notice ${notice.shipment_id} withdrawn after ${done.name} was received`);
        return { outcome: "exception", detail: `ship notice ${notice.shipment_id} withdrawn after ${done.name} was received`, record: first };
      }
      for (const p of previous.before) {
        const notes = this.pickings.get(p.id)!.notes;
        this.pickings.set(p.id, { ...clone(p), notes });
        this.note("stock.picking", p.id, `Ship notice ${notice.shipment_id} withdrawn by the vendor`);
      }
      this.notices.delete(key);
      return { outcome: "applied", detail: `ship notice ${notice.shipment_id} withdrawn`, record: first };
    }
    if (notice.portions.length === 0) throw new Outcome("rejected", "the ship notice names no purchase order");
    const orders = notice.portions.map((portion) => this.findOrder(item.partner, portion.po_number));
    if (previous && showing.length > 0 && previous.noticeDate && noticeAt <= previous.noticeDate) {
      throw new Outcome("stale", `older than the ship notice ${notice.shipment_id} applied`, { model: "stock.picking", id: showing[0]!.id, ref: showing[0]!.name });
    }
    const problems: string[] = [];
    const receipts: SimPicking[] = [];
    notice.portions.forEach((portion, i) => {
      const po = orders[i]!;
      if (po.state === "cancel") return void problems.push(`${po.name} is cancelled`);
      if (po.state !== "purchase") return void problems.push(`${po.name} is not confirmed`);
      const receipt = this.receiptOf(po.id);
      if (this.receivedAll(po.id) || receipt.state === "done") return void problems.push(`${po.name} has no receipt waiting`);
      receipts.push(receipt);
      if (!portion.lines_known) return;
      const lines = this.lineStates(po.id);
      const orderLines = new Map(po.lines.filter((l) => l.line_number !== null).map((l) => [l.line_number!, l]));
      const shipped = new Map<number, number>();
      for (const l of portion.lines) {
        const number = l.line_number !== null && lines.has(l.line_number) ? l.line_number : l.order_line_ref && /^\d+$/.test(l.order_line_ref.trim()) && lines.has(Number(l.order_line_ref)) ? Number(l.order_line_ref) : null;
        if (number === null) {
          problems.push(`${po.name}: line ${l.line_number ?? l.order_line_ref ?? l.supplier_part ?? "?"} not identified`);
          continue;
        }
        if (orderLines.get(number)!.uom !== l.uom) {
          problems.push(`${po.name} line ${number}: shipped in ${l.uom}, ordered in ${orderLines.get(number)!.uom}`);
          continue;
        }
        shipped.set(number, (shipped.get(number) ?? 0) + l.quantity);
      }
      for (const [number, quantity] of shipped) {
        const open = lines.get(number)!.quantity - lines.get(number)!.received;
        if (quantity > open + 1e-6) problems.push(`${po.name} line ${number}: ${quantity} shipped, ${open} expected`);
      }
    });
    if (problems.length > 0) {
      const target = receipts[0] ? { model: "stock.picking", id: receipts[0].id, ref: receipts[0].name } : { model: "purchase.order", id: orders[0]!.id, ref: orders[0]!.name };
      this.needsPerson(target.model, target.id, target.ref, `Ship notice ${notice.shipment_id} needs review`);
      return { outcome: "exception", detail: problems.join("; "), record: target };
    }
    const before = previous ? previous.before : receipts.map((r) => clone(r));
    const scheduled = utcOf(notice.delivery_date) ?? periodStart(notice.estimated_delivery);
    const tracking = notice.tracking_numbers.map((t) => t.number).join(", ");
    notice.portions.forEach((portion, i) => {
      const receipt = receipts[i]!;
      if (scheduled) receipt.scheduled_date = scheduled;
      if (tracking) receipt.carrier_tracking_ref = tracking;
      receipt.expected = portion.lines_known ? portion.lines.map((l) => ({ line_number: l.line_number, quantity: l.quantity, uom: l.uom, lots: l.lots.map((x) => x.lot) })) : null;
      receipt.asn_shipment_id = notice.shipment_id;
      this.note("stock.picking", receipt.id, `Ship notice ${notice.operation === "update" ? "updated" : "received"}: ${notice.shipment_id}`);
    });
    this.notices.set(key, { noticeDate: noticeAt, before });
    return { outcome: "applied", detail: `ship notice ${notice.shipment_id}`, record: { model: "stock.picking", id: receipts[0]!.id, ref: receipts[0]!.name } };
  }

  /** The delivery order a carrier event is about: by name, then by tracking number (most recent wins). */
  private findDelivery(item: Item, tracking: readonly string[]): SimPicking {
    const data = item.data as { reference?: string | null };
    const names = [item.subject_ref.trim(), data.reference].filter((n): n is string => !!n);
    const outgoing = [...this.pickings.values()].filter((p) => p.kind === "outgoing").sort((a, b) => b.id - a.id);
    let candidates = outgoing.filter((p) => names.includes(p.name));
    if (candidates.length === 0) {
      const wanted = new Set([...tracking, item.subject_ref.trim()].filter(Boolean));
      candidates = outgoing.filter((p) => (p.carrier_tracking_ref ?? "").split(",").some((part) => wanted.has(part.trim())));
    }
    if (candidates.length === 0) throw new Outcome("unknown_reference", `no delivery order ${item.subject_ref}`);
    const mine = candidates.filter((p) => p.carrier_code === item.partner);
    if (mine.length === 0) throw new Outcome("unknown_reference", `${candidates[0]!.name} is shipped by another carrier`);
    return mine.find((p) => p.state !== "cancel") ?? mine[0]!;
  }

  private applyBooking(item: Item, booking: CarrierShipmentBooked): Applied {
    const picking = this.findDelivery(item, booking.tracking_numbers);
    const record = { model: "stock.picking", id: picking.id, ref: picking.name };
    const reference = booking.tracking_numbers.join(",");
    const label = booking.labels[0]?.url ?? null;
    if (picking.state === "cancel") {
      this.needsPerson("stock.picking", picking.id, picking.name, "Label bought for a cancelled delivery");
      return { outcome: "exception", detail: `label bought for cancelled delivery ${picking.name}`, record };
    }
    if (picking.booked_at && item.occurred_at < picking.booked_at) throw new Outcome("stale", "older than the booking applied", record);
    if (picking.carrier_tracking_ref === reference && picking.label_url === label) throw new Outcome("stale", "booking already applied", record);
    picking.carrier_tracking_ref = reference;
    picking.label_url = label;
    picking.booked_at = item.occurred_at;
    if (!picking.carrier_status || picking.carrier_status === "unknown") picking.carrier_status = "pre_transit";
    this.note("stock.picking", picking.id, `Label bought: tracking ${reference}`);
    return { outcome: "applied", detail: `tracking ${reference}`, record };
  }

  private applyTracking(item: Item, t: CarrierTrackingUpdated): Applied {
    const picking = this.findDelivery(item, [t.tracking_number]);
    const record = { model: "stock.picking", id: picking.id, ref: picking.name };
    if (picking.state === "cancel") {
      this.needsPerson("stock.picking", picking.id, picking.name, "Carrier news for a cancelled delivery");
      return { outcome: "exception", detail: `${t.status} reported for cancelled delivery ${picking.name}`, record };
    }
    const at = utcOf(t.occurred_at) ?? item.occurred_at;
    const stale = trackingDecision(picking.carrier_status, picking.carrier_status_at, t.status, at);
    if (stale) throw new Outcome("stale", stale, record);
    const milestone = t.status_detail ?? t.partner_status;
    picking.carrier_status = t.status;
    picking.carrier_status_at = at;
    picking.last_milestone = milestone;
    picking.estimated_delivery = utcOf(t.estimated_delivery) ?? picking.estimated_delivery;
    if (!picking.carrier_tracking_ref) picking.carrier_tracking_ref = t.tracking_number;
    if (t.status === "exception" || t.status === "attempt_failed") {
      // The carrier's own news: recorded like any milestone, and a person is asked to act.
      this.needsPerson("stock.picking", picking.id, picking.name, `Carrier: ${t.status} for ${picking.name}`);
      return { outcome: "exception", detail: milestone, record };
    }
    this.note("stock.picking", picking.id, `Carrier: ${milestone}`);
    return { outcome: "applied", detail: milestone, record };
  }
}

type Applied = { outcome: SimInboundAnswer["outcome"]; detail: string; record: SimInboundAnswer["record"] };

/** A partner time as UTC (instant), or its local value (simulator: the company zone is UTC). */
function utcOf(t: PartnerTime | null | undefined): string | null {
  if (!t) return null;
  if (t.utc) return t.utc;
  return t.kind === "date" || t.local.length === 10 ? `${t.local.slice(0, 10)}T12:00:00Z` : `${t.local}Z`;
}

// Carrier statuses: the addon's tools/carrier_status.py.
const FINAL = new Set(["delivered", "returned", "cancelled"]);
const LIFECYCLE_RANK: Record<string, number> = { unknown: 0, pre_transit: 1, in_transit: 2, attempt_failed: 3, exception: 3, out_for_delivery: 4, available_for_pickup: 5, cancelled: 6, returned: 7, delivered: 8 };

function trackingDecision(current: string | null, currentAt: string | null, next: string, nextAt: string | null): string | null {
  if (!current) return null;
  if (currentAt && nextAt && nextAt < currentAt) return `older than the last milestone (${current})`;
  if (FINAL.has(current) && !FINAL.has(next)) return `shipment already ${current}; not moved back to ${next}`;
  if (currentAt && nextAt && nextAt > currentAt) return null;
  if (next === current) return "milestone already applied";
  if ((LIFECYCLE_RANK[next] ?? 0) < (LIFECYCLE_RANK[current] ?? 0)) return `${next} does not follow ${current}`;
  return null;
}
