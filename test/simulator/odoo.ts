import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { closeServer, listenLoopback } from "./loopback.ts";
import { CallError, SimInbound, type SimPicking } from "./odoo-inbound.ts";

/**
 * An Odoo 18 JSON-RPC simulator that answers as a real Odoo with the distribution_connector
 * addon does: same endpoint (/jsonrpc), same services and methods, same error names and
 * messages as the answers captured from a real Odoo 18 (test/fixtures/odoo-jsonrpc), the
 * same HTML page when overloaded, and the addon's outbox semantics (contracts/odoo-rpc.md).
 */

const here = dirname(fileURLToPath(import.meta.url));
/** The page a real Odoo 18 answers with 500 when its pool is full (captured, in the repository). */
const POOL_FULL_HTML = readFileSync(resolve(here, "../fixtures/odoo-jsonrpc/pool_full_500.html"), "utf8");

export interface SimVendor {
  id: number;
  name: string;
  partner_code: string | null;
  vat: string | null;
}
export interface SimLine {
  id: number;
  line_number: number | null;
  product_code: string | null;
  vendor_product_code: string | null;
  description: string;
  quantity: number;
  uom: string;
  unit_price: number;
}
export interface SimPurchaseOrder {
  id: number;
  name: string;
  vendor_id: number;
  state: "draft" | "to approve" | "purchase" | "cancel";
  currency: string;
  order_date: Date;
  planned_date: Date;
  lines: SimLine[];
}
export interface SimOutboxRow {
  id: number;
  event_uuid: string;
  event_type: string;
  subject_model: string;
  subject_id: number;
  subject_ref: string;
  sequence: number;
  payload: Record<string, unknown>;
  partner_code: string | null;
  state: "pending" | "leased" | "delivered" | "failed" | "dead" | "cancelled";
  attempts: number;
  last_error: string | null;
  lease_until: number | null;
  lease_token: string | null;
  lease_consumer: string | null;
  lease_generation: number | null;
  delivered_at: string | null;
  replay: boolean;
}

export interface OdooSimulatorOptions {
  db?: string;
  login?: string;
  apiKey?: string;
  /** Sidecar base URL and nudge secret, as the addon's settings. */
  sidecarUrl?: string;
  nudgeSecret?: string;
  /** Emulated server cost of a call, in ms: fixed part plus a part per row claimed or recorded. */
  latency?: { baseMs?: number; perRowMs?: number };
  /** Extra cost per method name (e.g. `{ claim_batch: 5000 }` holds claim answers after leasing). */
  methodLatencyMs?: Record<string, number>;
  /** Answer HTML 500 past this many concurrent calls, as Odoo does when its pool is full. */
  maxConcurrent?: number;
}

