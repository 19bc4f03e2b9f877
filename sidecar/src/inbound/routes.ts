import { Hono } from "hono";
import type { Logger } from "pino";
import { nodeBindings, requestHeader, type AppEnv } from "../http/app.ts";
import { logRequest, requestIdFrom } from "../http/edge.ts";
import { errorJson, INTERNAL_ERROR } from "../http/errors.ts";
import type { FastPath } from "../http/server.ts";
import { send, writeAnswer, type Answer } from "./answers.ts";
import { readNodeBody, readWebBody, type InboundDoor } from "./door.ts";

export type { InboundServices } from "./door.ts";

/**
 * `POST /inbound/<partner>` as a Hono route: what `app.request()` (tests) and any request the
 * Node fast path below passes on reach. Both hand the request to the same InboundDoor.
 */
export function inboundRoutes(door: InboundDoor): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/:partner", async (c) => {
    const incoming = nodeBindings(c).incoming;
    const answer = await door.handle({
      partner: c.req.param("partner"),
      requestId: c.get("requestId"),
      headers: incoming?.headers ?? c.req.raw.headers,
      contentType: requestHeader(c, "content-type"),
      url: incoming?.url ?? c.req.url,
      body: (max, done) => (incoming ? readNodeBody(incoming, max, done) : void readWebBody(c.req.raw, max).then(done, done)),
    });
    return send(c, answer);
  });
  return app;
}

const PREFIX = "/inbound/";

/**
 * The busiest route, served on Node's own request and response: a partner's burst of webhooks
 * skips the web framework (its request, context and middleware cost about as much as the bare
 * work of answering). Takes `POST /inbound/<partner>` (one path segment, any query) and
 * answers it as the Hono app would, with the same request id header and request log line (at
 * debug level for documents taken: see InboundDoor.count); returns false for anything else,
 * which the caller hands to Hono.
 */
export function inboundFastPath(door: InboundDoor, log: Logger): FastPath {
  return (req, res) => {
    if (req.method !== "POST") return false;
    const url = req.url ?? "";
    if (!url.startsWith(PREFIX)) return false;
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    const segment = path.slice(PREFIX.length);
    if (segment.length === 0 || segment.includes("/")) return false;
    let partner = segment;
    if (segment.includes("%")) {
      try {
        partner = decodeURIComponent(segment);
      } catch {
        return false;
      }
    }
    const startedAt = performance.now();
    const given = req.headers["x-request-id"];
    const requestId = requestIdFrom(typeof given === "string" ? given : undefined);
    const write = (answer: Answer) => {
      if (res.headersSent) return;
      // A body refused before it was read to the end is not read at all: the connection goes.
      writeAnswer(res, answer, req.complete ? { "x-request-id": requestId } : { "x-request-id": requestId, connection: "close" });
      // Taken documents are summed up by the door every few seconds; refusals have their own warning.
      logRequest(log, { requestId, method: "POST", path, status: answer.status, startedAt }, answer.status < 400 ? "debug" : "info");
    };
    const failed = (err: unknown) => {
      log.error({ err, request_id: requestId }, "unhandled error");
      write({ status: INTERNAL_ERROR.status, headers: { "content-type": "application/json" }, body: errorJson(INTERNAL_ERROR, requestId) });
    };
    try {
      door.take({ partner, requestId, headers: req.headers, contentType: req.headers["content-type"], url, body: (max, done) => readNodeBody(req, max, done) }, (answer) => (answer instanceof Error ? failed(answer) : write(answer)));
    } catch (err) {
      failed(err);
    }
    return true;
  };
}
