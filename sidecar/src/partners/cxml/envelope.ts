import { bodyHashId } from "../events/envelope.ts";
import { parsePartnerTime, type PartnerTime } from "../events/partner-time.ts";
import { fail, type RawDocument, type Refusal } from "../result.ts";
import { attrOf, child, children, textOf } from "../xml/element.ts";
import { parseXml, type XmlElement, type XmlLimits } from "../xml/safe-xml.ts";
import { el, render, type XmlNodeSpec } from "../xml/write.ts";

/**
 * The cXML envelope: `<cXML payloadID timestamp>` → Header (From/To/Sender credentials) →
 * one Request, Response or Message. Shared by every cXML document module.
 */

export const CXML_DTD_VERSION = "1.2.063";

export interface CxmlCredential {
  domain: string;
  identity: string;
}

export interface CxmlEnvelope {
  /** `cXML@payloadID`; null when blank (real partners send `payloadID=""`). */
  payloadId: string | null;
  timestamp: PartnerTime | null;
  from: CxmlCredential[];
  to: CxmlCredential[];
  sender: CxmlCredential[];
  /** `Request@deploymentMode`; test documents must not touch production records. */
  testMode: boolean;
  /** The element under Request/Response/Message that carries the business content. */
  body: { kind: "request" | "response" | "message"; element: XmlElement; container: XmlElement };
  root: XmlElement;
  /** Dedupe key: payloadID, or a body hash when the partner left it blank. */
  messageId: string;
  messageIdSource: "partner" | "body_hash";
}

function credentials(header: XmlElement | undefined, party: string): CxmlCredential[] {
  const holder = header ? child(header, party) : undefined;
  if (!holder) return [];
  return children(holder, "Credential").map((c) => ({ domain: attrOf(c, "domain") ?? "", identity: textOf(child(c, "Identity")) ?? "" }));
}

/** Reads the envelope of a cXML document; fails (via RefusalSignal) when it is not cXML. */
export function readCxmlEnvelope(raw: RawDocument, limits?: XmlLimits): CxmlEnvelope | Refusal {
  const parsed = parseXml(raw, limits);
  if (!parsed.ok) return parsed;
  const root = parsed.document.root;
  if (root.name !== "cXML") fail("unsupported_document", `root element is ${root.name}, not cXML`, { path: root.path, line: root.line });
  const header = child(root, "Header");
  let body: CxmlEnvelope["body"] | undefined;
  for (const kind of ["Request", "Response", "Message"] as const) {
    const container = child(root, kind);
    if (!container) continue;
    const element = container.children.find((c) => c.name !== "Status") ?? (kind === "Response" ? container : undefined);
    if (!element) fail("invalid_document", `${kind} carries no document`, { path: container.path, line: container.line });
    body = { kind: kind.toLowerCase() as "request" | "response" | "message", element, container };
    break;
  }
  if (!body) fail("invalid_document", "cXML has no Request, Response or Message", { path: root.path, line: root.line });
  const payloadId = attrOf(root, "payloadID") ?? null;
  const timestampRaw = attrOf(root, "timestamp");
  const request = child(root, "Request");
  return {
    payloadId,
    timestamp: timestampRaw === undefined ? null : parsePartnerTime(timestampRaw),
    from: credentials(header, "From"),
    to: credentials(header, "To"),
    sender: credentials(header, "Sender"),
    testMode: attrOf(request, "deploymentMode") === "test",
    body,
    root,
    messageId: payloadId ?? bodyHashId(raw),
    messageIdSource: payloadId ? "partner" : "body_hash",
  };
}

export interface CxmlHeaderOptions {
  /** Our identity (the buyer), e.g. `{ domain: "NetworkID", identity: "AN01000000001" }`. */
  from: CxmlCredential;
  /** The supplier's identity. */
  to: CxmlCredential;
  /** Who sends and authenticates; usually our own network credential. Default: `from`. */
  sender?: CxmlCredential;
  /** The shared secret the supplier checks in Header/Sender/Credential. */
  sharedSecret: string;
  /** `Sender/UserAgent`. Default "odoo-distribution-connector". */
  userAgent?: string;
}

export function headerSpec(options: CxmlHeaderOptions): XmlNodeSpec {
  const sender = options.sender ?? options.from;
  const credential = (c: CxmlCredential, secret?: string) =>
    el("Credential", { domain: c.domain }, el("Identity", null, c.identity), secret === undefined ? null : el("SharedSecret", null, secret));
  return el(
    "Header",
    null,
    el("From", null, credential(options.from)),
    el("To", null, credential(options.to)),
    el("Sender", null, credential(sender, options.sharedSecret), el("UserAgent", null, options.userAgent ?? "odoo-distribution-connector")),
  );
}

/** Serialises a full cXML document with the XML declaration and the DOCTYPE partners expect. */
export function renderCxml(root: XmlNodeSpec, dtd = "cXML.dtd", version = CXML_DTD_VERSION): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/${version}/${dtd}">\n${render(root)}\n`;
}

/** cXML datetime.tz: `2026-11-26T09:12:00+00:00` (cXML samples use an explicit offset, not `Z`). */
export function cxmlDateTime(utc: string): string {
  const d = new Date(utc);
  return `${d.toISOString().slice(0, 19)}+00:00`;
}

/**
 * The document with every SharedSecret (and cXML Credential secret variants) replaced, for
 * logs and stored copies: cXML carries its credentials inside the document.
 */
export function redactCxmlSecrets(text: string): string {
  return text.replace(/<((?:[\w.-]+:)?(?:SharedSecret|CredentialMac|DigitalSignature))(\s[^>]*)?>[\s\S]*?<\/\1\s*>/g, "<$1$2>[redacted]</$1>");
}
