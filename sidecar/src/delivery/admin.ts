import { Hono } from "hono";
import { requireAdminToken } from "../http/auth.ts";
import { z } from "zod";
import type { DeadLetterFilter, DeliveryStore } from "./store.ts";
import { HttpError } from "../http/errors.ts";

const filterSchema = z
  .object({
    delivery_ids: z.array(z.number().int().positive()).max(10_000).optional(),
    event_ids: z.array(z.uuid()).max(10_000).optional(),
    partner: z.string().min(1).max(64).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

function toFilter(f: z.infer<typeof filterSchema>): DeadLetterFilter {
  return {
    ...(f.delivery_ids ? { deliveryIds: f.delivery_ids } : {}),
    ...(f.event_ids ? { eventIds: f.event_ids } : {}),
    ...(f.partner ? { partner: f.partner } : {}),
    ...(f.since ? { since: Date.parse(f.since) } : {}),
    ...(f.until ? { until: Date.parse(f.until) } : {}),
  };
}

/**
 * Admin API: dead letters and their replay. Bearer token compared in constant time; off
 * (404) when no token is configured.
 */
export function adminRoutes(token: string, store: DeliveryStore, onReplay: () => void): Hono {
  const app = new Hono();
  app.use("*", requireAdminToken(token));

  app.get("/dead-letters", (c) => {
    const q = c.req.query();
    const parsed = filterSchema.safeParse({
      ...(q.partner ? { partner: q.partner } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.until ? { until: q.until } : {}),
    });
    if (!parsed.success) throw new HttpError(400, "bad_request", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const limit = Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 1000);
    const rows = store.listDead(toFilter(parsed.data), limit);
    return c.json({
      dead_letters: rows.map((r) => ({
        delivery_id: r.id,
        event_id: r.eventId,
        event_type: r.eventType,
        subject: r.subjectKey,
        partner: r.partner,
        attempts: r.attempts,
        error_class: r.lastErrorClass,
        reason: r.lastError,
        last_status: r.lastStatus,
        created_at: new Date(r.createdAt).toISOString(),
      })),
    });
  });

  app.post("/replay", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new HttpError(400, "bad_request", "body must be JSON");
    }
    const parsed = filterSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, "bad_request", parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; "));
    const f = parsed.data;
    if (!f.delivery_ids && !f.event_ids && !f.partner && !f.since && !f.until) throw new HttpError(400, "bad_request", "name what to replay: delivery_ids, event_ids, partner, since/until");
    const replayed = store.replayDead(toFilter(f));
    if (replayed > 0) onReplay();
    return c.json({ replayed }, 202);
  });
  return app;
}
