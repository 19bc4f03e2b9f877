import { Hono } from "hono";
import type { AppEnv } from "../http/app.ts";
import { HttpError } from "../http/errors.ts";
import type { Readiness } from "./readiness.ts";

export interface OpsServices {
  /** What /healthz shows: the process is alive and what it is doing. */
  health(): { ok: boolean; [key: string]: unknown };
  /** Prometheus exposition for /metrics. */
  metrics?(): Promise<{ contentType: string; body: string }>;
  /** What /readyz checks: store writable, migrations applied, Odoo reachable and authenticated. */
  ready?(): Promise<Readiness>;
}

/** `GET /healthz` (process alive), `GET /readyz` (able to work) and `GET /metrics`: what IT, orchestrators and Prometheus read. */
export function opsRoutes(services: OpsServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => {
    const health = services.health();
    return c.json(health, health.ok ? 200 : 503);
  });
  app.get("/readyz", async (c) => {
    if (!services.ready) throw new HttpError(404, "not_found", "readiness is off");
    const r = await services.ready();
    return c.json(r, r.ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    if (!services.metrics) throw new HttpError(404, "not_found", "metrics are off");
    const { contentType, body } = await services.metrics();
    return c.body(body, 200, { "content-type": contentType });
  });
  return app;
}
