import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Hono } from "hono";
import type { AppEnv } from "../http/app.ts";
import { projectRoot } from "../lib/paths.ts";

/** `GET /openapi.json`: the committed description of this HTTP API (contracts/openapi.json, written by scripts/openapi.ts). */
export function openApiRoutes(): Hono<AppEnv> {
  const body = readFileSync(join(projectRoot, "contracts/openapi.json"), "utf8");
  const app = new Hono<AppEnv>();
  app.get("/openapi.json", (c) => c.body(body, 200, { "content-type": "application/json" }));
  return app;
}