class RpcFault extends Error {
  constructor(
    readonly odooName: string,
    message: string,
  ) {
    super(message);
  }
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class OdooSimulator {
  readonly db: string;
  readonly login: string;
  readonly apiKey: string;
  readonly uid = 7;
  sidecarUrl: string | undefined;
  nudgeSecret: string | undefined;
  latency: { baseMs: number; perRowMs: number };
  /** Extra cost per method name, added after the call took effect (an answer that comes late, or is lost). */
  methodLatencyMs: Record<string, number>;
  maxConcurrent: number;
  /** When set, every call answers HTML 500 (Odoo down behind a proxy, or restarting). */
  down = false;
  readonly vendors = new Map<number, SimVendor>();
  readonly orders = new Map<number, SimPurchaseOrder>();
  readonly outbox: SimOutboxRow[] = [];
  /** connector.inbound (apply_events), receipts, delivery orders and activities: test/simulator/odoo-inbound.ts. */
  readonly inbound = new SimInbound(this);
  private readonly outboxByUuid = new Map<string, SimOutboxRow>();
  /** Highest sequence per subject, so emitting stays O(1) with large outboxes. */
  private readonly lastSequence = new Map<string, number>();
  readonly calls: { model: string; method: string }[] = [];
  nudgesSent = 0;
  nudgesFailed = 0;
  private nextId = { vendor: 1, order: 1, line: 1, outbox: 1 };
  private inFlight = 0;
  /** Most JSON-RPC calls in flight at once, and calls answered "pool is full" (past maxConcurrent). */
  maxInFlight = 0;
  poolFullAnswers = 0;
  private server: Server | null = null;
  url = "";

  constructor(options: OdooSimulatorOptions = {}) {
    this.db = options.db ?? "simulated";
    this.login = options.login ?? "connector";
    this.apiKey = options.apiKey ?? "sim-api-key-0123456789";
    this.sidecarUrl = options.sidecarUrl;
    this.nudgeSecret = options.nudgeSecret;
    this.latency = { baseMs: options.latency?.baseMs ?? 0, perRowMs: options.latency?.perRowMs ?? 0 };
    this.methodLatencyMs = { ...options.methodLatencyMs };
    this.maxConcurrent = options.maxConcurrent ?? Infinity;
  }

  // ---- business side (what staff do in Odoo) -------------------------------------------

  addVendor(name: string, partnerCode: string | null, vat: string | null = null): SimVendor {
    const v = { id: this.nextId.vendor++, name, partner_code: partnerCode, vat };
    this.vendors.set(v.id, v);
    return v;
  }

  addPurchaseOrder(vendorId: number, lines: Omit<SimLine, "id" | "line_number">[], currency = "EUR"): SimPurchaseOrder {
    const id = this.nextId.order++;
    const now = new Date();
    const po: SimPurchaseOrder = {
      id,
      name: `P${String(id).padStart(5, "0")}`,
      vendor_id: vendorId,
      state: "draft",
      currency,
      order_date: now,
      planned_date: new Date(now.getTime() + 7 * 86_400_000),
      lines: lines.map((l) => ({ ...l, id: this.nextId.line++, line_number: null })),
    };
    this.orders.set(id, po);
    return po;
  }

  /**
   * `purchase.order.button_approve`: confirms the order and, in the same "transaction",
   * writes the outbox row; the nudge goes only after that commits.
   */
  approve(orderId: number): SimOutboxRow {
    const po = this.orders.get(orderId);
    if (!po) throw new RpcFault("odoo.exceptions.MissingError", `Record does not exist or has been deleted.\n(Record: purchase.order(${orderId},), User: ${this.uid})`);
    if (po.state === "purchase" || po.state === "cancel") throw new RpcFault("odoo.exceptions.UserError", "Unable to confirm an order in this state.");
    po.state = "purchase";
    let next = Math.max(0, ...po.lines.map((l) => l.line_number ?? 0));
    for (const line of po.lines) if (line.line_number === null) line.line_number = next += 10;
    const vendor = this.vendors.get(po.vendor_id)!;
    const row = this.emit("purchase_order.confirmed", "purchase.order", po.id, po.name, vendor.partner_code, this.purchaseOrderData(po));
    this.afterCommit(1);
    return row;
  }

  /** `purchase.order.button_cancel`: an approved order emits purchase_order.cancelled, like the addon. */
  cancel(orderId: number): void {
    const po = this.orders.get(orderId);
    if (!po) throw new RpcFault("odoo.exceptions.MissingError", `Record does not exist or has been deleted.\n(Record: purchase.order(${orderId},), User: ${this.uid})`);
    if (po.state === "cancel") return;
    const wasApproved = po.state === "purchase";
    po.state = "cancel";
    if (!wasApproved) return;
    this.emit("purchase_order.cancelled", "purchase.order", po.id, po.name, this.vendors.get(po.vendor_id)!.partner_code, this.purchaseOrderData(po));
    this.afterCommit(1);
  }

  /**
   * A delivery order for the carrier whose partner code is `carrierCode`, made ready as the
   * addon's `_connector_emit_ready` does: shipment.ready with addresses and parcels, routed by
   * the carrier's code. `shipTo` overrides the customer's address (e.g. one a carrier refuses).
   */
  readyDelivery(carrierCode: string, options: { service?: string | null; street?: string; parcels?: number } = {}): { picking: SimPicking; row: SimOutboxRow } {
    const picking = this.inbound.addDeliveryOrder(carrierCode);
    const address = (name: string, street: string, city: string, zip: string) => ({ name, company: null, street, street2: null, city, state: "CA", zip, country: "US", phone: "+1 555-555-5556", email: null });
    const parcel = { package: null, weight: 1.5, weight_uom: "KGM", length: 300.0, width: 200.0, height: 100.0, dimension_uom: "MMT" };
    const row = this.emit("shipment.ready", "stock.picking", picking.id, picking.name, carrierCode, {
      picking: picking.name,
      origin: "S00017",
      scheduled_date: iso(new Date(Date.now() + 86_400_000)),
      carrier: { partner_code: carrierCode, name: carrierCode, service: options.service === undefined ? "Priority" : options.service },
      ship_from: address("YourCompany", "250 Executive Park Blvd, Suite 3400", "San Francisco", "94134"),
      ship_to: address("Brandon Freeman", options.street ?? "4557 De Silva St", "Fremont", "94538"),
      parcels: Array.from({ length: options.parcels ?? 1 }, () => parcel),
      lines: [{ product_code: "FURN_7800", description: "[FURN_7800] Desk Combination", quantity: 1, uom: "C62" }],
    });
    this.afterCommit(1);
    return { picking, row };
  }

  /** A confirmed order changed by staff (quantities, prices): purchase_order.changed, like the addon's write hook. */
  change(orderId: number, mutate: (po: SimPurchaseOrder) => void): SimOutboxRow {
    const po = this.orders.get(orderId);
    if (!po || po.state !== "purchase") throw new Error(`purchase order ${orderId} is not confirmed`);
    mutate(po);
    const row = this.emit("purchase_order.changed", "purchase.order", po.id, po.name, this.vendors.get(po.vendor_id)!.partner_code, this.purchaseOrderData(po));
    this.afterCommit(1);
    return row;
  }

  /** The `data` of a purchase_order.confirmed event for an order, as the addon captures it. */
  purchaseOrderData(po: SimPurchaseOrder): Record<string, unknown> {
    const vendor = this.vendors.get(po.vendor_id)!;
    return {
      po_number: po.name,
      vendor_reference: null,
      vendor: { id: vendor.id, name: vendor.name, partner_code: vendor.partner_code, vat: vendor.vat },
      currency: po.currency,
      order_date: iso(po.order_date),
      planned_date: iso(po.planned_date),
      amount_untaxed: round2(po.lines.reduce((s, l) => s + l.quantity * l.unit_price, 0)),
      amount_total: round2(po.lines.reduce((s, l) => s + l.quantity * l.unit_price, 0) * 1.21),
      lines: po.lines.map((l) => ({
        line_number: l.line_number!,
        product_code: l.product_code,
        vendor_product_code: l.vendor_product_code,
        description: l.description,
        quantity: l.quantity,
        uom: l.uom,
        unit_price: l.unit_price,
        planned_date: iso(po.planned_date),
      })),
    };
  }

  /** Inserts an outbox row as `connector.outbox._emit` does (envelope, per-subject sequence). */
  emit(type: string, model: string, id: number, ref: string, partnerCode: string | null, data: Record<string, unknown>): SimOutboxRow {
    const subjectKey = `${model}:${id}`;
    const sequence = 1 + (this.lastSequence.get(subjectKey) ?? 0);
    this.lastSequence.set(subjectKey, sequence);
    const uuid = randomUUID();
    const payload = {
      id: uuid,
      type,
      version: 1,
      occurred_at: iso(new Date()),
      source: { system: "odoo", database: this.db, company: { id: 1, name: "YourCompany" } },
      subject: { model, id, ref },
      sequence,
      data,
    };
    const row: SimOutboxRow = {
      id: this.nextId.outbox++,
      event_uuid: uuid,
      event_type: type,
      subject_model: model,
      subject_id: id,
      subject_ref: ref,
      sequence,
      payload,
      partner_code: partnerCode,
      state: "pending",
      attempts: 0,
      last_error: null,
      lease_until: null,
      lease_token: null,
      lease_consumer: null,
      lease_generation: null,
      delivered_at: null,
      replay: false,
    };
    this.outbox.push(row);
    this.outboxByUuid.set(uuid, row);
    return row;
  }

  /** Staff press Retry on a failed or dead row. */
  retry(outboxId: number): void {
    const row = this.outbox.find((r) => r.id === outboxId);
    if (!row) throw new Error(`no outbox row ${outboxId}`);
    Object.assign(row, { state: "pending", replay: true, lease_until: null, lease_token: null, lease_consumer: null, lease_generation: null });
    this.afterCommit(1);
  }

  /** The addon's post-commit nudge: signed, 2 s timeout, a failure only counted. */
  afterCommit(count: number): void {
    if (!this.sidecarUrl || !this.nudgeSecret) return;
    const body = JSON.stringify({ database: this.db, count });
    const t = Math.floor(Date.now() / 1000);
    const v1 = createHmac("sha256", this.nudgeSecret).update(`${t}.${body}`).digest("hex");
    fetch(new URL("/nudge", this.sidecarUrl), {
      method: "POST",
      headers: { "content-type": "application/json", "x-connector-signature": `t=${t},v1=${v1}` },
      body,
      signal: AbortSignal.timeout(2_000),
    })
      .then((r) => {
        if (r.ok) this.nudgesSent++;
        else this.nudgesFailed++;
        return r.body?.cancel();
      })
      .catch(() => this.nudgesFailed++);
  }

  // ---- the addon's RPC surface -----------------------------------------------------------

  claimBatch(kwargs: Record<string, unknown>): unknown {
    const limit = kwargs.limit ?? 500;
    const leaseSeconds = kwargs.lease_seconds ?? 120;
    const raw = kwargs.raw_payload ?? false;
    if (typeof raw !== "boolean") throw new RpcFault("odoo.exceptions.ValidationError", "raw_payload must be true or false");
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 5000) throw new RpcFault("odoo.exceptions.ValidationError", "limit must be an integer between 1 and 5000");
    if (!Number.isInteger(leaseSeconds) || (leaseSeconds as number) < 1 || (leaseSeconds as number) > 86_400) throw new RpcFault("odoo.exceptions.ValidationError", "lease_seconds must be an integer between 1 and 86400");
    // consumer + generation (both or neither): rows an earlier generation of the same consumer holds are claimable at once.
    const consumer = kwargs.consumer ?? null;
    const generation = kwargs.generation ?? null;
    if (consumer !== null || generation !== null) {
      if (typeof consumer !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(consumer)) throw new RpcFault("odoo.exceptions.ValidationError", "consumer must be a string of 1 to 128 letters, digits or . _ : -");
      if (!Number.isInteger(generation) || (generation as number) < 1 || (generation as number) > 2 ** 31 - 1) throw new RpcFault("odoo.exceptions.ValidationError", "generation must be an integer from 1 to 2147483647, given with consumer");
    }
    const now = Date.now();
    const token = randomUUID().replace(/-/g, "");
    const leaseUntil = now + (leaseSeconds as number) * 1000;
    const claimed: SimOutboxRow[] = [];
    for (const row of this.outbox) {
      if (claimed.length >= (limit as number)) break;
      const takenBack = consumer !== null && row.lease_consumer === consumer && (row.lease_generation ?? 0) < (generation as number);
      if (row.state === "pending" || (row.state === "leased" && ((row.lease_until ?? 0) < now || takenBack))) claimed.push(row);
    }
    for (const row of claimed) Object.assign(row, { state: "leased", lease_until: leaseUntil, lease_token: token, lease_consumer: consumer, lease_generation: generation, attempts: row.attempts + 1 });
    return {
      lease_token: token,
      lease_until: iso(new Date(leaseUntil)),
      events: claimed.map((r) => (raw ? { outbox_id: r.id, replay: r.replay, event_json: JSON.stringify(r.payload) } : { outbox_id: r.id, replay: r.replay, event: r.payload })),
    };
  }

