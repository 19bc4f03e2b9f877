import { Hono } from "hono";
import { z } from "zod";
import { requireAdminToken } from "../http/auth.ts";
import { HttpError } from "../http/errors.ts";
import type { AuditLog } from "./audit.ts";
import type { StatusDocument } from "./status.ts";

const auditQuery = z
  .object({
    since: z.iso.datetime({ offset: true }).optional(),
    action: z.enum(["partner.pause", "partner.resume", "dead_letters.replay"]).optional(),
    before_id: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/**
 * `GET /admin/status`: the status model as JSON (what `odc status` and the status page read);
 * `GET /admin/audit?since=&action=&before_id=&limit=`: operators' actions, newest first.
 */
export function statusRoutes(token: string, status: () => StatusDocument, audit?: AuditLog): Hono {
  const app = new Hono();
  app.use("/status", requireAdminToken(token));
  app.use("/audit", requireAdminToken(token));
  app.get("/status", (c) => c.json(status()));
  if (audit) {
    app.get("/audit", (c) => {
      const parsed = auditQuery.safeParse(c.req.query());
      if (!parsed.success) throw new HttpError(400, "bad_request", parsed.error.issues.map((i) => `${i.path.join(".") || "(query)"}: ${i.message}`).join("; "));
      const q = parsed.data;
      const entries = audit.list({ ...(q.since ? { since: Date.parse(q.since) } : {}), ...(q.action ? { action: q.action } : {}), ...(q.before_id ? { beforeId: q.before_id } : {}) }, q.limit);
      return c.json({ entries, next_before_id: entries.length === q.limit ? entries[entries.length - 1]!.id : null });
    });
  }
  return app;
}
