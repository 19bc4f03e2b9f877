import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { parseStringPromise } from "xml2js";
import { z } from "zod";
import { closeServer, listenLoopback } from "./loopback.ts";
import { checkCxmlOrderRequest } from "../../sidecar/src/partners/test-support/cxml-dtd.ts";
import { documentsDir, partnerFixturesDir } from "../../sidecar/src/partners/test-support/fixtures.ts";
import { checkPeppolOrder } from "../../sidecar/src/partners/test-support/peppol-rules.ts";

/**
 * Partners that read their own formats, on loopback: a cXML supplier, a Peppol access point
 * and EasyPost's shipment API. Each parses what it receives with its own parser (xml2js, zod),
 * not the sidecar's, checks what the real one would refuse, answers as the real one does
 * (captured or documented answers), and records both what it took and what it refused, so a
 * test fails on anything malformed.
 */

type Xml = Record<string, unknown>;

/** A loopback HTTP server that hands each request's body to a handler. */
abstract class LoopbackPartner {
  private server: Server | null = null;
  url = "";
  /** Requests it refused, with why: a test expects this to stay empty unless it sent something bad on purpose. */
  readonly refused: { status: number; reason: string }[] = [];
  requests = 0;

  protected abstract handle(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers?: Record<string, string>; body: string }>;

  protected refuse(status: number, reason: string, body: string, contentType: string) {
    this.refused.push({ status, reason });
    return { status, headers: { "content-type": contentType }, body };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.requests++;
        this.handle(req, Buffer.concat(chunks))
          .then((a) => res.writeHead(a.status, a.headers ?? {}).end(a.body))
          .catch((err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`simulator error: ${err.message}`));
      });
    });
    this.url = await listenLoopback(this.server);
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await closeServer(this.server);
    this.server = null;
  }
}

/** xml2js with attributes under `$`, every child an array: the shape these checks read. */
async function parseXml(body: Buffer): Promise<Xml | string> {
  const text = body.toString("utf8");
  if (/<!ENTITY/i.test(text)) return "entity declarations are refused";
  try {
    return (await parseStringPromise(text, { explicitArray: true, explicitCharkey: false })) as Xml;
  } catch (err) {
    return `not well-formed XML: ${(err as Error).message.split("\n")[0]}`;
  }
}

const first = (node: unknown, ...path: string[]): Xml | undefined => {
  let cur = node as Xml | undefined;
  for (const step of path) {
    const next = cur?.[step];
    cur = (Array.isArray(next) ? next[0] : next) as Xml | undefined;
  }
  return cur;
};
const all = (node: unknown, name: string): Xml[] => ((node as Xml | undefined)?.[name] as Xml[] | undefined) ?? [];
const attr = (node: Xml | undefined, name: string): string | undefined => (node?.["$"] as Record<string, string> | undefined)?.[name];
const text = (node: unknown): string | undefined => (typeof node === "string" ? node : ((node as Xml | undefined)?.["_"] as string | undefined));

// ---------------------------------------------------------------------------------------
// cXML supplier

export interface CxmlOrderReceived {
  payloadId: string;
  orderId: string;
  type: string;
  deploymentMode: string;
  /** DocumentReference@payloadID of an update or delete. */
  documentReference: string | null;
  lines: { lineNumber: string; quantity: string; supplierPartId: string | null; unitPrice: string | null; currency: string | null; uom: string | null }[];
  xml: string;
}

export interface CxmlSupplierOptions {
  /** What the supplier checks in Header: our identity, its own, and the shared secret. */
  from: { domain: string; identity: string };
  to: { domain: string; identity: string };
  sharedSecret: string;
  /** The Status this supplier answers the n-th request with (0-based); default 200 OK. */
  status?: (n: number, order: CxmlOrderReceived) => { code: number; text: string; message?: string; http?: number } | null;
  /** A structural check of the document; problems refuse it with Status 400. Default: the cXML 1.2 DTD's rules for an OrderRequest. */
  check?: (xml: string) => string[];
}

/** The captured answer of a cXML supplier (officeluv/cxml's fixture), with this request's Status. */
const CXML_RESPONSE_TEMPLATE = readFileSync(join(partnerFixturesDir, "cxml/officeluv_response_status_200.xml"), "utf8");

function cxmlResponse(code: number, text: string, message?: string): string {
  const status = message ? `<Status code="${code}" text="${text}">${message}</Status>` : `<Status code="${code}" text="${text}"/>`;
  return CXML_RESPONSE_TEMPLATE.replace(/payloadID="[^"]*"/, `payloadID="${randomUUID()}@supplier.example"`).replace(/<Status\b[^>]*?(\/>|>[\s\S]*?<\/Status>)/, status);
}

