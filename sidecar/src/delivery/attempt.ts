import { errors as undiciErrors, request as undiciRequest, type Dispatcher } from "undici";
import { deadline } from "./deadline.ts";

/** Why an attempt failed; stored with the delivery and counted in metrics. */
export type ErrorClass =
  | "network"
  | "timeout"
  | "http_5xx"
  | "http_retryable_4xx"
  | "http_4xx"
  | "gone"
  | "stop_requested"
  | "circuit_open"
  | "encode"
  | "bad_answer"
  | "max_age"
  /** NATS: no JetStream stream answered on the subject (JetStream down, or the stream was deleted). */
  | "no_responders"
  /** NATS: the JetStream API refused the publish (storage full, a stream limit, ...). */
  | "server_error";

/** The partner's answer body, kept when the request asked for it (`readAnswer`). */
export interface PartnerAnswer {
  body: Buffer;
  contentType: string | null;
  /** The body was longer than `readAnswer` bytes and was cut there. */
  truncated: boolean;
}

/** What one attempt to a partner came to: an HTTP request, or a NATS JetStream publish. */
export type AttemptOutcome =
  | {
      ok: true;
      /** The HTTP status; 0 for a NATS publish, which has none (its PubAck is in `ack`). */
      status: number;
      answer?: PartnerAnswer;
      /** NATS: where the server stored the message; `duplicate` when it already had this event id. */
      ack?: { stream: string; seq: number; duplicate: boolean };
    }
  | {
      ok: false;
      answer?: PartnerAnswer;
      errorClass: ErrorClass;
      /** The partner's answer or the network error, truncated; never contains our secrets. */
      message: string;
      status?: number;
      /** Whether a later attempt can succeed. */
      retryable: boolean;
      /** Partner-requested wait (Retry-After), in ms. */
      retryAfterMs?: number;
    };

export interface PreparedRequest {
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  /**
   * Keep up to this many bytes of the answer, whatever its status, for formats whose answer
   * means something (a cXML Response's Status, EasyPost's bought Shipment). Unset: the body
   * of a 2xx is discarded unread.
   */
  readAnswer?: number;
}

/** One event for NATS JetStream (format nats): published on `subject`, deduplicated by the server on `msgId`. */
export interface PreparedPublish {
  subject: string;
  /** `Nats-Msg-Id`: the event id. */
  msgId: string;
  headers: Record<string, string>;
  payload: string;
}

/** What an attempt carries: an HTTP request, or a JetStream publish. */
export type Prepared = PreparedRequest | PreparedPublish;

export const isPublish = (p: Prepared): p is PreparedPublish => "subject" in p;

/**
 * How a lane's attempts leave the sidecar: HTTP (undici, or a fetch tests inject) or a NATS
 * JetStream publisher (delivery/nats.ts). The lane puts every attempt through the same rate
 * gate, breaker, retries and pause whatever the transport; each transport only turns one
 * prepared attempt into an AttemptOutcome, and never throws.
 */
export interface Transport {
  send(prepared: Prepared, timeoutMs: number): Promise<AttemptOutcome>;
  /** Set when nothing can be sent until the configuration changes (a NATS stream that exists with other subjects): the lane stops. */
  refused(): string | null;
  /** Gets ready ahead of the first attempt (NATS: connect and create or check the stream); resolves, never rejects. */
  open(): Promise<void>;
  close(): Promise<void>;
}

/** The HTTP transport: one keep-alive pool per lane, or an injected fetch. */
export function httpTransport(pool: Dispatcher | typeof fetch): Transport {
  return {
    send: async (prepared, timeoutMs) =>
      isPublish(prepared) ? { ok: false, errorClass: "encode", message: "a NATS publish cannot go over HTTP", retryable: false } : sendAttempt(prepared, timeoutMs, pool),
    refused: () => null,
    open: async () => {},
    close: async () => {
      if (typeof pool !== "function") await pool.destroy().catch(() => {});
    },
  };
}

const MAX_ANSWER_KEPT = 2_000;

/**
 * Parses Retry-After: delta-seconds or an HTTP date. Capped at a day so a hostile or
 * broken partner cannot park a delivery forever.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    // An HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"); anything else is ignored.
    if (!/^[A-Za-z]{3},? /.test(trimmed)) return undefined;
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), 86_400_000);
}

/**
 * Error classes: network errors, timeouts, 5xx, 408/425/429 are worth retrying; other 4xx
 * are the partner refusing this request for good; 410 means the endpoint is gone.
 */
export function classifyStatus(status: number): { errorClass: ErrorClass; retryable: boolean } | null {
  if (status >= 200 && status < 300) return null;
  if (status === 410) return { errorClass: "gone", retryable: false };
  if (status === 408 || status === 425 || status === 429) return { errorClass: "http_retryable_4xx", retryable: true };
  if (status >= 500) return { errorClass: "http_5xx", retryable: true };
  return { errorClass: "http_4xx", retryable: false };
}

/**
 * Sends one request with undici's `request` over the lane's keep-alive pool and classifies
 * the answer. Never throws. undici.request, not fetch: fetch's WHATWG streams and AbortSignal
 * cost most of a delivery's CPU (bench/README.md, "Design measurements").
 * `timeoutMs` bounds the whole attempt, answer body included.
 */
