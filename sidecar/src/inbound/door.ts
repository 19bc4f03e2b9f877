import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import type { InboundSettings } from "../config/inbound.ts";
import type { Partner } from "../config/partners.ts";
import { type HeaderSource, xmlCharacterProblem } from "../partners/registry.ts";
import type { NewInboundDocument, ReceiveOutcome } from "./store.ts";
import type { InboundPort } from "./port.ts";
import { acceptedAnswer, refusedAnswer, type Answer } from "./answers.ts";
import { HttpError } from "../http/errors.ts";
import { admit } from "./admit.ts";
import { GroupCommit } from "../lib/group-commit.ts";
import type { InboundMetrics } from "./metrics.ts";
import { SlidingWindow } from "../lib/sliding-window.ts";

export interface InboundServices {
  partners: readonly Partner[];
  store: InboundPort;
  log: Logger;
  /** A new document waits to be applied: wake the apply worker. */
  stored(): void;
  metrics?: InboundMetrics;
  /** Unix seconds (tests move it to check timestamp tolerance). */
  nowSeconds?: () => number;
  /** Shortest time between two store commits (group commit). Default 1 ms. */
  commitIntervalMs?: number;
  /** How often what the door took is logged (one line per partner). Default 10 s. */
  summaryMs?: number;
  /** Most carrier webhooks waiting to be decoded; past it the door answers 503 (their dedupe keys are held in memory). Default 200,000. */
  maxReceived?: number;
}

export type Body = { ok: true; bytes: Buffer } | { ok: false; tooLarge: true };

/** One `POST /inbound/<partner>` request, whatever server carries it (Node's own, or Hono's `app.request()` in tests). */
export interface DoorRequest {
  /** The path segment after /inbound/, decoded. */
  partner: string;
  requestId: string;
  /** Request headers (lower-case names). */
  headers: HeaderSource;
  contentType: string | undefined;
  /** Path and query as requested (the url_token scheme reads `?token=`). */
  url: string;
  /** Reads at most `max` bytes of the body (past that, stops and says so), then calls `done` once. */
  body(max: number, done: (body: Body | Error) => void): void;
}

/** How often what the door took is logged (see InboundDoor.count). */
const SUMMARY_MS = 10_000;

/** ~140 bytes of memory each (see InboundStore's received keys): 200,000 is ~30 MB, minutes of a burst the decode stage has not caught up with. */
const MAX_RECEIVED = 200_000;

const XML_TYPES = new Set(["application/xml", "text/xml"]);
const JSON_TYPES = new Set(["application/json"]);

const isXml = (format: InboundSettings["format"]) => format === "cxml" || format === "ubl";

/** Media types each format's partners post (parameters such as charset are ignored). */
function acceptsContentType(format: InboundSettings["format"], header: string | undefined): boolean {
  if (!header) return false;
  const semi = header.indexOf(";");
  const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (isXml(format)) return XML_TYPES.has(type) || (type.startsWith("application/") && type.endsWith("+xml"));
  return JSON_TYPES.has(type) || (type.startsWith("application/") && type.endsWith("+json"));
}

/**
 * Reads a Node request's body, at most `max` bytes (a declared length past it is refused
 * before reading), and calls `done` once: with the bytes, with tooLarge, or with the stream's
 * error. Callbacks, not a promise: this is every webhook's path.
 */
export function readNodeBody(incoming: IncomingMessage, max: number, done: (body: Body | Error) => void): void {
  const declared = incoming.headers["content-length"];
  if (declared !== undefined && Number(declared) > max) return done(TOO_LARGE);
  let first: Buffer | null = null;
  let chunks: Buffer[] | null = null;
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > max) {
      cleanup();
      incoming.pause();
      done(TOO_LARGE);
      return;
    }
    if (first === null) first = chunk;
    else (chunks ??= [first]).push(chunk);
  };
  const onEnd = () => {
    cleanup();
    done({ ok: true, bytes: chunks ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0)) });
  };
  const onError = (err: Error) => {
    cleanup();
    done(err);
  };
  const cleanup = () => {
    incoming.off("data", onData);
    incoming.off("end", onEnd);
    incoming.off("error", onError);
  };
  incoming.on("data", onData);
  incoming.on("end", onEnd);
  incoming.on("error", onError);
}

