import type { DecodedInbound, SupplierDocumentStatus } from "../events/inbound.ts";
import { fail, guard, type RawDocument, type Refusal } from "../result.ts";
import { attrOf, child, requireAttr, requireChild, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";
import { el, type XmlNodeSpec } from "../xml/write.ts";
import { documentRef } from "./common.ts";
import { readCxmlEnvelope, renderCxml, type CxmlEnvelope } from "./envelope.ts";

/**
 * cXML status codes: the synchronous `Response` to every cXML POST and the asynchronous
 * StatusUpdateRequest. Both carry `Status@code` with HTTP-like values; always read it rather
 * than trusting the HTTP status (a 200 HTTP answer can carry Status 400).
 */

export interface CxmlStatus {
  code: number;
  text: string | null;
  /** Text content of Status, often the partner's error detail. */
  message: string | null;
  outcome: SupplierDocumentStatus["outcome"];
}

export function outcomeOf(code: number): CxmlStatus["outcome"] {
  if (code >= 200 && code < 300) return "success";
  if (code >= 400 && code < 500) return "client_error";
  if (code >= 500 && code < 600) return "server_error";
  return "other";
}

export function readStatus(status: XmlElement): CxmlStatus {
  const raw = requireAttr(status, "code");
  if (!/^\d{3}$/.test(raw)) fail("invalid_document", `Status code "${raw.slice(0, 20)}" is not a three-digit code`, { path: `${status.path}@code`, line: status.line });
  const code = Number(raw);
  return { code, text: attrOf(status, "text") ?? null, message: textOf(status) ?? null, outcome: outcomeOf(code) };
}

export function decodeStatusUpdateRequest(envelope: CxmlEnvelope, request: XmlElement): DecodedInbound {
  const status = readStatus(requireChild(request, "Status"));
  const documentReference = documentRef(request);
  const data: SupplierDocumentStatus = {
    document_ref: documentReference,
    status_code: status.code,
    status_text: status.text,
    message: status.message,
    outcome: status.outcome,
  };
  return {
    type: "supplier.document_status",
    data,
    messageId: envelope.messageId,
    messageIdSource: envelope.messageIdSource,
    testMode: envelope.testMode,
    subjectRef: documentReference ?? envelope.messageId,
    occurredAt: envelope.timestamp?.utc ?? null,
    format: "cxml",
  };
}

/** The synchronous answer to one of our cXML POSTs. */
export interface CxmlReply {
  payloadId: string | null;
  status: CxmlStatus;
  /** 2xx: the partner took the document. */
  accepted: boolean;
  /** 5xx: worth retrying; 4xx is our document's fault and will fail again. */
  retryable: boolean;
}

export function readResponse(envelope: CxmlEnvelope): CxmlReply {
  const response = child(envelope.root, "Response");
  if (!response) fail("unsupported_document", "cXML is not a Response", { path: envelope.root.path, line: envelope.root.line });
  const status = readStatus(requireChild(response, "Status"));
  return { payloadId: envelope.payloadId, status, accepted: status.outcome === "success", retryable: status.outcome === "server_error" };
}

/** Reads the synchronous cXML Response a partner answered with. Never throws. */
export function decodeCxmlResponse(raw: RawDocument): ({ ok: true } & CxmlReply) | Refusal {
  return guard(() => {
    const envelope = readCxmlEnvelope(raw);
    if ("ok" in envelope) return envelope;
    return { ok: true as const, ...readResponse(envelope) };
  });
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Accepted",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  406: "Not Acceptable",
  409: "Conflict",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export interface CxmlResponseOptions {
  code: number;
  /** `Status@text`; defaults to the usual phrase for the code. */
  text?: string;
  /** Detail in the Status content, e.g. the refusal reason. Never put secrets here. */
  message?: string;
  /** payloadID of this answer (unique, e.g. `<uuid>@<our domain>`). */
  payloadId: string;
  /** When the answer was produced. */
  timestamp: Date;
}

/** Builds the cXML `Response` we answer partners' cXML POSTs with. */
export function buildCxmlResponse(options: CxmlResponseOptions): string {
  const status: XmlNodeSpec = el("Status", { code: options.code, text: options.text ?? STATUS_TEXT[options.code] ?? "Status" }, options.message ?? null);
  const root = el(
    "cXML",
    { payloadID: options.payloadId, timestamp: `${options.timestamp.toISOString().slice(0, 19)}+00:00`, "xml:lang": "en-US" },
    el("Response", null, status),
  );
  return renderCxml(root);
}
