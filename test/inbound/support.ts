import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { standardWebhookSignature, webhookSecretKey } from "../../sidecar/src/partners/canonical/index.ts";
import { aftershipSignature, easypostSignature, shippoSignature } from "../../sidecar/src/partners/verify/index.ts";
import { Sidecar } from "../../sidecar/src/service.ts";
import type { SimPurchaseOrder } from "../simulator/odoo.ts";
import { OdooSimulator } from "../simulator/odoo.ts";
import { NUDGE_SECRET, demoLines, waitFor } from "../support/harness.ts";

export { waitFor, demoLines };

/** Secrets of the test partners (values, as the environment would hold them). */
export const SECRETS = {
  WOODCORNER: "s3cret-wood",
  DNAS: "password123",
  FOCXML: "abracadabra",
  EASYPOST: "sécret",
  EASYPOST_TEST: "easypost-test-secret",
  SHIPPO: "shippo-hmac-secret",
  SHIPPO_TOKEN: "shippo-url-token-0123456789abcdef",
  AFTERSHIP: "aftership-secret",
  CANONICAL: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  PEPPOL: "whsec_cGVwcG9sLXN1cHBsaWVyLXNlY3JldC0wMTIzNDU2Nzg5",
} as const;

export const ADMIN_TOKEN = "admin-token-for-inbound-tests-0123";

export interface InboundStack {
  odoo: OdooSimulator;
  sidecar: Sidecar;
  url: string;
  dir: string;
  logs: string[];
  /** Creates an approved PO of `vendorCode` with the demo lines (10: 3 C62, 20: 22.5 KGM), named `name` when given. */
  approvedPo(vendorCode: string, name?: string): SimPurchaseOrder;
  post(partner: string, body: string | Buffer, headers?: Record<string, string>, query?: string): Promise<{ status: number; text: string; json: () => unknown; headers: Headers }>;
  stop(): Promise<void>;
}

export interface InboundStackOptions {
  env?: Record<string, string>;
  /** Changes to the inbound sections, by partner code. */
  inbound?: Record<string, Record<string, unknown>>;
  logLevel?: string;
}

const inboundPartners = (over: InboundStackOptions["inbound"] = {}) => {
  const p = (code: string, inbound: Record<string, unknown>) => ({ code, inbound: { ...inbound, ...over[code] } });
  return [
    p("WOODCORNER", { format: "cxml", verification: { scheme: "cxml_shared_secret", secrets: ["env:WOODCORNER"] }, rate: { requests: 10_000, per_ms: 1000 } }),
    p("DNAS", { format: "cxml", verification: { scheme: "cxml_shared_secret", secrets: ["env:DNAS"] }, units: { standard: "x12" } }),
    p("FOCXML", { format: "cxml", verification: { scheme: "cxml_shared_secret", secrets: ["env:FOCXML"], sender_identity: "AN00000123" } }),
    p("PEPPOL", { format: "ubl", verification: { scheme: "standard_webhooks", secrets: ["env:PEPPOL"] } }),
    p("EASYPOST", { format: "easypost", verification: { scheme: "easypost_hmac", secrets: ["env:EASYPOST"] }, rate: { requests: 10_000, per_ms: 1000 }, coalesce_ms: 50 }),
    p("EASYPOST-TEST", { format: "easypost", verification: { scheme: "easypost_hmac", secrets: ["env:EASYPOST_TEST"] }, test_partner: true, coalesce_ms: 50 }),
    p("SHIPPO", { format: "shippo", verification: { scheme: "shippo_hmac", secrets: ["env:SHIPPO"] }, rate: { requests: 10_000, per_ms: 1000 }, coalesce_ms: 50 }),
    p("SHIPPO-TOKEN", { format: "shippo", verification: { scheme: "url_token", secrets: ["env:SHIPPO_TOKEN"] }, coalesce_ms: 50 }),
    p("AFTERSHIP", { format: "aftership", verification: { scheme: "aftership_hmac", secrets: ["env:AFTERSHIP"] }, rate: { requests: 10_000, per_ms: 1000 }, coalesce_ms: 50 }),
    p("CANON", { format: "canonical", verification: { scheme: "standard_webhooks", secrets: ["env:CANONICAL"] }, rate: { requests: 10_000, per_ms: 1000 }, coalesce_ms: 50 }),
  ];
};

