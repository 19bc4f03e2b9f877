import type { Wire } from "../config/formats.ts";
import { decodeCxmlResponse, decodeWith, describeRefusal, encodeCanonicalBatch, encodeWith, readEasypostError, refuse, signStandardWebhook, type EncodeResult, type Refusal } from "../partners/registry.ts";
import type { AttemptOutcome, PartnerAnswer, Prepared, PreparedPublish, PreparedRequest } from "./attempt.ts";

/**
 * The one path from a stored event to a partner's request, and from its answer to an
 * outcome: every format is encoded by its adapter in the partners registry, with the
 * partner's own transport and authentication (Standard Webhooks, cXML's SharedSecret in the
 * document, a bearer token, EasyPost's API key), and an answer that carries meaning (a cXML
 * Response's Status, EasyPost's bought Shipment) is read, never trusted on its HTTP status.
 * The event backbone (format nats) is the same path with another transport: a JetStream
 * publish of the event as stored, on `<prefix>.<type>`, deduplicated on its id.
 */

export interface WireTarget {
  endpoint: string;
  wire: Wire;
}

export interface WireEvent {
  eventId: string;
  /** The event's JSON as stored. */
  payload: string;
}

export interface WireContext {
  /** Epoch ms (Standard Webhooks timestamps). */
  now: number;
  /** The id of the last event of the same subject this partner took (cXML DocumentReference of an update or delete). */
  previousEventId?: string | undefined;
  /** Batched delivery (canonical only): even a single event goes as `{"events":[...]}`. */
  batch?: boolean;
}

const USER_AGENT = "odoo-distribution-connector/0.1";

/** Answer bytes kept: a cXML Response is small; an EasyPost Shipment with its rates, forms and label a few tens of KB. */
const ANSWER_LIMIT = { cxml: 256 * 1024, easypost: 2 * 1024 * 1024 } as const;

function request(url: string, encoded: Extract<EncodeResult, { ok: true }>, extra: Record<string, string> = {}, readAnswer?: number): PreparedRequest {
  return {
    url,
    headers: { "content-type": encoded.contentType, "user-agent": USER_AGENT, ...encoded.headers, ...extra },
    body: encoded.body,
    ...(readAnswer !== undefined ? { readAnswer } : {}),
  };
}

function parsed(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return null;
  }
}

/** An event type is two subject tokens (`purchase_order.confirmed`): never a wildcard, a space or an empty token. */
const SUBJECT_TYPE = /^[a-z_]+\.[a-z_]+$/;

/**
 * The JetStream publish of one event: its JSON byte for byte as stored, on
 * `<prefix>.<type>`, with `Nats-Msg-Id` = the event id (set by the publisher from `msgId`) so
 * that the stream drops a second copy within its duplicate window, and a few headers a
 * consumer can route on without parsing the body.
 */
function preparePublish(prefix: string, event: WireEvent): PreparedPublish | Refusal {
  const parsedEvent = parsed(event.payload) as { type?: unknown; subject?: { model?: unknown; id?: unknown }; sequence?: unknown } | null;
  const type = parsedEvent?.type;
  if (typeof type !== "string" || !SUBJECT_TYPE.test(type)) return refuse("invalid_event", "the stored event has no type usable as a subject token");
  const headers: Record<string, string> = { "Content-Type": "application/json", "Odc-Event-Type": type };
  const subject = parsedEvent?.subject;
  if (subject && typeof subject.model === "string" && (typeof subject.id === "number" || typeof subject.id === "string")) headers["Odc-Subject"] = `${subject.model}/${subject.id}`;
  if (typeof parsedEvent?.sequence === "number") headers["Odc-Sequence"] = String(parsedEvent.sequence);
  return { subject: `${prefix}.${type}`, msgId: event.eventId, headers, payload: event.payload };
}

/** What a lane sends for one event (or, canonical only, a batch): the HTTP request of its format, or the JetStream publish of the backbone. */
export function prepare(target: WireTarget, events: readonly WireEvent[], context: WireContext): Prepared | Refusal {
  if (target.wire.format !== "nats") return prepareRequest(target, events, context);
  if (events.length !== 1) return refuse("unsupported_event", "format nats publishes one event per message");
  return preparePublish(target.wire.subjectPrefix, events[0]!);
}