export async function sendAttempt(request: PreparedRequest, timeoutMs: number, transport: Dispatcher | typeof fetch): Promise<AttemptOutcome> {
  if (typeof transport === "function") return sendWithFetch(request, timeoutMs, transport);
  let status: number;
  let retryAfter: string | null = null;
  let stopHeader: string | null = null;
  let text = "";
  // Our own deadline, not only undici's headers/body timeouts: those run on coarse timers
  // (ticks of about half a second), so a 300 ms timeout fired after 0.5-1 s.
  const until = deadline(timeoutMs);
  try {
    const response = await undiciRequest(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      dispatcher: transport,
      signal: until,
      headersTimeout: timeoutMs + 1_000,
      bodyTimeout: timeoutMs + 1_000,
    });
    status = response.statusCode;
    const header = (name: string) => {
      const v = response.headers[name];
      return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
    };
    retryAfter = header("retry-after");
    stopHeader = header("x-stop-retrying");
    if (request.readAnswer !== undefined) {
      const answer = await readAnswer(response.body as AsyncIterable<Uint8Array>, request.readAnswer, header("content-type"));
      text = summarise(answer.body.toString("utf8"));
      return withAnswer(status >= 200 && status < 300 ? { ok: true, status } : classifyAnswer(status, text, retryAfter, stopHeader), answer);
    }
    if (status >= 200 && status < 300) {
      await response.body.dump();
      return { ok: true, status };
    }
    try {
      text = (await readHeadOf(response.body as AsyncIterable<Uint8Array>, MAX_ANSWER_KEPT)).replace(/\s+/g, " ").trim().slice(0, MAX_ANSWER_KEPT);
    } catch {
      // The status line is what matters; a body cut by a reset is not worth failing on.
    }
  } catch (err) {
    const name = (err as Error).name;
    if (name === "TimeoutError" || name === "AbortError" || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      return { ok: false, errorClass: "timeout", message: `no answer within ${timeoutMs} ms`, retryable: true };
    }
    const e = err as Error & { code?: string; cause?: { code?: string } };
    return { ok: false, errorClass: "network", message: e.code ?? e.cause?.code ?? e.message, retryable: true };
  } finally {
    until.done();
  }
  return classifyAnswer(status, text, retryAfter, stopHeader);
}

const summarise = (text: string) => text.replace(/\s+/g, " ").trim().slice(0, MAX_ANSWER_KEPT);

function withAnswer(outcome: AttemptOutcome, answer: PartnerAnswer): AttemptOutcome {
  return { ...outcome, answer };
}

/** Reads at most `limit` bytes of an answer; past that it is cut and the rest dropped. */
async function readAnswer(body: AsyncIterable<Uint8Array>, limit: number, contentType: string | null): Promise<PartnerAnswer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    if (size + chunk.byteLength > limit) {
      chunks.push(chunk.subarray(0, limit - size));
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return { body: Buffer.concat(chunks), contentType, truncated };
}

/** Reads at most about `limit` characters of a body and drops the rest. */
async function readHeadOf(body: AsyncIterable<Uint8Array> & { destroy?: () => void }, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= limit * 4) break;
  }
  return Buffer.concat(chunks).toString("utf8");
}

function classifyAnswer(status: number, text: string, retryAfter: string | null, stop: string | null): AttemptOutcome {
  const verdict = classifyStatus(status);
  if (!verdict) return { ok: true, status };
  // Standard Webhooks leaves "stop" to the receiver; we honour an explicit header as Svix does with 410.
  if (stop && /^(1|true|yes)$/i.test(stop.trim())) {
    return { ok: false, errorClass: "stop_requested", message: `HTTP ${status} with X-Stop-Retrying: ${text}`, status, retryable: false };
  }
  const retryAfterMs = verdict.retryable ? parseRetryAfter(retryAfter) : undefined;
  return {
    ok: false,
    ...verdict,
    status,
    message: `HTTP ${status}${text ? `: ${text}` : ""}`,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** The same attempt through a fetch function (tests wrap fetch to observe requests). */
async function sendWithFetch(request: PreparedRequest, timeoutMs: number, doFetch: typeof fetch): Promise<AttemptOutcome> {
  let response: Response;
  try {
    response = await doFetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === "TimeoutError" || e.name === "AbortError") return { ok: false, errorClass: "timeout", message: `no answer within ${timeoutMs} ms`, retryable: true };
    return { ok: false, errorClass: "network", message: e.cause?.code ?? e.cause?.message ?? e.message, retryable: true };
  }
  if (request.readAnswer !== undefined) {
    let answer: PartnerAnswer;
    try {
      answer = await readAnswer((response.body ?? []) as AsyncIterable<Uint8Array>, request.readAnswer, response.headers.get("content-type"));
    } catch (err) {
      // The answer is the point of reading it: a body cut short is a failed attempt.
      return { ok: false, errorClass: "network", message: `answer cut short: ${(err as Error).message}`, retryable: true };
    }
    const status = response.status;
    return withAnswer(status >= 200 && status < 300 ? { ok: true, status } : classifyAnswer(status, summarise(answer.body.toString("utf8")), response.headers.get("retry-after"), response.headers.get("x-stop-retrying")), answer);
  }
  let text = "";
  try {
    text = await readHead(response, MAX_ANSWER_KEPT);
  } catch {
    // The status line is what matters; a body cut by a reset is not worth failing on.
  }
  return classifyAnswer(response.status, text, response.headers.get("retry-after"), response.headers.get("x-stop-retrying"));
}

/** Reads at most `limit` characters of an answer body and drops the rest. */
async function readHead(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit * 4) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).toString("utf8").replace(/\s+/g, " ").trim().slice(0, limit);
}