  /** `record_results`, with the addon's exact rules (contracts/odoo-rpc.md, tools/results.py). */
  recordResults(results: unknown): unknown {
    const invalid = (msg: string) => new RpcFault("odoo.exceptions.ValidationError", msg);
    if (!Array.isArray(results)) throw invalid("results must be a list");
    if (results.length > 5000) throw invalid("at most 5000 results per call");
    const KEYS = new Set(["event_id", "state", "partner", "attempts", "error", "at"]);
    // Validate everything first: a malformed entry changes nothing.
    const parsed = results.map((r, i) => {
      const fail = (msg: string) => invalid(`results[${i}]: ${msg}`);
      if (typeof r !== "object" || r === null || Array.isArray(r)) throw fail("must be an object");
      const e = r as Record<string, unknown>;
      const extra = Object.keys(e).filter((k) => !KEYS.has(k)).sort();
      if (extra.length) throw fail(`unknown keys ${extra.join(", ")}`);
      if (e.event_id === undefined || e.state === undefined) throw fail("event_id and state are required");
      if (!["delivered", "failed", "dead"].includes(e.state as string)) throw fail("state must be one of delivered, failed, dead");
      if (typeof e.event_id !== "string") throw fail("event_id must be a string");
      if (!UUID_RE.test(e.event_id)) throw fail(`event_id '${e.event_id}' is not a UUID`);
      if (e.partner !== undefined && e.partner !== null && (typeof e.partner !== "string" || e.partner.length < 1 || e.partner.length > 64)) throw fail("partner must be a string of 1 to 64 characters or null");
      if (e.attempts !== undefined && e.attempts !== null && (!Number.isInteger(e.attempts) || (e.attempts as number) < 0)) throw fail("attempts must be a non-negative integer or null");
      if (e.error !== undefined && e.error !== null && (typeof e.error !== "string" || e.error.length > 2000)) throw fail("error must be a string of at most 2000 characters or null");
      if (e.at !== undefined && e.at !== null && (typeof e.at !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(e.at))) throw fail(`expected a UTC ISO 8601 datetime ending in Z, got '${String(e.at)}'`);
      return { event_id: e.event_id.toLowerCase(), state: e.state as "delivered" | "failed" | "dead", partner: (e.partner as string | null | undefined) ?? null, attempts: (e.attempts as number | null | undefined) ?? null, error: (e.error as string | null | undefined) ?? null, at: (e.at as string | null | undefined) ?? null };
    });
    // One outcome per event: the most final wins (delivered over dead over failed).
    const precedence = { failed: 0, dead: 1, delivered: 2 } as const;
    const byEvent = new Map<string, (typeof parsed)[number]>();
    for (const entry of parsed) {
      const kept = byEvent.get(entry.event_id);
      if (!kept || precedence[entry.state] >= precedence[kept.state]) byEvent.set(entry.event_id, entry);
    }
    const from: Record<string, readonly string[]> = { delivered: ["leased", "failed", "dead"], failed: ["leased", "failed"], dead: ["leased", "failed"] };
    let updated = 0;
    const unknown: string[] = [];
    const ignored: string[] = [];
    for (const r of byEvent.values()) {
      const row = this.outboxByUuid.get(r.event_id);
      if (!row) {
        unknown.push(r.event_id);
        continue;
      }
      if (!from[r.state]!.includes(row.state)) {
        ignored.push(r.event_id);
        continue;
      }
      row.state = r.state;
      row.last_error = r.state === "delivered" || !r.error ? null : r.partner ? `[${r.partner}] ${r.error}` : r.error;
      row.attempts = Math.max(row.attempts, r.attempts ?? 0);
      row.lease_until = null;
      row.lease_token = null;
      row.lease_consumer = null;
      row.lease_generation = null;
      if (r.state === "delivered") row.delivered_at = r.at ?? iso(new Date());
      updated++;
    }
    return { updated, unknown, ignored };
  }

