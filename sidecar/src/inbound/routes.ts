import { Hono, type Context } from "hono";
import type { Logger } from "pino";
import type { InboundSettings } from "../config/inbound.ts";
import type { Partner } from "../config/partners.ts";
import { nodeBindings, requestHeader, type AppEnv } from "../http/app.ts";
import type { InboundStore } from "../store/inbound.ts";
import { acceptedAnswer, refusedAnswer, send, type RefusalStatus } from "./answers.ts";
import { admit } from "./admit.ts";
import { GroupCommit } from "./group-commit.ts";
import type { InboundMetrics } from "./metrics.ts";
import { SlidingWindowLimiter } from "./rate-limit.ts";
import { xmlCharacterProblem } from "../partners/xml/xml-chars.ts";

export interface InboundServices {
  partners: readonly Partner[];
  store: InboundStore;
  log: Logger;
  /** A new document waits to be applied: wake the apply worker. */
  stored(): void;
  metrics?: InboundMetrics;
  /** Unix seconds (tests move it to check timestamp tolerance). */
  nowSeconds?: () => number;
  /** Shortest time between two store commits (group commit). Default 1 ms. */
  commitIntervalMs?: number;
}

const XML_TYPES = new Set(["application/xml", "text/xml"]);
const JSON_TYPES = new Set(["application/json"]);

/** Media types each format's partners post (parameters such as charset are ignored). */
function acceptsContentType(format: InboundSettings["format"], header: string | undefined): boolean {
  if (!header) return false;
  const semi = header.indexOf(";");
  const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (format === "cxml" || format === "ubl") return XML_TYPES.has(type) || (type.startsWith("application/") && type.endsWith("+xml"));
  return JSON_TYPES.has(type) || (type.startsWith("application/") && type.endsWith("+json"));
}

type Body = { ok: true; bytes: Buffer } | { ok: false; tooLarge: true };

/** Reads at most `max` bytes of the body; past that, stops reading and says so (413). */
function readBody(c: Context<AppEnv>, max: number): Promise<Body> {
  const declared = requestHeader(c, "content-length");
  if (declared !== undefined && Number(declared) > max) return Promise.resolve({ ok: false, tooLarge: true });
  const incoming = nodeBindings(c).incoming;
  if (incoming) {
    // Straight from Node's request stream: no web-stream adapter on the hot path.
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          cleanup();
          incoming.pause();
          resolve({ ok: false, tooLarge: true });
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = () => {
        cleanup();
        resolve({ ok: true, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        incoming.off("data", onData);
        incoming.off("end", onEnd);
        incoming.off("error", onError);
      };
      incoming.on("data", onData);
      incoming.on("end", onEnd);
      incoming.on("error", onError);
    });
  }
  return (async (): Promise<Body> => {
    const stream = c.req.raw.body;
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
  })();
}

/** The query string of the request as the partner sent it (url_token reads `?token=`). */
function pathAndQuery(c: Context<AppEnv>): string {
  return nodeBindings(c).incoming?.url ?? c.req.url;
}

/**
 * `POST /inbound/<partner>`: the partner's raw bytes are verified with its scheme before
 * anything parses them, decoded by its format's adapter, deduplicated on its message id (or
 * a body hash) and stored in one transaction, then answered at once; the apply worker takes
 * it from there. Anything unusable gets a 4xx naming the problem and changes nothing; the
 * attempt is logged without body, headers or secrets.
 */
export function inboundRoutes(services: InboundServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const byCode = new Map<string, Partner>();
  const limiters = new Map<string, SlidingWindowLimiter>();
  for (const p of services.partners) {
    if (!p.inbound) continue;
    byCode.set(p.code, p);
    limiters.set(p.code, new SlidingWindowLimiter(p.inbound.rate.requests, p.inbound.rate.per_ms));
  }
  const writer = new GroupCommit(services.store, services.commitIntervalMs ?? 1);
  const nowSeconds = services.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  const refuse = (c: Context<AppEnv>, partner: Partner | null, status: RefusalStatus, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    services.metrics?.requests.inc({ partner: partner?.code ?? "(unknown)", outcome: code });
    services.log.warn(
      { request_id: c.get("requestId"), partner: partner?.code ?? null, path_partner: partner ? undefined : c.req.param("partner")?.slice(0, 64), status, code, reason: message.slice(0, 300), content_type: requestHeader(c, "content-type")?.slice(0, 100) ?? null, ...extra },
      "inbound refused",
    );
    return send(c, refusedAnswer(partner?.inbound?.format ?? null, status, code, message, c.get("requestId"), headers));
  };

  app.post("/:partner", async (c) => {
    const partner = byCode.get(c.req.param("partner")) ?? null;
    const settings = partner?.inbound;
    if (!partner || !settings || !partner.enabled || !settings.enabled) return refuse(c, null, 404, "unknown_partner", "no partner takes documents at this address");

    const allowed = limiters.get(partner.code)!.take();
    if (!allowed.ok) {
      const seconds = String(Math.max(1, Math.ceil(allowed.retryAfterMs / 1000)));
      return refuse(c, partner, 429, "rate_limited", `more than ${settings.rate.requests} requests in ${settings.rate.per_ms} ms`, {}, { "retry-after": seconds });
    }
    const contentType = requestHeader(c, "content-type");
    if (!acceptsContentType(settings.format, contentType)) {
      const wanted = settings.format === "cxml" || settings.format === "ubl" ? "application/xml or text/xml" : "application/json";
      return refuse(c, partner, 415, "unsupported_media_type", `content type must be ${wanted}`);
    }
    const body = await readBody(c, settings.max_body_bytes);
    if (!body.ok) return refuse(c, partner, 413, "payload_too_large", `body is larger than ${settings.max_body_bytes} bytes`);
    const raw = body.bytes;
    if (raw.length === 0) return refuse(c, partner, 400, "empty_body", "the body is empty");
    if (settings.format === "cxml" || settings.format === "ubl") {
      const problem = xmlCharacterProblem(raw);
      if (problem) return refuse(c, partner, 400, "not_well_formed", `XML is not well-formed: ${problem.message}`, { bytes: raw.length });
    }

    const admitted = admit(partner.code, settings, { body: raw, headers: nodeBindings(c).incoming?.headers ?? c.req.raw.headers, url: pathAndQuery(c), contentType, now: nowSeconds(), receivedAt: Date.now() });
    if (!admitted.ok) return refuse(c, partner, admitted.status, admitted.code, admitted.message, admitted.extra);
    let outcome;
    try {
      outcome = await writer.receive(admitted.doc);
    } catch (err) {
      services.log.error({ err, request_id: c.get("requestId"), partner: partner.code }, "inbound: storing the document failed");
      return refuse(c, partner, 503, "store_unavailable", "the document could not be stored; send it again later", {}, { "retry-after": "5" });
    }
    if (!outcome.duplicate && outcome.status === "pending") services.stored();
    services.metrics?.requests.inc({ partner: partner.code, outcome: outcome.duplicate ? "duplicate" : "accepted" });
    return send(c, acceptedAnswer(settings.format, { documentId: outcome.id, eventId: outcome.eventId, duplicate: outcome.duplicate, status: outcome.status, detail: outcome.duplicate ? null : admitted.doc.detail }));
  });

  return app;
}
