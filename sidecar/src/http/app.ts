import type { IncomingMessage, ServerResponse } from "node:http";
import { Hono, type Context } from "hono";
import type { Logger } from "pino";
import { logRequest, requestIdFrom } from "./edge.ts";
import { errorJson, HttpError, INTERNAL_ERROR } from "./errors.ts";

export interface AppOptions {
  log: Logger;
  /**
   * Each feature's routes, mounted here and nowhere else, in order: `[path, sub-app]` (ops'
   * /healthz and /metrics and the outbox's /nudge on "/", the inbound door on /inbound, the
   * admin APIs of deliveries and inbound documents under /admin).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- sub-apps declare their own environments
  mounts: readonly (readonly [string, Hono<any>])[];
}

export type AppEnv = { Variables: { requestId: string; /** Status of an answer written straight to Node's response. */ status?: number } };

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

/** The one app factory: production and tests build the same app, the request edge around every route. */
export function createApp(options: AppOptions): Hono<AppEnv> {
  const { log } = options;
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    const requestId = requestIdFrom(requestHeader(c, "x-request-id"));
    c.set("requestId", requestId);
    // Set before the response exists, so it goes out with whatever answer is built (a header
    // set afterwards makes @hono/node-server build a full web Response and body stream).
    const outgoing = nodeBindings(c).outgoing;
    if (outgoing) outgoing.setHeader("x-request-id", requestId);
    else c.header("x-request-id", requestId);
    const startedAt = performance.now();
    await next();
    const path = c.req.path;
    if (path !== "/healthz" && path !== "/readyz" && path !== "/metrics") logRequest(log, { requestId, method: c.req.method, path, status: c.get("status") ?? c.res.status, startedAt });
  });

  const answer = (c: Context<AppEnv>, err: HttpError) => c.body(errorJson(err, c.get("requestId")), err.status, { ...err.headers, "content-type": "application/json" });
  app.onError((err, c) => {
    if (err instanceof HttpError) return answer(c, err);
    log.error({ err, request_id: c.get("requestId") }, "unhandled error");
    return answer(c, INTERNAL_ERROR);
  });

  app.notFound((c) => answer(c, new HttpError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`)));

  for (const [path, routes] of options.mounts) app.route(path, routes);

  return app;
}
