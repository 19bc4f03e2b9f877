import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Middleware of every admin route: `Authorization: Bearer <ODC_ADMIN_TOKEN>`, compared in constant time. */
export function requireAdminToken(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : "";
    if (!given || !timingSafeEqual(digest(given), expected)) throw new HttpError(401, "unauthorized", "admin token required");
    await next();
  };
}