export class CxmlSupplier extends LoopbackPartner {
  readonly orders: CxmlOrderReceived[] = [];

  constructor(readonly options: CxmlSupplierOptions) {
    super();
  }

  private bad(code: number, reason: string) {
    return this.refuse(200, reason, cxmlResponse(code, code === 401 ? "Unauthorized" : "Bad Request", reason), "text/xml");
  }

  protected async handle(req: IncomingMessage, body: Buffer) {
    const n = this.requests - 1;
    if (!/xml/.test(String(req.headers["content-type"] ?? ""))) return this.bad(400, `content-type ${req.headers["content-type"]} is not XML`);
    const doc = await parseXml(body);
    if (typeof doc === "string") return this.bad(400, doc);
    const root = first(doc, "cXML");
    if (!root) return this.bad(400, "root element is not cXML");
    const header = first(root, "Header");
    const cred = (who: string) => first(header, who, "Credential");
    const { from, to, sharedSecret } = this.options;
    if (attr(cred("From"), "domain") !== from.domain || text(first(cred("From"), "Identity")) !== from.identity) return this.bad(401, "From credential is not the buyer we know");
    if (attr(cred("To"), "domain") !== to.domain || text(first(cred("To"), "Identity")) !== to.identity) return this.bad(400, "To credential is not us");
    if (text(first(cred("Sender"), "SharedSecret")) !== sharedSecret) return this.bad(401, "SharedSecret does not match");
    const request = first(root, "Request");
    const orderRequest = first(request, "OrderRequest");
    if (!orderRequest) return this.bad(400, "not an OrderRequest");
    const orderHeader = first(orderRequest, "OrderRequestHeader");
    const problems = (this.options.check ?? checkCxmlOrderRequest)(body.toString("utf8"));
    for (const [name, value] of [["cXML@payloadID", attr(root, "payloadID")], ["cXML@timestamp", attr(root, "timestamp")], ["OrderRequestHeader@orderID", attr(orderHeader, "orderID")], ["OrderRequestHeader@orderDate", attr(orderHeader, "orderDate")], ["OrderRequestHeader@type", attr(orderHeader, "type")]] as const) {
      if (!value) problems.push(`${name} is missing`);
    }
    const type = attr(orderHeader, "type") ?? "";
    if (type && !["new", "update", "delete"].includes(type)) problems.push(`OrderRequestHeader@type "${type}" is not new, update or delete`);
    const items = all(orderRequest, "ItemOut");
    if (type !== "delete" && items.length === 0) problems.push("an order to fulfil has no ItemOut");
    const lines = items.map((item) => {
      const detail = first(item, "ItemDetail");
      const money = first(detail, "UnitPrice", "Money");
      return {
        lineNumber: attr(item, "lineNumber") ?? "",
        quantity: attr(item, "quantity") ?? "",
        supplierPartId: text(first(item, "ItemID", "SupplierPartID")) ?? null,
        unitPrice: text(money) ?? null,
        currency: attr(money, "currency") ?? null,
        uom: text(first(detail, "UnitOfMeasure")) ?? null,
      };
    });
    lines.forEach((l, i) => {
      if (!/^\d+$/.test(l.lineNumber)) problems.push(`ItemOut[${i + 1}]@lineNumber "${l.lineNumber}" is not a number`);
      if (!(Number(l.quantity) > 0)) problems.push(`ItemOut[${i + 1}]@quantity "${l.quantity}" is not positive`);
      if (!l.uom) problems.push(`ItemOut[${i + 1}] has no UnitOfMeasure`);
      if (!l.currency || l.unitPrice === null || !/^-?\d+(\.\d+)?$/.test(l.unitPrice)) problems.push(`ItemOut[${i + 1}] has no unit price in a currency`);
    });
    if (problems.length > 0) return this.bad(400, problems.join("; "));
    const order: CxmlOrderReceived = {
      payloadId: attr(root, "payloadID")!,
      orderId: attr(orderHeader, "orderID")!,
      type,
      deploymentMode: attr(request, "deploymentMode") ?? "production",
      documentReference: attr(first(orderHeader, "DocumentReference"), "payloadID") ?? null,
      lines,
      xml: body.toString("utf8"),
    };
    const status = this.options.status?.(n, order) ?? null;
    if (status && !(status.code >= 200 && status.code < 300)) {
      return { status: status.http ?? 200, headers: { "content-type": "text/xml" }, body: cxmlResponse(status.code, status.text, status.message) };
    }
    // A supplier takes a copy of an order it already has (same payloadID) without a second order.
    if (!this.orders.some((o) => o.payloadId === order.payloadId)) this.orders.push(order);
    return { status: 200, headers: { "content-type": "text/xml" }, body: cxmlResponse(status?.code ?? 200, status?.text ?? "OK") };
  }
}

