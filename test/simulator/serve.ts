/**
 * The Odoo simulator and partner receivers as a standalone process, for tests and benchmarks
 * that run the real sidecar process (`odc serve`) and kill it: they need the other side to
 * outlive it.
 *
 *   npx tsx test/simulator/serve.ts '{"partners":[{"code":"WOODCORNER","secrets":["whsec_..."]}]}'
 *   ODC_SIM_CONFIG='{...}' node --import tsx test/simulator/serve.ts
 *
 * Everything listens on 127.0.0.1 only. When ready it prints one JSON line:
 *   {"ready":true,"odoo":{"url","db","login","apiKey"},"partners":{"<code>":"<url>"},"control":"<url>"}
 *
 * Control API (JSON in and out):
 *   POST /control/seed     {vendorCode, count, subjects?, orders?, nudge?}  emit `count`
 *                          purchase_order.confirmed rows round-robin over `subjects` new orders, or
 *                          over the existing `orders` (ids) (sequence 1, 2, ... per order)
 *   POST /control/approve  {vendorCode, count}  create and approve `count` orders (one nudge each)
 *   GET  /control/progress outbox counts by state and accepted counts, cheap enough to poll
 *   GET  /control/state?window=<ms>  full summary: outbox, calls, nudges, and per partner its
 *                          requests by outcome, accepted/unique/duplicates, body-id mismatches,
 *                          order violations, missing events, largest count in any window
 *   GET  /control/arrivals?code=<code>  arrival times of every request to that partner
 *   GET  /control/inbound  what connector.inbound.apply_events took: events kept (one per id),
 *                          items sent, repeats (answered duplicate), each subject's event ids
 *                          in the order first applied, outcomes of the kept events
 *   POST /control/odoo     {down?, latency?, methodLatencyMs?, sidecarUrl?}
 *   POST /control/partner  {code, faults?: FaultScheduleOptions|null, clear?: true}
 *   POST /control/stop     exits
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { FaultSchedule, type FaultScheduleOptions } from "../faults/fault-schedule.ts";
import { summarizeAccepted } from "../support/accepted.ts";
import { OdooSimulator, type SimVendor } from "./odoo.ts";
import { PartnerReceiver } from "./partner.ts";

export interface ServePartnerConfig {
  code: string;
  port?: number;
  /** Standard Webhooks secrets the receiver verifies with. */
  secrets: string[];
  /** Vendor partner codes whose events this partner receives (for `missing`); default its own code. */
  routes?: string[];
  faults?: FaultScheduleOptions | null;
  /** Window for `maxInWindow` in /control/state when none is asked for. */
  windowMs?: number;
}

export interface ServeConfig {
  controlPort?: number;
  odoo?: {
    port?: number;
    db?: string;
    login?: string;
    apiKey?: string;
    nudgeSecret?: string;
    sidecarUrl?: string;
    latency?: { baseMs?: number; perRowMs?: number };
    methodLatencyMs?: Record<string, number>;
    maxConcurrent?: number;
  };
  partners?: ServePartnerConfig[];
}

export interface ServeReady {
  ready: true;
  odoo: { url: string; db: string; login: string; apiKey: string };
  partners: Record<string, string>;
  control: string;
}

interface PartnerEntry {
  config: ServePartnerConfig;
  receiver: PartnerReceiver;
  schedule: FaultSchedule | null;
}

const HOST = "127.0.0.1";

function lines() {
  return [
    { product_code: "FURN_7800", vendor_product_code: "WC-DESK-CMB", description: "[FURN_7800] Desk Combination", quantity: 3, uom: "C62", unit_price: 450 },
    { product_code: "FURN_0001", vendor_product_code: null, description: "Wood panel, oak", quantity: 22.5, uom: "KGM", unit_price: 10 },
  ];
}

