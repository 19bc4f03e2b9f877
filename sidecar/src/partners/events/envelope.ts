import { createHash } from "node:crypto";
import { toBytes, type RawDocument } from "../result.ts";
import type { DecodedInbound, InboundEventType } from "./inbound.ts";
import { toUtcString } from "./partner-time.ts";

/** The contracts/v1 envelope, shared by outbound and inbound events. */
export interface EventSource {
  system: string;
  database: string;
  company: { id: number; name: string };
}

export interface EventSubject {
  model: string;
  id: number;
  ref: string;
}

export interface CanonicalEnvelope<TType extends string = string, TData = Record<string, unknown>> {
  id: string;
  type: TType;
  version: 1;
  occurred_at: string;
  source: EventSource;
  subject: EventSubject;
  sequence: number;
  data: TData;
}

/** Odoo model an inbound event is about, for the envelope's subject. */
export const INBOUND_SUBJECT_MODEL: Readonly<Record<InboundEventType, string>> = {
  "supplier.order_acknowledged": "purchase.order",
  "supplier.document_status": "purchase.order",
  "supplier.shipment_noticed": "stock.picking",
  "carrier.shipment_booked": "stock.picking",
  "carrier.tracking_updated": "stock.picking",
};

// Namespace for our name-based event ids (a fixed random UUID; changing it changes every inbound id).
const INBOUND_NAMESPACE = "6f1c2f0e-8a4b-4d7e-9b1a-2c3d4e5f6a7b";

/** RFC 4122 version 5 (SHA-1, name-based) UUID. */
const INBOUND_NAMESPACE_BYTES = Buffer.from(INBOUND_NAMESPACE.replace(/-/g, ""), "hex");

export function uuidV5(name: string, namespace = INBOUND_NAMESPACE): string {
  const ns = namespace === INBOUND_NAMESPACE ? INBOUND_NAMESPACE_BYTES : Buffer.from(namespace.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The inbound event id, derived from the partner's message id: a partner resending the same
 * message yields the same id, so the store's idempotency on event id also dedupes partners.
 * The partner code is part of the name because two suppliers may both number their documents
 * "101"; the type too, because partners reuse message ids across document kinds (the
 * FriendsOfCXML ShipNotice and StatusUpdate share one payloadID).
 */
export function inboundEventId(partner: string, format: string, type: string, messageId: string): string {
  return uuidV5(`${partner}\u0000${format}\u0000${type}\u0000${messageId}`);
}

/** `sha256:<hex>` of the raw body: the dedupe key for partners that send no message id. */
export function bodyHashId(raw: RawDocument): string {
  return `sha256:${createHash("sha256").update(toBytes(raw)).digest("hex")}`;
}

export interface WrapOptions {
  /** Our code for the partner that sent the document (scopes its message ids). */
  partner: string;
  /** Filled by the sidecar: which Odoo database and company the event is for. */
  source: EventSource;
  /** Odoo record id of the subject, once the sidecar has resolved `subjectRef` to a record. */
  subjectId: number;
  /** When the sidecar received the document; used when the document gives no zoned time. */
  receivedAt: Date;
  /** Per-subject sequence, when the sidecar keeps one for inbound events. Default 1. */
  sequence?: number;
}

/** Wraps a decoded inbound event into the canonical envelope. */
export function wrapInbound(decoded: DecodedInbound, options: WrapOptions): CanonicalEnvelope {
  return {
    id: inboundEventId(options.partner, decoded.format, decoded.type, decoded.messageId),
    type: decoded.type,
    version: 1,
    occurred_at: decoded.occurredAt ?? toUtcString(new Date(Math.floor(options.receivedAt.getTime() / 1000) * 1000)),
    source: options.source,
    subject: { model: INBOUND_SUBJECT_MODEL[decoded.type], id: options.subjectId, ref: decoded.subjectRef.slice(0, 256) },
    sequence: options.sequence ?? 1,
    data: decoded.data as unknown as Record<string, unknown>,
  };
}
