import type { IncomingMessage, ServerResponse } from "node:http";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import { NUDGE_HEADER, NUDGE_MAX_BYTES, verifyNudge } from "../ops/nudge.ts";
import { logRequest, requestIdFrom } from "./edge.ts";
import { errorJson, HttpError, INTERNAL_ERROR } from "./errors.ts";

export interface AppServices {
  log: Logger;
  nudgeSecret: string;
  /** Wakes the outbox drain. */
  nudge(): void;
  /** Readiness details for /healthz. */
  health(): { ok: boolean; [key: string]: unknown };
  /** Prometheus exposition for /metrics. */
  metrics?(): Promise<{ contentType: string; body: string }>;
  /** Admin API, mounted on /admin when a token is configured. */
  admin?: Hono;
  /** Partners' documents: POST /inbound/<partner>. */
  inbound?: Hono<AppEnv>;
  /** Admin API of the inbound side, mounted on /admin/inbound when a token is configured. */
  inboundAdmin?: Hono;
}

export type AppEnv = { Variables: { services: AppServices; requestId: string; /** Status of an answer written straight to Node's response. */ status?: number } };

/** What @hono/node-server passes as `c.env`; absent under `app.request()` in tests. */
export interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

export function nodeBindings(c: Context): NodeBindings {
  return (c.env as NodeBindings | undefined) ?? {};
}

/**
 * A request header, from Node's own request when there is one: a Fetch `Headers` built for
 * one header costs more than a small handler's whole work.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = nodeBindings(c).incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The one app factory: production and tests build the same app. */
export function createApp(services: AppServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    const requestId = requestIdFrom(requestHeader(c, "x-request-id"));
    c.set("requestId", requestId);
    c.set("services", services);
    // Set before the response exists, so it goes out with whatever answer is built (a header
    // set afterwards makes @hono/node-server build a full web Response and body stream).
    const outgoing = nodeBindings(c).outgoing;
    if (outgoing) outgoing.setHeader("x-request-id", requestId);
    else c.header("x-request-id", requestId);
    const startedAt = performance.now();
    await next();
    const path = c.req.path;
    if (path !== "/healthz" && path !== "/metrics") logRequest(services.log, { requestId, method: c.req.method, path, status: c.get("status") ?? c.res.status, startedAt });
  });

  const answer = (c: Context<AppEnv>, err: HttpError) => c.body(errorJson(err, c.get("requestId")), err.status, { ...err.headers, "content-type": "application/json" });
  app.onError((err, c) => {
    if (err instanceof HttpError) return answer(c, err);
    services.log.error({ err, request_id: c.get("requestId") }, "unhandled error");
    return answer(c, INTERNAL_ERROR);
  });

  app.notFound((c) => answer(c, new HttpError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`)));

  app.get("/healthz", (c) => {
    const health = services.health();
    return c.json(health, health.ok ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    if (!services.metrics) throw new HttpError(404, "not_found", "metrics are off");
    const { contentType, body } = await services.metrics();
    return c.body(body, 200, { "content-type": contentType });
  });

  if (services.inboundAdmin) app.route("/admin/inbound", services.inboundAdmin);
  if (services.admin) app.route("/admin", services.admin);
  if (services.inbound) app.route("/inbound", services.inbound);

  app.post(
    "/nudge",
    bodyLimit({ maxSize: NUDGE_MAX_BYTES, onError: () => { throw new HttpError(413, "payload_too_large", `nudge body over ${NUDGE_MAX_BYTES} bytes`); } }),
    async (c) => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      const check = verifyNudge(services.nudgeSecret, c.req.header(NUDGE_HEADER), body);
      if (!check.ok) {
        services.log.warn({ request_id: c.get("requestId"), reason: check.reason }, "nudge refused");
        throw new HttpError(401, "bad_signature", check.reason);
      }
      services.nudge();
      return c.json({ accepted: true }, 202);
    },
  );

  return app;
}