export async function startServe(config: ServeConfig, onStopRequested: () => void = () => {}): Promise<{ ready: ServeReady; stop(): Promise<void> }> {
  const o = config.odoo ?? {};
  const odoo = new OdooSimulator({
    ...(o.db ? { db: o.db } : {}),
    ...(o.login ? { login: o.login } : {}),
    ...(o.apiKey ? { apiKey: o.apiKey } : {}),
    ...(o.nudgeSecret ? { nudgeSecret: o.nudgeSecret } : {}),
    ...(o.sidecarUrl ? { sidecarUrl: o.sidecarUrl } : {}),
    ...(o.latency ? { latency: o.latency } : {}),
    ...(o.methodLatencyMs ? { methodLatencyMs: o.methodLatencyMs } : {}),
    ...(o.maxConcurrent ? { maxConcurrent: o.maxConcurrent } : {}),
  });
  await odoo.start(o.port ?? 0);

  const partners = new Map<string, PartnerEntry>();
  for (const p of config.partners ?? []) {
    const schedule = p.faults ? new FaultSchedule(p.faults) : null;
    const receiver = new PartnerReceiver(p.secrets, (n) => (entry.schedule ? entry.schedule.fault(n) : null));
    const entry: PartnerEntry = { config: p, receiver, schedule };
    partners.set(p.code, entry);
    await receiver.start(p.port ?? 0);
  }

  const vendors = new Map<string, SimVendor>();
  const vendorFor = (code: string) => {
    let v = vendors.get(code);
    if (!v) {
      v = odoo.addVendor(`Vendor ${code}`, code);
      vendors.set(code, v);
    }
    return v;
  };

  const seed = (body: { vendorCode?: string; count?: number; subjects?: number; orders?: number[]; nudge?: boolean }) => {
    const vendorCode = body.vendorCode ?? [...partners.keys()][0] ?? "WOODCORNER";
    const count = Math.max(0, Math.floor(body.count ?? 0));
    const vendor = vendorFor(vendorCode);
    const orders = body.orders?.length
      ? body.orders.map((id) => {
          const po = odoo.orders.get(id);
          if (!po) throw new Error(`no order ${id}`);
          return { po, data: odoo.purchaseOrderData(po) };
        })
      : Array.from({ length: Math.max(1, Math.min(Math.floor(body.subjects ?? count), Math.max(count, 1))) }, () => {
          const po = odoo.addPurchaseOrder(vendor.id, lines());
          // Confirmed as button_approve would, without emitting: the rows come below, many per order.
          po.state = "purchase";
          po.lines.forEach((l, i) => (l.line_number = 10 * (i + 1)));
          return { po, data: odoo.purchaseOrderData(po) };
        });
    const subjects = orders.length;
    const first = odoo.outbox.length;
    for (let i = 0; i < count; i++) {
      const { po, data } = orders[i % subjects]!;
      odoo.emit("purchase_order.confirmed", "purchase.order", po.id, po.name, vendorCode, data);
    }
    if (body.nudge !== false && count > 0) odoo.afterCommit(count);
    return { rows: count, subjects, order_ids: orders.map((o) => o.po.id), order_names: orders.map((o) => o.po.name), first_outbox_id: odoo.outbox[first]?.id ?? null, last_outbox_id: odoo.outbox[odoo.outbox.length - 1]?.id ?? null };
  };

  const approve = (body: { vendorCode?: string; count?: number }) => {
    const vendor = vendorFor(body.vendorCode ?? [...partners.keys()][0] ?? "WOODCORNER");
    const ids: number[] = [];
    for (let i = 0; i < Math.max(0, Math.floor(body.count ?? 1)); i++) ids.push(odoo.approve(odoo.addPurchaseOrder(vendor.id, lines()).id).id);
    return { rows: ids.length, outbox_ids: ids };
  };

  const callCounts = () => {
    const out: Record<string, number> = {};
    for (const c of odoo.calls) out[c.method] = (out[c.method] ?? 0) + 1;
    return out;
  };

  const progress = () => ({
    outbox: { total: odoo.outbox.length, ...odoo.countByState() },
    partners: Object.fromEntries([...partners].map(([code, e]) => [code, { requests: e.receiver.arrivals.length, accepted: e.receiver.accepted.length, unique: e.receiver.uniqueIds.size }])),
  });

  const state = (windowParam: string | null) => {
    const partnerStates = Object.fromEntries(
      [...partners].map(([code, e]) => {
        const r = e.receiver;
        const routes = new Set(e.config.routes ?? [code]);
        const ids = r.uniqueIds;
        const missing: string[] = [];
        for (const row of odoo.outbox) if (row.partner_code !== null && routes.has(row.partner_code) && !ids.has(row.event_uuid)) missing.push(row.event_uuid);
        const outcomes: Record<string, number> = {};
        for (const q of r.requests) outcomes[q.outcome] = (outcomes[q.outcome] ?? 0) + 1;
        const windowMs = Number(windowParam ?? e.config.windowMs ?? 1000);
        return [
          code,
          {
            requests: r.arrivals.length,
            outcomes,
            ...summarizeAccepted(r.accepted),
            rejected_signatures: r.rejectedSignatures,
            missing: missing.length,
            missing_sample: missing.slice(0, 10),
            window_ms: windowMs,
            max_in_window: r.maxInWindow(windowMs),
            max_in_flight: r.maxInFlight,
            injected: e.schedule?.injected ?? null,
          },
        ];
      }),
    );
    return { outbox: { total: odoo.outbox.length, ...odoo.countByState() }, calls: callCounts(), nudges: { sent: odoo.nudgesSent, failed: odoo.nudgesFailed }, odoo: { max_in_flight: odoo.maxInFlight, pool_full: odoo.poolFullAnswers }, partners: partnerStates };
  };

  const inbound = () => {
    const firstApplied: Record<string, string[]> = {};
    const seen = new Set<string>();
    let items = 0;
    let repeats = 0;
    for (const call of odoo.inbound.calls) {
      for (const item of call) {
        items++;
        const id = String(item.event_id).toLowerCase();
        if (seen.has(id)) {
          repeats++;
          continue;
        }
        seen.add(id);
        (firstApplied[item.subject_ref] ??= []).push(id);
      }
    }
    const outcomes: Record<string, number> = {};
    for (const r of odoo.inbound.rows.values()) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    return { rows: odoo.inbound.rows.size, calls: odoo.inbound.calls.length, items, repeats, first_applied: firstApplied, outcomes };
  };

  const control = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { error: String(err instanceof Error ? err.message : err) }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${HOST}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case "POST /control/seed":
        return send(res, 200, seed(body));
      case "POST /control/approve":
        return send(res, 200, approve(body));
      case "GET /control/progress":
        return send(res, 200, progress());
      case "GET /control/state":
        return send(res, 200, state(url.searchParams.get("window")));
      case "GET /control/inbound":
        return send(res, 200, inbound());
      case "GET /control/arrivals": {
        const e = partners.get(url.searchParams.get("code") ?? "");
        if (!e) return send(res, 404, { error: "no such partner" });
        return send(res, 200, { arrivals: e.receiver.arrivals });
      }
      case "POST /control/odoo": {
        if (typeof body.down === "boolean") odoo.down = body.down;
        if (body.latency) odoo.latency = { baseMs: 0, perRowMs: 0, ...(body.latency as object) };
        if (body.methodLatencyMs) odoo.methodLatencyMs = { ...(body.methodLatencyMs as Record<string, number>) };
        if (typeof body.sidecarUrl === "string") odoo.sidecarUrl = body.sidecarUrl || undefined;
        return send(res, 200, { ok: true });
      }
      case "POST /control/partner": {
        const e = partners.get(String(body.code));
        if (!e) return send(res, 404, { error: "no such partner" });
        if (body.faults !== undefined) e.schedule = body.faults ? new FaultSchedule(body.faults as FaultScheduleOptions) : null;
        if (body.clear === true) {
          e.receiver.accepted.length = 0;
          e.receiver.arrivals.length = 0;
          e.receiver.requests.length = 0;
        }
        return send(res, 200, { ok: true });
      }
      case "POST /control/stop":
        send(res, 200, { ok: true });
        onStopRequested();
        return;
      default:
        return send(res, 404, { error: `no route ${route}` });
    }
  }
  await new Promise<void>((r) => control.listen(config.controlPort ?? 0, HOST, r));

  const ready: ServeReady = {
    ready: true,
    odoo: { url: odoo.url, db: odoo.db, login: odoo.login, apiKey: odoo.apiKey },
    partners: Object.fromEntries([...partners].map(([code, e]) => [code, e.receiver.url])),
    control: `http://${HOST}:${(control.address() as AddressInfo).port}`,
  };
  const stop = async () => {
    control.closeAllConnections();
    await new Promise<void>((r) => control.close(() => r()));
    for (const e of partners.values()) await e.receiver.stop();
    await odoo.stop();
  };
  return { ready, stop };

  function send(res: ServerResponse, status: number, value: unknown): void {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
  }
}

async function main(): Promise<void> {
  const raw = process.argv[2] ?? process.env.ODC_SIM_CONFIG ?? "{}";
  const config = JSON.parse(raw) as ServeConfig;
  let stopping = false;
  const exit = () => {
    if (stopping) return;
    stopping = true;
    served.stop().finally(() => process.exit(0));
  };
  const served = await startServe(config, exit);
  process.stdout.write(`${JSON.stringify(served.ready)}\n`);
  process.once("SIGTERM", exit);
  process.once("SIGINT", exit);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) void main();
