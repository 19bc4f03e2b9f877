import { Hono } from "hono";
import { requireAdminToken } from "../http/auth.ts";
import type { StatusDocument } from "./status.ts";

/** `GET /admin/status`: the status model as JSON (what `odc status` and the status page read). */
export function statusRoutes(token: string, status: () => StatusDocument): Hono {
  const app = new Hono();
  app.use("/status", requireAdminToken(token));
  app.get("/status", (c) => c.json(status()));
  return app;
}
