import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { Context } from "hono";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { nodeBindings, type AppEnv } from "../http/app.ts";
import { type FormatName, buildCxmlResponse } from "../partners/registry.ts";
import { errorJson, type HttpError } from "../http/errors.ts";

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

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const XML_CONTENT_TYPE = "text/xml; charset=utf-8";
const JSON_CONTENT_TYPE = "application/json";

export function acceptedAnswer(format: FormatName | null, a: Accepted): Answer {
  if (format === "cxml") {
    const message = a.duplicate ? `already received as document ${a.documentId}` : a.status === "pending" ? `received as document ${a.documentId}` : `received as document ${a.documentId}, not applied (${a.status})`;
    return { status: 200, headers: { "content-type": XML_CONTENT_TYPE }, body: buildCxmlResponse({ code: 201, text: "Accepted", message, payloadId: `${randomUUID()}@odc`, timestamp: new Date() }) };
  }
  const body = JSON.stringify({ accepted: true, document_id: a.documentId, event_id: a.eventId, duplicate: a.duplicate, status: a.status, ...(a.detail ? { detail: a.detail } : {}) });
  return { status: 202, headers: { "content-type": JSON_CONTENT_TYPE }, body };
}

/** A refusal as the partner reads it: the app's JSON error body, or a cXML Response with the same status and reason. */
export function refusedAnswer(format: FormatName | null, err: HttpError, requestId: string): Answer {
  if (format === "cxml") {
    const body = buildCxmlResponse({ code: err.status, message: `${err.code}: ${err.message}`, payloadId: `${randomUUID()}@odc`, timestamp: new Date() });
    return { status: err.status, headers: { ...err.headers, "content-type": XML_CONTENT_TYPE }, body };
  }
  return { status: err.status, headers: { ...err.headers, "content-type": JSON_CONTENT_TYPE }, body: errorJson(err, requestId) };
}

/**
 * Sends an answer. On Node it is written straight to Node's response (the busiest route of
 * the sidecar skips building a Fetch Response and Headers, about a tenth of its CPU);
 * elsewhere (`app.request()` in tests) it is an ordinary Hono response with the same bytes.
 */
export function send(c: Context<AppEnv>, answer: Answer): Response {
  const outgoing = nodeBindings(c).outgoing;
  if (!outgoing) return c.body(answer.body, answer.status as 200, answer.headers);
  writeAnswer(outgoing, answer);
  c.set("status", answer.status);
  return RESPONSE_ALREADY_SENT;
}

/** Writes an answer on Node's response, with its length and any `extra` headers. */
export function writeAnswer(res: ServerResponse, answer: Answer, extra: Record<string, string> = {}): void {
  res.writeHead(answer.status, { ...answer.headers, ...extra, "content-length": Buffer.byteLength(answer.body) });
  res.end(answer.body);
}
