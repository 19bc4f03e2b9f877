import { randomUUID } from "node:crypto";
import type { Context } from "hono";
import type { FormatName } from "../partners/registry.ts";
import { buildCxmlResponse } from "../partners/cxml/index.ts";

/**
 * What a partner gets back. JSON everywhere, except cXML partners, who read a cXML
 * `Response` with a `Status` code (always read, whatever the HTTP status): 201 "Accepted"
 * (taken, applied later) on success, the refusal's 4xx with the reason otherwise.
 */

export interface Accepted {
  documentId: number;
  eventId: string | null;
  duplicate: boolean;
  /** pending, test_skipped, ignored, or a final status when a redelivery arrives after it was applied. */
  status: string;
  detail: string | null;
}

const XML_CONTENT_TYPE = "text/xml; charset=utf-8";

export function acceptedAnswer(c: Context, format: FormatName | null, a: Accepted): Response {
  if (format === "cxml") {
    const message = a.duplicate ? `already received as document ${a.documentId}` : a.status === "pending" ? `received as document ${a.documentId}` : `received as document ${a.documentId}, not applied (${a.status})`;
    return c.body(buildCxmlResponse({ code: 201, text: "Accepted", message, payloadId: `${randomUUID()}@odc`, timestamp: new Date() }), 200, { "content-type": XML_CONTENT_TYPE });
  }
  return c.json({ accepted: true, document_id: a.documentId, event_id: a.eventId, duplicate: a.duplicate, status: a.status, ...(a.detail ? { detail: a.detail } : {}) }, 202);
}

export type RefusalStatus = 400 | 401 | 404 | 413 | 415 | 429 | 503;

export function refusedAnswer(c: Context, format: FormatName | null, status: RefusalStatus, code: string, message: string, requestId: string, headers: Record<string, string> = {}): Response {
  if (format === "cxml") {
    const body = buildCxmlResponse({ code: status, message: `${code}: ${message}`, payloadId: `${randomUUID()}@odc`, timestamp: new Date() });
    return c.body(body, status, { ...headers, "content-type": XML_CONTENT_TYPE });
  }
  return c.json({ error: { code, message, request_id: requestId } }, status, headers);
}