// ---------------------------------------------------------------------------------------
// Peppol access point

export const PEPPOL_DOCUMENTS = {
  Order: { ns: "urn:oasis:names:specification:ubl:schema:xsd:Order-2", customization: "urn:fdc:peppol.eu:poacc:trns:order:3" },
  OrderChange: { ns: "urn:oasis:names:specification:ubl:schema:xsd:OrderChange-2", customization: "urn:fdc:peppol.eu:poacc:trns:order_change:3" },
  OrderCancellation: { ns: "urn:oasis:names:specification:ubl:schema:xsd:OrderCancellation-2", customization: "urn:fdc:peppol.eu:poacc:trns:order_cancellation:3" },
} as const;

export interface PeppolDocumentReceived {
  root: keyof typeof PEPPOL_DOCUMENTS;
  id: string;
  webhookId: string;
  /** The order an Order Change or Cancellation refers to (cac:OrderReference/cbc:ID). */
  orderReference: string | null;
  xml: string;
}

export interface PeppolAccessPointOptions {
  /** Standard Webhooks secrets it verifies with, or a bearer token. */
  auth: { secrets: string[] } | { token: string };
  /** Peppol BIS 3 rules for the document; problems refuse it with 400. Default: the rules test-support/peppol-rules.ts encodes. */
  check?: (xml: string) => string[];
}

export class PeppolAccessPoint extends LoopbackPartner {
  readonly documents: PeppolDocumentReceived[] = [];

  constructor(readonly options: PeppolAccessPointOptions) {
    super();
  }

  private bad(status: number, reason: string) {
    return this.refuse(status, reason, JSON.stringify({ error: reason }), "application/json");
  }