/** Odoo simulator + a real sidecar (temporary SQLite) with inbound partners of every format. */
export async function startInboundStack(options: InboundStackOptions = {}): Promise<InboundStack> {
  const dir = mkdtempSync(join(tmpdir(), "odc-inbound-"));
  const odoo = new OdooSimulator({ nudgeSecret: NUDGE_SECRET });
  await odoo.start();
  const env = loadEnv(
    odoo.sidecarSettings(NUDGE_SECRET, join(dir, "store.sqlite"), {
      ODC_POLL_INTERVAL_MS: "60000",
      ODC_LOG_LEVEL: options.logLevel ?? "warn",
      ODC_ADMIN_TOKEN: ADMIN_TOKEN,
      ODC_INBOUND_RETRY_MAX_MS: "200",
      ...options.env,
    }),
  );
  const partners = parsePartners({ partners: inboundPartners(options.inbound) }, { ...SECRETS });
  const logs: string[] = [];
  const log = createLogger(env.ODC_LOG_LEVEL, { write: (line: string) => void logs.push(line) });
  const sidecar = new Sidecar({ env, partners, log });
  const port = await sidecar.start();
  const url = `http://127.0.0.1:${port}`;
  odoo.sidecarUrl = url;
  const vendors = new Map<string, number>();
  return {
    odoo,
    sidecar,
    url,
    dir,
    logs,
    approvedPo(vendorCode, name) {
      let vendorId = vendors.get(vendorCode);
      if (vendorId === undefined) vendors.set(vendorCode, (vendorId = odoo.addVendor(`Vendor ${vendorCode}`, vendorCode).id));
      const po = odoo.addPurchaseOrder(vendorId, demoLines());
      if (name) po.name = name;
      odoo.approve(po.id);
      return po;
    },
    async post(partner, body, headers = {}, query = "") {
      const res = await fetch(`${url}/inbound/${partner}${query}`, { method: "POST", headers, body: typeof body === "string" ? body : new Uint8Array(body) });
      const text = await res.text();
      return { status: res.status, text, json: () => JSON.parse(text) as unknown, headers: res.headers };
    },
    async stop() {
      await sidecar.stop(1_000);
      await odoo.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- signing, as each partner does -------------------------------------------------------

export const signed = {
  easypost: (body: string | Buffer, secret: string = SECRETS.EASYPOST) => ({ "content-type": "application/json", "x-hmac-signature": easypostSignature(body, secret) }),
  shippo: (body: string | Buffer, secret: string = SECRETS.SHIPPO, t = Math.floor(Date.now() / 1000)) => ({ "content-type": "application/json", "shippo-auth-signature": `t=${t},v1=${shippoSignature(body, secret, t)}` }),
  aftership: (body: string | Buffer, secret: string = SECRETS.AFTERSHIP) => ({ "content-type": "application/json", "aftership-hmac-sha256": aftershipSignature(body, secret) }),
  standard: (body: string | Buffer, secret: string = SECRETS.CANONICAL, id: string = randomUUID(), at = new Date(), contentType = "application/json") => ({
    "content-type": contentType,
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    // The standardwebhooks package signs strings; raw bytes (not UTF-8) are signed as they are.
    "webhook-signature":
      typeof body === "string" ? new Webhook(secret).sign(id, at, body) : `v1,${standardWebhookSignature(webhookSecretKey(secret)!, id, Math.floor(at.getTime() / 1000), body)}`,
  }),
  xml: () => ({ "content-type": "text/xml; charset=utf-8" }),
};

// ---- documents we generate -----------------------------------------------------------------

const cxmlHeader = (identity: string, secret: string) =>
  `<Header><From><Credential domain="NetworkID"><Identity>${identity}</Identity></Credential></From><To><Credential domain="NetworkID"><Identity>YOURCOMPANY</Identity></Credential></To>` +
  `<Sender><Credential domain="NetworkID"><Identity>${identity}</Identity><SharedSecret>${secret}</SharedSecret></Credential><UserAgent>test</UserAgent></Sender></Header>`;

export interface ConfirmationLine {
  line: number;
  quantity: number;
  uom?: string;
  statuses: { type: string; quantity: number; deliveryDate?: string; comment?: string }[];
}

/** A cXML ConfirmationRequest. */
export function cxmlConfirmation(o: {
  po: string;
  type: string;
  payloadId?: string;
  version?: number;
  operation?: "new" | "update";
  noticeDate?: string;
  lines?: ConfirmationLine[];
  comment?: string;
  deploymentMode?: "production" | "test";
  secret?: string;
  identity?: string;
}): string {
  const items = (o.lines ?? [])
    .map(
      (l) =>
        `<ConfirmationItem quantity="${l.quantity}" lineNumber="${l.line}"><UnitOfMeasure>${l.uom ?? "C62"}</UnitOfMeasure>` +
        l.statuses
          .map((s) => `<ConfirmationStatus quantity="${s.quantity}" type="${s.type}"${s.deliveryDate ? ` deliveryDate="${s.deliveryDate}"` : ""}><UnitOfMeasure>${l.uom ?? "C62"}</UnitOfMeasure>${s.comment ? `<Comments xml:lang="en">${s.comment}</Comments>` : ""}</ConfirmationStatus>`)
          .join("") +
        `</ConfirmationItem>`,
    )
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.063/Fulfill.dtd">\n` +
    `<cXML payloadID="${o.payloadId ?? `${randomUUID()}@woodcorner.example`}" timestamp="${o.noticeDate ?? "2026-11-26T10:00:00+01:00"}" xml:lang="en-US">` +
    cxmlHeader(o.identity ?? "WOODCORNER", o.secret ?? SECRETS.WOODCORNER) +
    `<Request deploymentMode="${o.deploymentMode ?? "production"}"><ConfirmationRequest>` +
    `<ConfirmationHeader type="${o.type}" noticeDate="${o.noticeDate ?? "2026-11-26T10:00:00+01:00"}" confirmID="CONF-${o.po}" version="${o.version ?? 1}" operation="${o.operation ?? "new"}">` +
    (o.comment ? `<Comments xml:lang="en">${o.comment}</Comments>` : "") +
    `</ConfirmationHeader><OrderReference orderID="${o.po}"/>${items}</ConfirmationRequest></Request></cXML>`
  );
}

/** A cXML ShipNoticeRequest for one PO. */
export function cxmlShipNotice(o: {
  shipmentId: string;
  po?: string;
  operation?: "new" | "update" | "delete";
  payloadId?: string;
  noticeDate?: string;
  deliveryDate?: string;
  tracking?: string;
  items?: { line: number; quantity: number; uom?: string; lot?: string }[];
  previousPayloadId?: string;
}): string {
  const op = o.operation ?? "new";
  const items = (o.items ?? [])
    .map((i) => `<ShipNoticeItem lineNumber="${i.line}" quantity="${i.quantity}">${i.lot ? `<Batch><SupplierBatchID>${i.lot}</SupplierBatchID></Batch>` : ""}<UnitOfMeasure>${i.uom ?? "C62"}</UnitOfMeasure></ShipNoticeItem>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<cXML payloadID="${o.payloadId ?? `${randomUUID()}@woodcorner.example`}" timestamp="${o.noticeDate ?? "2026-12-01T08:00:00+01:00"}">` +
    cxmlHeader("WOODCORNER", SECRETS.WOODCORNER) +
    `<Request><ShipNoticeRequest><ShipNoticeHeader shipmentID="${o.shipmentId}" operation="${op}" noticeDate="${o.noticeDate ?? "2026-12-01T08:00:00+01:00"}"${o.deliveryDate ? ` deliveryDate="${o.deliveryDate}"` : ""}>` +
    (o.previousPayloadId ? `<DocumentReference payloadID="${o.previousPayloadId}"/>` : "") +
    `</ShipNoticeHeader>` +
    (op === "delete" ? "" : `<ShipControl><CarrierIdentifier domain="SCAC">FDE</CarrierIdentifier>${o.tracking ? `<ShipmentIdentifier>${o.tracking}</ShipmentIdentifier>` : ""}</ShipControl>`) +
    (op === "delete" || !o.po ? "" : `<ShipNoticePortion><OrderReference orderID="${o.po}"/>${items}</ShipNoticePortion>`) +
    `</ShipNoticeRequest></Request></cXML>`
  );
}

/** An EasyPost webhook Event for a tracker. */
export function easypostTracking(o: { tracking: string; status: string; at: string; id?: string; mode?: "test" | "production"; detail?: string; description?: string }): string {
  return JSON.stringify({
    id: o.id ?? `evt_${randomUUID().replace(/-/g, "")}`,
    object: "Event",
    mode: o.mode ?? "production",
    description: o.description ?? "tracker.updated",
    created_at: o.at,
    result: {
      id: `trk_${o.tracking}`,
      object: "Tracker",
      mode: o.mode ?? "production",
      tracking_code: o.tracking,
      status: o.status,
      status_detail: o.detail ?? "status_update",
      carrier: "USPS",
      tracking_details: [{ object: "TrackingDetail", message: o.detail ?? o.status, status: o.status, status_detail: o.detail ?? "status_update", datetime: o.at, tracking_location: { city: "Memphis", state: "TN", country: "US", zip: "37501" } }],
    },
  });
}

/** An EasyPost Shipment (label bought) for one of our delivery orders. */
export function easypostShipment(o: { reference: string; tracking: string; id?: string; mode?: "test" | "production" }): string {
  return JSON.stringify({
    id: o.id ?? `shp_${randomUUID().replace(/-/g, "")}`,
    object: "Shipment",
    mode: o.mode ?? "production",
    reference: o.reference,
    tracking_code: o.tracking,
    selected_rate: { object: "Rate", carrier: "USPS", service: "Priority", rate: "7.10", currency: "USD" },
    postage_label: { object: "PostageLabel", label_file_type: "image/png", label_url: `https://labels.example/${o.tracking}.png` },
  });
}

/** A Shippo track_updated webhook (current schema). */
export function shippoTracking(o: { tracking: string; status: string; at: string; test?: boolean; reference?: string }): string {
  return JSON.stringify({
    event: "track_updated",
    test: o.test ?? false,
    data: {
      carrier: "usps",
      tracking_number: o.tracking,
      metadata: o.reference ?? null,
      tracking_status: { status: o.status, status_details: `${o.status} scan`, status_date: o.at, substatus: null, location: { city: "Reno", state: "NV", zip: "89501", country: "US" }, object_id: randomUUID().replace(/-/g, "") },
    },
  });
}

/** An AfterShip tracking_update webhook. */
export function aftershipTracking(o: { tracking: string; tag: string; at: string; eventId?: string }): string {
  return JSON.stringify({
    event: "tracking_update",
    event_id: o.eventId ?? randomUUID(),
    is_tracking_first_tag: false,
    ts: Math.floor(Date.parse(o.at) / 1000),
    msg: { id: randomUUID().replace(/-/g, ""), tracking_number: o.tracking, slug: "dhl", tag: o.tag, subtag: `${o.tag}_001`, subtag_message: o.tag, checkpoints: [{ checkpoint_time: o.at, message: o.tag, tag: o.tag, city: "Leipzig", country_iso3: "DEU" }] },
  });
}
