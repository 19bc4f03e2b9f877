import { createHash } from "node:crypto";
import type { InboundSettings } from "../config/inbound.ts";
import { checkEvent } from "../contracts/validate.ts";
import { redactCxmlSecrets, wrapInbound, type DecodedInbound, type HeaderSource, decodeWith, describeRefusal, type Refusal, carrierMessageId, SPOOLED_FORMATS, type SpoolKey } from "../partners/registry.ts";
import type { DecodedDocument, NewInboundDocument, ReceivedInbound } from "./store.ts";
import { HttpError } from "../http/errors.ts";
import { applyItemOf, subjectKeyOf } from "./apply-item.ts";
import { verifyInbound } from "./verify.ts";

/**
 * The work between a request's raw bytes and the row that stores them, with no I/O: verify
 * the partner's signature on the raw bytes, then either decode with the partner's format and
 * build the document (the apply_events item, the subject that keeps order, the dedupe key),
 * or, for a carrier webhook, only find its message id: it is stored `received` and decoded
 * after the answer by `decodeReceived` (see partners/carriers/message-id.ts for why).
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

export type Admitted = { ok: true; doc: NewInboundDocument } | { ok: false; error: HttpError; extra: Record<string, unknown> };

const refused = (status: 400 | 401 | 413, code: string, message: string, extra: Record<string, unknown> = {}): Admitted => ({ ok: false, error: new HttpError(status, code, message), extra });
/** A partner document refused by its adapter: 413 when too large, 400 otherwise. */
const documentRefused = (r: Refusal, bytes: number): Admitted => refused(r.code === "too_large" ? 413 : 400, r.code, describeRefusal(r), { bytes });

export function admit(code: string, settings: InboundSettings, input: AdmitInput): Admitted {
  const raw = Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength);
  const verified = verifyInbound(settings, { body: raw, headers: input.headers, url: input.url, now: input.now });
  if (!verified.ok) {
    // A cXML document we cannot even read has no credential to check: that is the document's fault.
    if (verified.reason === "unreadable_document") return refused(400, "unreadable_document", verified.message, { bytes: raw.length });
    return refused(401, verified.reason, verified.message, { bytes: raw.length, scheme: settings.verification.scheme });
  }

  if (SPOOLED_FORMATS.has(settings.format)) {
    const key = carrierMessageId(settings.format, raw);
    if (!key.ok) return documentRefused(key, raw.length);
    return { ok: true, doc: receivedDocumentOf(code, settings, raw, input.contentType, verified.keyIndex, input.receivedAt, key) };
  }

  const decoded = decodeWith(settings.format, raw, settings.units ? { units: settings.units } : undefined);
  if (!decoded.ok) return documentRefused(decoded, raw.length);
  if (decoded.kind === "order" || decoded.kind === "reply") {
    const message = decoded.kind === "order" ? "an order is not news we apply (send acknowledgements, ship notices or tracking)" : "a cXML Response answers a request; it is not a document to post here";
    return refused(400, "unsupported_document", message);
  }
  const receivedAt = input.receivedAt;
  if (decoded.kind === "ignored") return { ok: true, doc: ignoredDocumentOf(code, settings, raw, input.contentType, verified.keyIndex, receivedAt, decoded) };
  const event = decoded.event;
  if (settings.format === "canonical") {
    // Canonical partners write our schema themselves: hold them to it here, not in Odoo.
    const check = checkEvent(wrapInbound(event, { partner: code, source: { system: "partner", database: code, company: { id: 1, name: code } }, subjectId: 1, receivedAt: new Date(receivedAt) }));
    if (!check.ok) return refused(400, "invalid_event", `does not match contracts/v1 ${event.type}: ${check.reason}`, { bytes: raw.length });
  }
  return { ok: true, doc: eventDocumentOf(code, settings, raw, input.contentType, verified.keyIndex, receivedAt, event) };
}

/** What building a stored document needs of a partner's inbound settings. */
type DocumentSettings = Pick<InboundSettings, "format" | "test_partner" | "coalesce_ms"> & { verification: { scheme: string } };

/**
 * A partner's synchronous answer to our own request that is news for Odoo (EasyPost's bought
 * Shipment): decoded and stored as a document of that partner, so it is applied in Odoo in
 * order with the partner's webhooks about the same shipment. It is authenticated by being the
 * answer on our own connection (`verification` "answer"); its test mode follows our own key,
 * so it is applied whatever the partner's test_partner setting.
 */