  /** `reconcile_view`, as the addon answers it (contracts/odoo-rpc.md): reads, changes nothing. */
  reconcileView(kwargs: Record<string, unknown>): unknown {
    const invalid = (msg: string) => new RpcFault("odoo.exceptions.ValidationError", msg);
    const eventIds = kwargs.event_ids ?? [];
    const consumer = kwargs.consumer ?? null;
    const limit = kwargs.limit ?? 1000;
    if (!Array.isArray(eventIds) || eventIds.length > 5000) throw invalid("event_ids must be a list of at most 5000 event ids");
    const ids = eventIds.map((id: unknown) => {
      if (typeof id !== "string") throw invalid("event_id must be a string");
      if (UUID_RE.test(id)) return id.toLowerCase();
      // Python's uuid.UUID also reads these forms, which are then not canonical.
      if (/^(urn:uuid:)?\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(id)) throw invalid(`event_id '${id}' is not a canonical UUID`);
      throw invalid(`event_id '${id}' is not a UUID`);
    });
    if (consumer !== null && (typeof consumer !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(consumer))) throw invalid("consumer must be a string of 1 to 128 letters, digits or . _ : -");
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 5000) throw invalid("limit must be an integer from 1 to 5000");
    const now = Date.now();
    const found = new Map<number, SimOutboxRow>();
    for (const id of ids) {
      const row = this.outboxByUuid.get(id);
      if (row) found.set(row.id, row);
    }
    let truncated = false;
    if (consumer !== null) {
      let n = 0;
      for (const row of this.outbox) {
        if (row.state !== "leased" || (row.lease_consumer !== consumer && (row.lease_until ?? 0) >= now)) continue;
        if (n === limit) {
          truncated = true;
          break;
        }
        found.set(row.id, row);
        n++;
      }
    }
    const at = (ms: number | null) => (ms === null ? null : iso(new Date(Math.floor(ms / 1000) * 1000)));
    return {
      now: at(now),
      leased_truncated: truncated,
      rows: [...found.values()]
        .sort((a, b) => a.id - b.id)
        .map((r) => ({ outbox_id: r.id, event_id: r.event_uuid, state: r.state, replay: r.replay, lease_consumer: r.lease_consumer, lease_generation: r.lease_generation, lease_until: at(r.lease_until), attempts: r.attempts })),
    };
  }

  private dispatch(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): { result: unknown; rows: number } {
    if (method.startsWith("_")) throw new RpcFault("odoo.exceptions.AccessError", `Private methods (such as ${method}) cannot be called remotely.`);
    switch (`${model}/${method}`) {
      case "connector.outbox/claim_batch": {
        const result = this.claimBatch({ ...(args[0] !== undefined ? { limit: args[0] } : {}), ...(args[1] !== undefined ? { lease_seconds: args[1] } : {}), ...(args[2] !== undefined ? { raw_payload: args[2] } : {}), ...(args[3] !== undefined ? { consumer: args[3] } : {}), ...(args[4] !== undefined ? { generation: args[4] } : {}), ...kwargs }) as { events: unknown[] };
        return { result, rows: result.events.length };
      }
      case "connector.outbox/reconcile_view": {
        const result = this.reconcileView({ ...(args[0] !== undefined ? { event_ids: args[0] } : {}), ...(args[1] !== undefined ? { consumer: args[1] } : {}), ...(args[2] !== undefined ? { limit: args[2] } : {}), ...kwargs }) as { rows: unknown[] };
        return { result, rows: result.rows.length };
      }
      case "connector.outbox/record_results": {
        const results = args[0] ?? kwargs.results;
        return { result: this.recordResults(results), rows: Array.isArray(results) ? results.length : 0 };
      }
      case "connector.inbound/apply_events": {
        const events = args[0] ?? kwargs.events;
        try {
          return { result: this.inbound.applyEvents(events), rows: Array.isArray(events) ? events.length : 0 };
        } catch (err) {
          if (err instanceof CallError) throw new RpcFault("odoo.exceptions.ValidationError", err.message);
          throw err;
        }
      }
      case "purchase.order/button_cancel": {
        const ids = args[0];
        if (!Array.isArray(ids)) throw new RpcFault("odoo.exceptions.ValidationError", "expected a list of ids");
        for (const id of ids) this.cancel(Number(id));
        return { result: true, rows: ids.length };
      }
      case "connector.outbox/search_count":
        return { result: this.outbox.length, rows: 0 };
      case "purchase.order/button_approve":
      case "purchase.order/button_confirm": {
        const ids = args[0];
        if (!Array.isArray(ids)) throw new RpcFault("odoo.exceptions.ValidationError", "expected a list of ids");
        for (const id of ids) this.approve(Number(id));
        return { result: true, rows: ids.length };
      }
    }
    if (!["connector.outbox", "connector.inbound", "purchase.order", "res.partner", "stock.picking"].includes(model)) throw new RpcFault("odoo.exceptions.UserError", `Object ${model} doesn't exist`);
    throw new RpcFault("builtins.AttributeError", `The method '${method}' does not exist on the model '${model}'`);
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down || this.inFlight >= this.maxConcurrent) {
      req.resume();
      if (!this.down) this.poolFullAnswers++;
      res.writeHead(500, { "content-type": "text/html; charset=utf-8" }).end(POOL_FULL_HTML);
      return;
    }
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (req.method !== "POST" || req.url !== "/jsonrpc") {
        req.resume();
        res.writeHead(404, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>404 Not Found</title><h1>Not Found</h1>");
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let body: { id?: unknown; params?: { service?: string; method?: string; args?: unknown[] } };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>400 Bad Request</title><h1>Bad Request</h1>");
        return;
      }
      const id = body.id ?? null;
      const answer = (payload: object) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id, ...payload }));
      try {
        const { result, rows } = this.call(body.params?.service, body.params?.method, body.params?.args ?? []);
        const cost = this.latency.baseMs + this.latency.perRowMs * rows + (this.methodLatencyMs[String((body.params?.args ?? [])[4])] ?? 0);
        if (cost > 0) await new Promise((r) => setTimeout(r, cost));
        // Odoo 18 leaves result out when the method returned None.
        answer(result === null || result === undefined ? {} : { result });
      } catch (err) {
        if (!(err instanceof RpcFault)) throw err;
        if (this.latency.baseMs > 0) await new Promise((r) => setTimeout(r, this.latency.baseMs));
        answer({
          error: {
            code: 200,
            message: "Odoo Server Error",
            data: { name: err.odooName, debug: `Traceback (most recent call last):\n  (simulated)\n${err.odooName}: ${err.message}\n`, message: err.message, arguments: [err.message], context: {} },
          },
        });
      }
    } finally {
      this.inFlight--;
    }
  }

  private call(service: string | undefined, method: string | undefined, args: unknown[]): { result: unknown; rows: number } {
    if (service === "common" && method === "version") {
      return { result: { server_version: "18.0+e-20241005", server_version_info: [18, 0, 0, "final", 0, "e"], server_serie: "18.0", protocol_version: 1 }, rows: 0 };
    }
    if (service === "common" && method === "authenticate") {
      const [db, login, key] = args;
      this.checkDb(db);
      return { result: login === this.login && key === this.apiKey ? this.uid : false, rows: 0 };
    }
    if (service === "object" && method === "execute_kw") {
      const [db, uid, key, model, m, a, kw] = args as [unknown, unknown, unknown, string, string, unknown[] | undefined, Record<string, unknown> | undefined];
      this.checkDb(db);
      if (uid !== this.uid || key !== this.apiKey) throw new RpcFault("odoo.exceptions.AccessDenied", "Access Denied");
      this.calls.push({ model, method: m });
      return this.dispatch(model, m, a ?? [], kw ?? {});
    }
    throw new RpcFault("builtins.KeyError", `'${String(method)}'`);
  }

  private checkDb(db: unknown): void {
    if (db !== this.db) {
      const msg = `connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "${String(db)}" does not exist\n`;
      throw new RpcFault("psycopg2.OperationalError", msg);
    }
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.writeHead(500, { "content-type": "text/html" }).end(POOL_FULL_HTML);
        console.error("simulator bug", err);
      });
    });
    this.url = await listenLoopback(this.server!, port);
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await closeServer(this.server);
    this.server = null;
  }

  /**
   * The sidecar settings that point at this simulator (its URL, database, integration login
   * and API key), for an in-process sidecar; `overrides` add or replace settings.
   */
  sidecarSettings(nudgeSecret: string, storePath: string, overrides: Record<string, string> = {}): Record<string, string> {
    return {
      ODOO_URL: this.url,
      ODOO_DB: this.db,
      ODOO_USER: this.login,
      ODOO_API_KEY: this.apiKey,
      ODC_NUDGE_SECRET: nudgeSecret,
      ODC_PARTNERS_FILE: "(inline)",
      ODC_DB_PATH: storePath,
      ODC_PORT: "0",
      ...overrides,
    };
  }

  countByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.outbox) out[r.state] = (out[r.state] ?? 0) + 1;
    return out;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