const TOO_LARGE: Body = { ok: false, tooLarge: true };

/** Reads a Fetch request's body, at most `max` bytes. */
export async function readWebBody(request: Request, max: number): Promise<Body> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > max) return { ok: false, tooLarge: true };
  const stream = request.body;
  if (!stream) return { ok: true, bytes: Buffer.alloc(0) };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, tooLarge: true };
    }
    chunks.push(value);
  }
  return { ok: true, bytes: Buffer.concat(chunks, size) };
}

/**
 * The door of `POST /inbound/<partner>`, with no web framework: the partner's raw bytes are
 * verified with its scheme before anything parses them, decoded by its format's adapter (a
 * carrier webhook: only checked to be JSON and its id found, decoded after the answer),
 * deduplicated on its message id (or a body hash) and stored in one transaction (shared with
 * the requests arriving meanwhile), then answered at once; the apply worker takes it from
 * there. Anything unusable gets a 4xx naming the problem and changes nothing; the attempt is
 * logged without body, headers or secrets.
 */
export class InboundDoor {
  private readonly byCode = new Map<string, Partner>();
  private readonly limiters = new Map<string, SlidingWindow>();
  private readonly writer: GroupCommit<NewInboundDocument, ReceiveOutcome>;
  private readonly nowSeconds: () => number;
  /** Documents taken since the last summary line, by partner. */
  private taken = new Map<string, { stored: number; duplicates: number }>();
  private summaryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly services: InboundServices) {
    for (const p of services.partners) {
      if (!p.inbound) continue;
      this.byCode.set(p.code, p);
      this.limiters.set(p.code, new SlidingWindow(p.inbound.rate.requests, p.inbound.rate.per_ms, performance.now.bind(performance)));
    }
    // Spaced commits: a busy door writes batches, not one transaction per request.
    this.writer = new GroupCommit({ commit: (docs) => services.store.receive(docs), minIntervalMs: services.commitIntervalMs ?? 1, maxBatch: 256 });
    this.nowSeconds = services.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  /** The answer to a request, as a promise (the Hono route; tests). */
  handle(req: DoorRequest): Promise<Answer> {
    return new Promise((resolve, reject) => {
      try {
        this.take(req, (answer) => (answer instanceof Error ? reject(answer) : resolve(answer)));
      } catch (err) {
        reject(err);
      }
    });
  }

  /**
   * Answers a request: `done` is called once, with the answer, or with an error the door did
   * not expect (the caller answers 500). Callbacks all the way, no promise per step: this is
   * every webhook's path.
   */
  take(req: DoorRequest, done: (answer: Answer | Error) => void): void {
    const partner = this.byCode.get(req.partner) ?? null;
    const settings = partner?.inbound;
    if (!partner || !settings || !partner.enabled || !settings.enabled) return done(this.refuse(req, null, new HttpError(404, "unknown_partner", "no partner takes documents at this address")));

    const allowed = this.limiters.get(partner.code)!.take();
    if (!allowed.ok) {
      const seconds = String(Math.max(1, Math.ceil(allowed.retryAfterMs / 1000)));
      return done(this.refuse(req, partner, new HttpError(429, "rate_limited", `more than ${settings.rate.requests} requests in ${settings.rate.per_ms} ms`, { "retry-after": seconds })));
    }
    if (!acceptsContentType(settings.format, req.contentType)) {
      const wanted = isXml(settings.format) ? "application/xml or text/xml" : "application/json";
      return done(this.refuse(req, partner, new HttpError(415, "unsupported_media_type", `content type must be ${wanted}`)));
    }
    req.body(settings.max_body_bytes, (body) => {
      if (body instanceof Error) return done(body);
      try {
        this.admitBody(req, partner, settings, body, done);
      } catch (err) {
        done(err as Error);
      }
    });
  }

  private admitBody(req: DoorRequest, partner: Partner, settings: InboundSettings, body: Body, done: (answer: Answer | Error) => void): void {
    if (!body.ok) return done(this.refuse(req, partner, new HttpError(413, "payload_too_large", `body is larger than ${settings.max_body_bytes} bytes`)));
    const raw = body.bytes;
    if (raw.length === 0) return done(this.refuse(req, partner, new HttpError(400, "empty_body", "the body is empty")));
    if (isXml(settings.format)) {
      const problem = xmlCharacterProblem(raw);
      if (problem) return done(this.refuse(req, partner, new HttpError(400, "not_well_formed", `XML is not well-formed: ${problem.message}`), { bytes: raw.length }));
    }

    const admitted = admit(partner.code, settings, { body: raw, headers: req.headers, url: req.url, contentType: req.contentType, now: this.nowSeconds(), receivedAt: Date.now() });
    if (!admitted.ok) return done(this.refuse(req, partner, admitted.error, admitted.extra));
    if (admitted.doc.status === "received" && this.services.store.receivedCount() >= (this.services.maxReceived ?? MAX_RECEIVED)) {
      return done(this.refuse(req, partner, new HttpError(503, "backlog_full", "too many documents wait to be decoded; send it again later", { "retry-after": "30" })));
    }
    const detail = admitted.doc.detail;
    this.writer.take(admitted.doc, (err, outcome) => {
      if (err || !outcome) {
        this.services.log.error({ err, request_id: req.requestId, partner: partner.code }, "inbound: storing the document failed");
        return done(this.refuse(req, partner, new HttpError(503, "store_unavailable", "the document could not be stored; send it again later", { "retry-after": "5" })));
      }
      if (!outcome.duplicate && (outcome.status === "pending" || outcome.status === "received")) this.services.stored();
      this.services.metrics?.request(partner.code, outcome.duplicate ? "duplicate" : "accepted");
      this.count(partner.code, outcome.duplicate);
      done(acceptedAnswer(settings.format, { documentId: outcome.id, eventId: outcome.eventId, duplicate: outcome.duplicate, status: outcome.status, detail: outcome.duplicate ? null : detail }));
    });
  }

  /**
   * What was taken is logged as one line per partner every `summaryMs` while documents arrive
   * (each request's own line is at debug level on the fast path: at thousands of webhooks a
   * second it would cost more than storing them; each document is in the store, with its id
   * in the answer). Refusals are logged one by one.
   */
  private count(partner: string, duplicate: boolean): void {
    let c = this.taken.get(partner);
    if (!c) this.taken.set(partner, (c = { stored: 0, duplicates: 0 }));
    if (duplicate) c.duplicates++;
    else c.stored++;
    if (this.summaryTimer) return;
    this.summaryTimer = setTimeout(() => this.summarize(), this.services.summaryMs ?? SUMMARY_MS);
    this.summaryTimer.unref();
  }

  private summarize(): void {
    this.summaryTimer = null;
    const taken = this.taken;
    this.taken = new Map();
    const windowS = (this.services.summaryMs ?? SUMMARY_MS) / 1000;
    for (const [partner, c] of taken) this.services.log.info({ partner, stored: c.stored, duplicates: c.duplicates, window_s: windowS }, "inbound: documents taken");
  }

  private refuse(req: DoorRequest, partner: Partner | null, err: HttpError, extra: Record<string, unknown> = {}): Answer {
    this.services.metrics?.request(partner?.code ?? "(unknown)", err.code);
    this.services.log.warn(
      { request_id: req.requestId, partner: partner?.code ?? null, path_partner: partner ? undefined : req.partner.slice(0, 64), status: err.status, code: err.code, reason: err.message.slice(0, 300), content_type: req.contentType?.slice(0, 100) ?? null, ...extra },
      "inbound refused",
    );
    return refusedAnswer(partner?.inbound?.format ?? null, err, req.requestId);
  }
}