export function admitAnswer(code: string, format: InboundSettings["format"], body: Buffer, contentType: string | null, receivedAt: number): Admitted {
  const settings: DocumentSettings = { format, test_partner: true, coalesce_ms: 0, verification: { scheme: "answer" } };
  const decoded = decodeWith(format, body);
  if (!decoded.ok) return documentRefused(decoded, body.length);
  if (decoded.kind !== "event") return refused(400, "unsupported_document", `a ${decoded.kind} answer carries nothing to apply`);
  return { ok: true, doc: eventDocumentOf(code, settings, body, contentType ?? undefined, 0, receivedAt, decoded.event) };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Type and subject of a received webhook until it is decoded. */
export const UNDECODED = "(undecoded)";

function receivedDocumentOf(code: string, settings: InboundSettings, raw: Buffer, contentType: string | undefined, keyIndex: number, receivedAt: number, key: SpoolKey): NewInboundDocument {
  return {
    partner: code,
    type: UNDECODED,
    messageId: key.messageId.slice(0, 512),
    messageIdSource: key.messageIdSource,
    messageScope: key.scope,
    eventId: null,
    format: settings.format,
    subjectRef: null,
    subjectKey: `${code}|${UNDECODED}`,
    testMode: false,
    contentType: contentType?.slice(0, 200) ?? null,
    body: raw,
    // Hashed when decoded: the door does only what the answer needs.
    bodySha256: "",
    verification: settings.verification.scheme,
    verificationKey: keyIndex,
    receivedAt,
    occurredAt: null,
    event: null,
    status: "received",
    nextAttemptAt: receivedAt,
    detail: null,
  };
}

/**
 * Decodes a received carrier webhook into what its row needs: pending with its apply_events
 * item, or decided at once (ignored, test_skipped, rejected when it cannot be decoded: the
 * partner was answered 202, so the document stays, with the reason, for a person to see).
 */
export function decodeReceived(settings: InboundSettings, row: ReceivedInbound): DecodedDocument["doc"] {
  const raw = row.body;
  const rejected = (detail: string) => rejectedDecoding(row, detail, sha256(raw));
  const decoded = decodeWith(settings.format, raw, settings.units ? { units: settings.units } : undefined);
  if (!decoded.ok) return rejected(`not decodable: ${describeRefusal(decoded)}`);
  if (decoded.kind === "order" || decoded.kind === "reply") return rejected("not a document we apply (acknowledgements, ship notices or tracking)");
  const messageId = decoded.kind === "ignored" ? decoded.messageId : decoded.event.messageId;
  if (messageId.slice(0, 512) !== row.messageId) return rejected(`decoded message id ${JSON.stringify(messageId.slice(0, 100))} differs from the one it was stored under`);
  const doc =
    decoded.kind === "ignored"
      ? ignoredDocumentOf(row.partner, settings, raw, row.contentType ?? undefined, 0, row.receivedAt, decoded)
      : eventDocumentOf(row.partner, settings, raw, row.contentType ?? undefined, 0, row.receivedAt, decoded.event);
  return {
    type: doc.type,
    eventId: doc.eventId,
    subjectRef: doc.subjectRef,
    subjectKey: doc.subjectKey,
    testMode: doc.testMode,
    bodySha256: doc.bodySha256,
    occurredAt: doc.occurredAt,
    event: doc.event,
    status: doc.status as "pending" | "test_skipped" | "ignored",
    nextAttemptAt: doc.nextAttemptAt,
    detail: doc.detail,
  };
}

/** What a received document's row gets when it cannot be decoded: kept, `rejected`, with the reason. */
export function rejectedDecoding(row: Pick<ReceivedInbound, "partner" | "receivedAt">, detail: string, bodySha256 = ""): DecodedDocument["doc"] {
  return { type: UNDECODED, eventId: null, subjectRef: null, subjectKey: `${row.partner}|${UNDECODED}`, testMode: false, bodySha256, occurredAt: null, event: null, status: "rejected", nextAttemptAt: row.receivedAt, detail };
}

function storedBody(settings: DocumentSettings, raw: Buffer): Buffer {
  // cXML carries its credential in the document: the stored copy never holds it.
  return settings.format === "cxml" ? Buffer.from(redactCxmlSecrets(raw.toString("utf8")), "utf8") : raw;
}

function documentOf(
  code: string,
  settings: DocumentSettings,
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
    messageScope: parts.type,
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

/** A document with nothing to apply (an EasyPost batch event...): acknowledged so the partner does not retry, kept as `ignored`. */
function ignoredDocumentOf(code: string, settings: DocumentSettings, raw: Buffer, contentType: string | undefined, keyIndex: number, receivedAt: number, decoded: { messageId: string; testMode: boolean; reason: string }): NewInboundDocument {
  return documentOf(code, settings, raw, contentType, keyIndex, receivedAt, {
    type: "ignored",
    messageId: decoded.messageId,
    messageIdSource: decoded.messageId.startsWith("sha256:") ? "body_hash" : "partner",
    testMode: decoded.testMode,
    status: "ignored",
    detail: decoded.reason,
  });
}

function eventDocumentOf(code: string, settings: DocumentSettings, raw: Buffer, contentType: string | undefined, keyIndex: number, receivedAt: number, event: DecodedInbound): NewInboundDocument {
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