  protected async handle(req: IncomingMessage, body: Buffer) {
    const auth = this.options.auth;
    const webhookId = String(req.headers["webhook-id"] ?? "");
    if ("token" in auth) {
      if (req.headers.authorization !== `Bearer ${auth.token}`) return this.bad(401, "bearer token does not match");
    } else {
      const headers = { "webhook-id": webhookId, "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""), "webhook-signature": String(req.headers["webhook-signature"] ?? "") };
      const verified = auth.secrets.some((s) => {
        try {
          // An XML body: verify only (the library parses JSON bodies unless told not to).
          new Webhook(s).verify(body.toString("utf8"), headers, { jsonParse: false });
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) return this.bad(401, "Standard Webhooks signature does not verify");
    }
    const doc = await parseXml(body);
    if (typeof doc === "string") return this.bad(400, doc);
    const [name] = Object.keys(doc);
    const kind = Object.entries(PEPPOL_DOCUMENTS).find(([root]) => name === root || name?.endsWith(`:${root}`));
    if (!kind) return this.bad(400, `root ${name} is not a Peppol ordering document`);
    const [root, expected] = kind as [keyof typeof PEPPOL_DOCUMENTS, (typeof PEPPOL_DOCUMENTS)[keyof typeof PEPPOL_DOCUMENTS]];
    const element = doc[name!] as Xml;
    const problems = (this.options.check ?? checkPeppolOrder)(body.toString("utf8"));
    if (attr(element, "xmlns") !== expected.ns) problems.push(`${root} is not in namespace ${expected.ns}`);
    const cbc = (node: unknown, local: string) => text(first(node, `cbc:${local}`));
    if (cbc(element, "CustomizationID") !== expected.customization) problems.push(`CustomizationID is not ${expected.customization}`);
    if (!cbc(element, "ProfileID")?.startsWith("urn:fdc:peppol.eu:poacc:bis:")) problems.push("ProfileID is not a Peppol ordering profile");
    const id = cbc(element, "ID");
    if (!id) problems.push("cbc:ID is missing");
    if (problems.length > 0) return this.bad(400, problems.join("; "));
    if (!this.documents.some((d) => d.webhookId === webhookId && webhookId !== "")) {
      this.documents.push({ root, id: id!, webhookId, orderReference: cbc(first(element, "cac:OrderReference"), "ID") ?? null, xml: body.toString("utf8") });
    }
    return { status: 202, headers: { "content-type": "application/json" }, body: '{"accepted":true}' };
  }
}

// ---------------------------------------------------------------------------------------
// EasyPost

/** EasyPost's Address and Parcel as its API reference documents them (the fields we send). */
const address = z
  .object({
    name: z.string().optional(),
    company: z.string().optional(),
    street1: z.string().min(1),
    street2: z.string().optional(),
    city: z.string().min(1),
    state: z.string().optional(),
    zip: z.string().min(1),
    country: z.string().regex(/^[A-Z]{2}$/),
    phone: z.string().optional(),
    email: z.string().optional(),
  })
  .strict();
const parcel = z.object({ weight: z.number().positive(), length: z.number().positive().optional(), width: z.number().positive().optional(), height: z.number().positive().optional() }).strict();
const shipmentFields = {
  reference: z.string().max(100).optional(),
  to_address: address,
  from_address: address,
  carrier_accounts: z.array(z.string().startsWith("ca_")).optional(),
  service: z.string().optional(),
  options: z.object({ label_format: z.enum(["PNG", "PDF", "ZPL", "EPL2"]).optional() }).strict().optional(),
};
const shipmentRequest = z.object({ shipment: z.object({ ...shipmentFields, parcel }).strict() }).strict();
const orderRequest = z.object({ order: z.object({ ...shipmentFields, shipments: z.array(z.object({ parcel, reference: z.string().optional() }).strict()).min(1) }).strict() }).strict();

export interface EasypostBooking {
  resource: "shipments" | "orders";
  idempotencyKey: string;
  request: z.infer<typeof shipmentRequest>["shipment"] | z.infer<typeof orderRequest>["order"];
  answer: Record<string, unknown>;
}

/** A bought Shipment as EasyPost answers (our documented sample), made this booking's own. */
const BOUGHT_TEMPLATE = JSON.parse(readFileSync(join(documentsDir, "easypost_shipment_bought.json"), "utf8")) as Record<string, unknown>;

export class EasypostSimulator extends LoopbackPartner {
  readonly bookings: EasypostBooking[] = [];
  private sequence = 0;

  constructor(readonly apiKey: string) {
    super();
  }

  private error(status: number, code: string, message: string, errors: { field: string; message: string }[] = []) {
    return this.refuse(status, `${code}: ${message}`, JSON.stringify({ error: { code, message, errors } }), "application/json");
  }

  protected async handle(req: IncomingMessage, body: Buffer) {
    const expected = `Basic ${Buffer.from(`${this.apiKey}:`).toString("base64")}`;
    if (req.headers.authorization !== expected) return this.error(401, "APIKEY.INACTIVE", "This api key is no longer active. Please use a different api key or reactivate this key.");
    const resource = req.url === "/v2/shipments" ? "shipments" : req.url === "/v2/orders" ? "orders" : null;
    if (req.method !== "POST" || !resource) return this.error(404, "NOT_FOUND", `no route ${req.method} ${req.url}`);
    const key = String(req.headers["idempotency-key"] ?? "");
    const replay = key ? this.bookings.find((b) => b.idempotencyKey === key) : undefined;
    if (replay) return { status: 201, headers: { "content-type": "application/json" }, body: JSON.stringify(replay.answer) };
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      return this.error(400, "PARAMETER.INVALID_JSON", "The request body is not JSON");
    }
    const parsed = (resource === "shipments" ? shipmentRequest : orderRequest).safeParse(json);
    if (!parsed.success) return this.error(422, "PARAMETER.INVALID", "Invalid request parameters", parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })));
    const request = ("shipment" in parsed.data ? parsed.data.shipment : parsed.data.order) as EasypostBooking["request"];
    if (/UNDELIVERABLE/i.test(request.to_address.street1)) {
      return this.error(422, "ADDRESS.VERIFY.FAILURE", "Unable to verify address.", [{ field: "street1", message: "Address not found" }]);
    }
    const n = ++this.sequence;
    const tracking = `9400100110368066${String(352810 + n).padStart(6, "0")}`;
    const shipment = (i: number) => {
      const bought = !!request.service;
      return {
        ...BOUGHT_TEMPLATE,
        id: `shp_${n.toString(16).padStart(8, "0")}${i}${"0".repeat(23)}`,
        mode: "production",
        reference: request.reference ?? null,
        to_address: { ...(BOUGHT_TEMPLATE["to_address"] as object), ...request.to_address },
        from_address: { ...(BOUGHT_TEMPLATE["from_address"] as object), ...request.from_address },
        tracking_code: bought ? `${tracking}${i || ""}` : null,
        selected_rate: bought ? { ...(BOUGHT_TEMPLATE["selected_rate"] as object), service: request.service } : null,
        postage_label: bought ? { ...(BOUGHT_TEMPLATE["postage_label"] as object), label_url: `https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/${n}-${i}.png` } : null,
        status: bought ? "unknown" : "unknown",
      };
    };
    const answer =
      resource === "shipments"
        ? shipment(0)
        : { id: `order_${n.toString(16).padStart(8, "0")}`, object: "Order", mode: "production", reference: request.reference ?? null, shipments: ("shipments" in request ? request.shipments : []).map((_, i) => shipment(i)) };
    this.bookings.push({ resource, idempotencyKey: key, request, answer });
    return { status: 201, headers: { "content-type": "application/json" }, body: JSON.stringify(answer) };
  }
}
