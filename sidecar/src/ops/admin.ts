import { Hono } from "hono";
import { z } from "zod";
import { requireAdminToken } from "../http/auth.ts";
import { HttpError } from "../http/errors.ts";
import type { ReconcileReport } from "../outbox/index.ts";
import { AUDIT_ACTIONS, type AuditTrail } from "./audit.ts";
import type { Awaitable } from "../delivery/index.ts";
import { documentHistoryView, eventHistoryView, type DocumentHistorySource, type HistorySource } from "./history.ts";
import type { StatusDocument } from "./status.ts";

const auditQuery = z
  .object({
    since: z.iso.datetime({ offset: true }).optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    before_id: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

const reconcileBody = z.object({ dry_run: z.boolean().default(false) }).strict();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTOR = /^[A-Za-z0-9._@:-]{1,64}$/;
/** Who asked, as the delivery admin API records it: the admin token, and the name a client gives (`x-odc-actor`). */
const actorOf = (header: string | undefined) => (header && ACTOR.test(header) ? `admin-token (${header})` : "admin-token");
const issues = (e: z.ZodError, where: string) => e.issues.map((i) => `${i.path.join(".") || where}: ${i.message}`).join("; ");

/** Where the histories come from; a document's may come later (inbound documents on the shared store). */
export interface AdminHistorySource {
  event: HistorySource["event"];
  document(id: number): Awaitable<DocumentHistorySource | undefined>;
}

export interface OpsAdminExtras {
  /** Histories of events and inbound documents. */
  history?: AdminHistorySource;
  /** Runs reconciliation now. */
  reconcile?: (dryRun: boolean, actor: string) => Promise<ReconcileReport>;
  /** Configured secret values, scrubbed from what these routes answer. */
  secrets?: readonly string[];
}

/**
 * `GET /admin/status`: the status model as JSON (what `odc status` and the status page read);
 * `GET /admin/audit?since=&action=&before_id=&limit=`: operators' actions, newest first;
 * `GET /admin/events/<id>/history`, `GET /admin/inbound/documents/<id>/history`: every state change kept;
 * `POST /admin/reconcile` (`{"dry_run": true}` only reports): compares Odoo's outbox with the store.
 */
export function statusRoutes(token: string, status: () => StatusDocument, audit?: AuditTrail, extras: OpsAdminExtras = {}): Hono {
  const app = new Hono();
  const secrets = extras.secrets ?? [];
  app.use("/status", requireAdminToken(token));
  app.use("/audit", requireAdminToken(token));
  app.get("/status", (c) => c.json(status()));
  if (audit) {
    app.get("/audit", async (c) => {
      const parsed = auditQuery.safeParse(c.req.query());
      if (!parsed.success) throw new HttpError(400, "bad_request", issues(parsed.error, "(query)"));
      const q = parsed.data;
      const entries = await audit.list({ ...(q.since ? { since: Date.parse(q.since) } : {}), ...(q.action ? { action: q.action } : {}), ...(q.before_id ? { beforeId: q.before_id } : {}) }, q.limit);
      return c.json({ entries, next_before_id: entries.length === q.limit ? entries[entries.length - 1]!.id : null });
    });
  }
  const history = extras.history;
  if (history) {
    app.use("/events/*", requireAdminToken(token));
    app.use("/inbound/documents/:id/history", requireAdminToken(token));
    app.get("/events/:id/history", async (c) => {
      const id = c.req.param("id");
      if (!UUID.test(id)) throw new HttpError(400, "bad_request", "event id: a UUID");
      const view = await eventHistoryView({ event: (x) => history.event(x), document: () => undefined }, audit, id.toLowerCase(), secrets);
      if (!view) throw new HttpError(404, "unknown_event", `the store has no event ${id}`);
      return c.json(view);
    });
    app.get("/inbound/documents/:id/history", async (c) => {
      const raw = c.req.param("id");
      if (!/^[1-9]\d{0,15}$/.test(raw)) throw new HttpError(400, "bad_request", "document id: a positive integer");
      const found = await history.document(Number(raw));
      const view = found && documentHistoryView({ event: () => undefined, document: () => found }, Number(raw), secrets);
      if (!view) throw new HttpError(404, "unknown_document", `the store has no inbound document ${raw}`);
      return c.json(view);
    });
  }
  const reconcile = extras.reconcile;
  if (reconcile) {
    app.use("/reconcile", requireAdminToken(token));
    app.post("/reconcile", async (c) => {
      const text = await c.req.text();
      if (text.length > 4096) throw new HttpError(413, "too_large", "body over 4 KiB");
      let body: unknown = {};
      if (text.trim() !== "") {
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(400, "bad_request", "body must be JSON");
        }
      }
      const parsed = reconcileBody.safeParse(body);
      if (!parsed.success) throw new HttpError(400, "bad_request", issues(parsed.error, "(body)"));
      const actor = actorOf(c.req.header("x-odc-actor"));
      const report = await reconcile(parsed.data.dry_run, actor);
      await audit?.record(actor, "outbox.reconcile", null, {
        dry_run: report.dry_run,
        ...Object.fromEntries(Object.entries(report.kinds).map(([k, v]) => [k, { found: v.found, repaired: v.repaired }])),
        ...(report.error ? { error: report.error } : {}),
      });
      return c.json(report);
    });
  }
  return app;
}