/** The HTTP request for one event (or, canonical only, a batch of them); a refusal when the event cannot be encoded for this partner. */
export function prepareRequest(target: WireTarget, events: readonly WireEvent[], context: WireContext): PreparedRequest | Refusal {
  const { wire } = target;
  const timestamp = Math.floor(context.now / 1000);
  if (wire.format === "canonical") {
    const encoded =
      events.length === 1 && !context.batch
        ? encodeWith("canonical", { id: events[0]!.eventId, type: "-" }, { secrets: wire.secrets, timestamp, text: events[0]!.payload })
        : encodeCanonicalBatch(events.map((e) => ({ id: e.eventId, text: e.payload })), { secrets: wire.secrets, timestamp });
    return encoded.ok ? request(target.endpoint, encoded) : encoded;
  }
  if (wire.format === "nats") return refuse("unsupported_event", "format nats publishes to JetStream, not over HTTP");
  if (events.length !== 1) return refuse("unsupported_event", `format ${wire.format} carries one event per request`);
  const event = parsed(events[0]!.payload);
  if (event === null) return refuse("invalid_event", "the stored event is not JSON");
  switch (wire.format) {
    case "cxml": {
      const encoded = encodeWith("cxml", event, { ...wire.options, ...(context.previousEventId ? { previousEventId: context.previousEventId } : {}) });
      return encoded.ok ? request(target.endpoint, encoded, {}, ANSWER_LIMIT.cxml) : encoded;
    }
    case "ubl": {
      const encoded = encodeWith("ubl", event, wire.options);
      if (!encoded.ok) return encoded;
      if (wire.auth.scheme === "bearer") return request(target.endpoint, encoded, { authorization: `Bearer ${wire.auth.token}` });
      const signature = signStandardWebhook({ id: events[0]!.eventId, timestamp, body: encoded.body, secrets: wire.auth.secrets });
      if ("error" in signature) return refuse("missing_option", signature.error);
      return request(target.endpoint, encoded, { ...signature });
    }
    case "easypost": {
      const encoded = encodeWith("easypost", event, wire.options);
      if (!encoded.ok) return encoded;
      // One parcel is a Shipment, several an Order (one shipment each): each has its own resource.
      const resource = encoded.body.startsWith('{"order"') ? "orders" : "shipments";
      const basic = Buffer.from(`${wire.apiKey}:`, "utf8").toString("base64");
      return request(`${target.endpoint.replace(/\/+$/, "")}/${resource}`, encoded, { authorization: `Basic ${basic}` }, ANSWER_LIMIT.easypost);
    }
  }
}

/** What an answer came to: the outcome to record, and a booking to apply in Odoo (EasyPost's bought Shipment). */
export interface Interpreted {
  outcome: AttemptOutcome;
  booking?: PartnerAnswer;
}

const badAnswer = (message: string, retryable: boolean, status?: number): AttemptOutcome => ({ ok: false, errorClass: "bad_answer", message, retryable, ...(status !== undefined ? { status } : {}) });

/** Reads the partner's answer where its format gives it meaning; other formats' outcomes pass unchanged. */
export function interpretAnswer(wire: Wire, outcome: AttemptOutcome): Interpreted {
  if (wire.format === "cxml") return { outcome: cxmlOutcome(outcome) };
  if (wire.format === "easypost") return easypostOutcome(outcome);
  return { outcome };
}

/**
 * cXML answers every POST with a Response whose Status code decides: 2xx taken, 4xx our
 * document's fault (dead, with the supplier's text), 5xx retryable. A 200 HTTP answer with an
 * error Status is a failure; a 2xx without a readable Response is retried (the payloadID lets
 * the supplier drop a copy it already took).
 */
function cxmlOutcome(outcome: AttemptOutcome): AttemptOutcome {
  const answer = outcome.answer;
  const http = outcome.status;
  if (!answer) return outcome;
  const reply = answer.truncated ? null : decodeCxmlResponse(answer.body);
  if (!reply || !reply.ok) {
    if (!outcome.ok) return outcome;
    const why = reply ? describeRefusal(reply) : "answer too large";
    return badAnswer(`HTTP ${http} but no cXML Response: ${why}`, true, http);
  }
  const { code, text, message } = reply.status;
  const detail = [text, message].filter((s): s is string => !!s && s.trim() !== "").join(": ").replace(/\s+/g, " ").slice(0, 1_000);
  const said = `cXML Status ${code}${detail ? ` ${detail}` : ""}`;
  if (reply.accepted) return outcome.ok ? outcome : { ...outcome, message: `${outcome.message} (${said})` };
  if (reply.retryable) return { ok: false, errorClass: "http_5xx", message: said, retryable: true, ...(http !== undefined ? { status: http } : {}), ...(!outcome.ok && outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) };
  return { ok: false, errorClass: code >= 400 && code < 500 ? "http_4xx" : "bad_answer", message: said, retryable: false, ...(http !== undefined ? { status: http } : {}) };
}

/**
 * EasyPost answers a booking with the Shipment (or Order) it created. Bought (a tracking
 * code and a label), it is news for Odoo; created but not bought, retrying cannot help (the
 * Idempotency-Key returns the same shipment): it is dead with the reason. A 4xx error names
 * the carrier's reason (an address or rate problem), which becomes the exception staff see.
 */
function easypostOutcome(outcome: AttemptOutcome): Interpreted {
  const answer = outcome.answer;
  if (!answer) return { outcome };
  if (!outcome.ok) {
    const reason = readEasypostError(answer.body);
    return { outcome: reason ? { ...outcome, message: `HTTP ${outcome.status ?? "?"} from EasyPost: ${reason}` } : outcome };
  }
  if (answer.truncated) return { outcome: badAnswer(`HTTP ${outcome.status} but the answer is over ${ANSWER_LIMIT.easypost} bytes`, false, outcome.status) };
  const decoded = decodeWith("easypost", answer.body);
  if (decoded.ok && decoded.kind === "event" && decoded.event.type === "carrier.shipment_booked") return { outcome, booking: answer };
  const why = decoded.ok ? `a ${decoded.kind} document, not a Shipment` : describeRefusal(decoded);
  return { outcome: badAnswer(`EasyPost answered ${outcome.status} without a bought label: ${why}`, false, outcome.status) };
}
