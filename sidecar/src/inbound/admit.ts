import { createHash } from "node:crypto";
import type { InboundSettings } from "../config/inbound.ts";
import { checkEvent } from "../contracts/validate.ts";
import { redactCxmlSecrets } from "../partners/cxml/index.ts";
import { wrapInbound } from "../partners/events/envelope.ts";
import type { DecodedInbound } from "../partners/events/inbound.ts";
import type { HeaderSource } from "../partners/verify/index.ts";
import { decodeWith } from "../partners/registry.ts";
import { describeRefusal, type Refusal } from "../partners/result.ts";
import type { NewInboundDocument } from "../store/inbound.ts";
import type { RefusalStatus } from "./answers.ts";
import { applyItemOf, subjectKeyOf } from "./apply-item.ts";
import { verifyInbound } from "./verify.ts";

/**
 * The work between a request's raw bytes and the row that stores them, with no I/O: verify
 * the partner's signature on the raw bytes, decode with the partner's format, and build the
 * document (the apply_events item, the subject that keeps order, the dedupe key).
 */

export interface AdmitInput {
  body: Uint8Array;
  /** The request headers the verification schemes read (lower-case names). */
  headers: HeaderSource;
  /** Path and query as requested (the url_token scheme reads `?token=`). */
  url: string;
  contentType: string | undefined;
  /** Unix seconds, for timestamp tolerance. */
  now: number;
  /** Epoch ms. */
  receivedAt: number;
}

export type Admitted = { ok: true; doc: NewInboundDocument } | { ok: false; status: RefusalStatus; code: string; message: string; extra: Record<string, unknown> };

const REFUSAL_STATUS: Partial<Record<Refusal["code"], RefusalStatus>> = { too_large: 413 };

export function admit(code: string, settings: InboundSettings, input: AdmitInput): Admitted {
  const raw = Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength);
  const verified = verifyInbound(settings, { body: raw, headers: input.headers, url: input.url, now: input.now });
  if (!verified.ok) {
    // A cXML document we cannot even read has no credential to check: that is the document's fault.
    if (verified.reason === "unreadable_document") return { ok: false, status: 400, code: "unreadable_document", message: verified.message, extra: { bytes: raw.length } };
    return { ok: false, status: 401, code: verified.reason, message: verified.message, extra: { bytes: raw.length, scheme: settings.verification.scheme } };
  }

  const decoded = decodeWith(settings.format, raw, settings.units ? { units: settings.units } : undefined);
  if (!decoded.ok) return { ok: false, status: REFUSAL_STATUS[decoded.code] ?? 400, code: decoded.code, message: describeRefusal(decoded), extra: { bytes: raw.length } };
  if (decoded.kind === "order" || decoded.kind === "reply") {
    const message = decoded.kind === "order" ? "an order is not news we apply (send acknowledgements, ship notices or tracking)" : "a cXML Response answers a request; it is not a document to post here";
    return { ok: false, status: 400, code: "unsupported_document", message, extra: {} };
  }
  const receivedAt = input.receivedAt;
  if (decoded.kind === "ignored") {
    const doc = documentOf(code, settings, raw, input.contentType, verified.keyIndex, receivedAt, {
      type: "ignored",
      messageId: decoded.messageId,
      messageIdSource: decoded.messageId.startsWith("sha256:") ? "body_hash" : "partner",
      testMode: decoded.testMode,
      status: "ignored",
      detail: decoded.reason,
    });
    return { ok: true, doc };
  }
  const event = decoded.event;
  if (settings.format === "canonical") {
    // Canonical partners write our schema themselves: hold them to it here, not in Odoo.
    const check = checkEvent(wrapInbound(event, { partner: code, source: { system: "partner", database: code, company: { id: 1, name: code } }, subjectId: 1, receivedAt: new Date(receivedAt) }));
    if (!check.ok) return { ok: false, status: 400, code: "invalid_event", message: `does not match contracts/v1 ${event.type}: ${check.reason}`, extra: { bytes: raw.length } };
  }
  return { ok: true, doc: eventDocumentOf(code, settings, raw, input.contentType, verified.keyIndex, receivedAt, event) };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function storedBody(settings: InboundSettings, raw: Buffer): Buffer {
  // cXML carries its credential in the document: the stored copy never holds it.
  return settings.format === "cxml" ? Buffer.from(redactCxmlSecrets(raw.toString("utf8")), "utf8") : raw;
}

function documentOf(
  code: string,
  settings: InboundSettings,
  raw: Buffer,
  contentType: string | undefined,
  keyIndex: number,
  receivedAt: number,
  parts: { type: string; messageId: string; messageIdSource: "partner" | "body_hash"; testMode: boolean; status: NewInboundDocument["status"]; detail: string | null },
): NewInboundDocument {
  return {
    partner: code,
    type: parts.type,
    messageId: parts.messageId.slice(0, 512),
    messageIdSource: parts.messageIdSource,
    eventId: null,
    format: settings.format,
    subjectRef: null,
    subjectKey: `${code}|ignored`,
    testMode: parts.testMode,
    contentType: contentType?.slice(0, 200) ?? null,
    body: storedBody(settings, raw),
    bodySha256: sha256(raw),
    verification: settings.verification.scheme,
    verificationKey: keyIndex,
    receivedAt,
    occurredAt: null,
    event: null,
    status: parts.status,
    nextAttemptAt: receivedAt,
    detail: parts.detail,
  };
}

function eventDocumentOf(code: string, settings: InboundSettings, raw: Buffer, contentType: string | undefined, keyIndex: number, receivedAt: number, event: DecodedInbound): NewInboundDocument {
  const item = applyItemOf(code, event, receivedAt);
  // Test-mode documents touch nothing unless the partner is a test partner.
  const skip = event.testMode && !settings.test_partner;
  const doc = documentOf(code, settings, raw, contentType, keyIndex, receivedAt, {
    type: event.type,
    messageId: event.messageId,
    messageIdSource: event.messageIdSource,
    testMode: event.testMode,
    status: skip ? "test_skipped" : "pending",
    detail: skip ? "test-mode document from a partner that is not a test partner: stored, never applied" : null,
  });
  doc.eventId = item.event_id;
  doc.subjectRef = item.subject_ref;
  doc.subjectKey = subjectKeyOf(code, event);
  doc.occurredAt = item.occurred_at;
  doc.event = JSON.stringify(item);
  // Tracking updates wait a moment for the rest of a burst (coalesced by the apply worker).
  if (event.type === "carrier.tracking_updated") doc.nextAttemptAt = receivedAt + settings.coalesce_ms;
  return doc;
}
