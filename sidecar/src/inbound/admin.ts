import { Hono } from "hono";
import { z } from "zod";
import { HttpError } from "../http/errors.ts";
import { requireAdminToken } from "../http/auth.ts";
import type { InboundListRow } from "./store.ts";
import type { InboundPort } from "./port.ts";

const STATUSES = ["pending", "applied", "stale", "exception", "unknown_reference", "rejected", "coalesced", "test_skipped", "ignored"] as const;
/** Documents a person has to look at: no Odoo record matched, or Odoo refused the event. */
export const QUARANTINE_STATUSES = ["unknown_reference", "rejected"] as const;

const querySchema = z
  .object({
    status: z
      .string()
      .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
      .pipe(z.array(z.enum(STATUSES)).min(1).max(STATUSES.length))
      .optional(),
    partner: z.string().min(1).max(64).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    before_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();


function present(r: InboundListRow) {
  return {
    document_id: r.id,
    partner: r.partner,
    type: r.type,
    format: r.format,
    message_id: r.messageId,
    event_id: r.eventId,
    subject_ref: r.subjectRef,
    status: r.status,
    detail: r.detail,
    record: r.record ? (JSON.parse(r.record) as unknown) : null,
    duplicate_in_odoo: r.duplicate === 1,
    coalesced_into: r.coalescedInto,
    test_mode: r.testMode === 1,
    receipts: r.receipts,
    attempts: r.attempts,
    last_error: r.lastError,
    verification: { scheme: r.verification, key_index: r.verificationKey },
    content_type: r.contentType,
    body_bytes: r.bodyBytes,
    received_at: new Date(r.receivedAt).toISOString(),
    last_received_at: new Date(r.lastReceivedAt).toISOString(),
    decided_at: r.decidedAt ? new Date(r.decidedAt).toISOString() : null,
  };
}

/**
 * Admin API of the inbound side, under /admin/inbound, bearer ODC_ADMIN_TOKEN:
 * - GET /quarantine: documents no Odoo record matched (unknown_reference) or Odoo rejected;
 * - GET /documents?status=&partner=&since=&until=&before_id=&limit=: any documents, newest first;
 * - GET /documents/<id>/body: the stored body as received (cXML with its secret redacted).
 */
export function inboundAdminRoutes(token: string, store: InboundPort): Hono {
  const app = new Hono();
  app.use("*", requireAdminToken(token));

  const list = async (query: Record<string, string>, fixed?: readonly string[]) => {
    const parsed = querySchema.safeParse(query);
    if (!parsed.success) throw new HttpError(400, "bad_request", parsed.error.issues.map((i) => `${i.path.join(".") || "(query)"}: ${i.message}`).join("; "));
    const q = parsed.data;
    const rows = await store.list(
      {
        ...(fixed || q.status ? { statuses: fixed ?? q.status } : {}),
        ...(q.partner ? { partner: q.partner } : {}),
        ...(q.since ? { since: Date.parse(q.since) } : {}),
        ...(q.until ? { until: Date.parse(q.until) } : {}),
        ...(q.before_id ? { beforeId: q.before_id } : {}),
      },
      q.limit,
    );
    return { documents: rows.map(present), next_before_id: rows.length === q.limit ? rows[rows.length - 1]!.id : null };
  };

  app.get("/quarantine", async (c) => {
    const { status: _ignored, ...query } = c.req.query();
    return c.json(await list(query, QUARANTINE_STATUSES));
  });
  app.get("/documents", async (c) => c.json(await list(c.req.query())));
  app.get("/documents/:id/body", async (c) => {
    const id = Number(c.req.param("id"));
    // A bigint column: ids past 2^53 (or 2^63) are no document's, and never reach the store.
    const found = Number.isSafeInteger(id) && id > 0 ? await store.body(id) : undefined;
    if (!found) throw new HttpError(404, "not_found", "no such inbound document");
    return c.body(new Uint8Array(found.body), 200, { "content-type": found.contentType ?? "application/octet-stream", "x-content-type-options": "nosniff", "content-disposition": "attachment" });
  });
  return app;
}
