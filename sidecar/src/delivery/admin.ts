import { Hono, type Context } from "hono";
import { requireAdminToken } from "../http/auth.ts";
import { z } from "zod";
import type { DeadLetterFilter } from "./store.ts";
import type { DeadLetters } from "./port.ts";
import type { Pauses } from "./pause.ts";
import { HttpError } from "../http/errors.ts";

/** Pause and resume of partners' lanes, for the admin API. */
export interface PauseControl {
  pauses: Pauses;
  /** Whether a partner with this code has a delivery lane. */
  known(partner: string): boolean;
  /** Called after a resume: wake the partner's lane. */
  resumed(partner: string): void;
}

/** Where operators' actions are recorded (the audit trail), with who asked; awaited before the answer (the shared store's trail answers later). */
export type AuditSink = (actor: string, action: "partner.pause" | "partner.resume" | "dead_letters.replay", subject: string | null, detail: Record<string, unknown>) => void | Promise<void>;

const PARTNER_CODE = /^[A-Za-z0-9._-]{1,64}$/;
const ACTOR = /^[A-Za-z0-9._@:-]{1,64}$/;
const pauseBodySchema = z.object({ reason: z.string().max(200).optional() }).strict();

/** Who asked, for the record: the admin token, and the name a client gives (`x-odc-actor`, e.g. `cli:alice`) when it is well formed. */
function actorOf(header: string | undefined): string {
  return header && ACTOR.test(header) ? `admin-token (${header})` : "admin-token";
}

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
export function adminRoutes(token: string, store: DeadLetters, onReplay: () => void, pausing?: PauseControl, audit?: AuditSink): Hono {
  const app = new Hono();
  app.use("*", requireAdminToken(token));

  app.get("/dead-letters", async (c) => {
    const q = c.req.query();
    const parsed = filterSchema.safeParse({
      ...(q.partner ? { partner: q.partner } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.until ? { until: q.until } : {}),
    });
    if (!parsed.success) throw new HttpError(400, "bad_request", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const limit = Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 1000);
    const rows = await store.listDead(toFilter(parsed.data), limit);
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
    const actor = actorOf(c.req.header("x-odc-actor"));
    const replayed = await store.replayDead(toFilter(f), Date.now(), actor);
    if (replayed > 0) onReplay();
    await audit?.(actor, "dead_letters.replay", f.partner ?? null, {
      ...(f.delivery_ids ? { delivery_ids: f.delivery_ids.length > 50 ? `${f.delivery_ids.length} ids` : f.delivery_ids } : {}),
      ...(f.event_ids ? { event_ids: f.event_ids.length > 50 ? `${f.event_ids.length} ids` : f.event_ids } : {}),
      ...(f.since ? { since: f.since } : {}),
      ...(f.until ? { until: f.until } : {}),
      replayed,
    });
    return c.json({ replayed }, 202);
  });

  if (pausing) {
    const partnerOf = (code: string) => {
      if (!PARTNER_CODE.test(code)) throw new HttpError(400, "bad_request", "partner code: 1 to 64 letters, digits or . _ -");
      if (!pausing.known(code)) throw new HttpError(404, "unknown_partner", `no outbound partner ${code}`);
      return code;
    };
    // An optional `{"reason": "..."}`; anything else (not JSON, other fields, over 4 KiB) is refused and changes nothing.
    const reasonOf = async (c: Context) => {
      const text = await c.req.text();
      if (text.length > 4096) throw new HttpError(413, "too_large", "body over 4 KiB");
      if (text.trim() === "") return null;
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new HttpError(400, "bad_request", "body must be JSON");
      }
      const parsed = pauseBodySchema.safeParse(body);
      if (!parsed.success) throw new HttpError(400, "bad_request", parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; "));
      return parsed.data.reason ?? null;
    };
    const present = (partner: string) => {
      const p = pausing.pauses.get(partner);
      return { partner, paused: p !== undefined, paused_at: p ? new Date(p.pausedAt).toISOString() : null, paused_by: p?.pausedBy ?? null, reason: p?.reason ?? null };
    };

    app.get("/partners/paused", (c) => c.json({ paused: pausing.pauses.all().map((p) => present(p.partner)) }));

    app.post("/partners/:code/pause", async (c) => {
      const partner = partnerOf(c.req.param("code"));
      const reason = await reasonOf(c);
      const actor = actorOf(c.req.header("x-odc-actor"));
      const changed = await pausing.pauses.pause(partner, actor, reason);
      await audit?.(actor, "partner.pause", partner, { reason, changed });
      return c.json({ ...present(partner), changed });
    });

    app.post("/partners/:code/resume", async (c) => {
      const partner = partnerOf(c.req.param("code"));
      await reasonOf(c);
      const was = pausing.pauses.get(partner);
      const changed = await pausing.pauses.resume(partner);
      if (changed) pausing.resumed(partner);
      await audit?.(actorOf(c.req.header("x-odc-actor")), "partner.resume", partner, { changed, ...(was ? { paused_since: new Date(was.pausedAt).toISOString(), paused_by: was.pausedBy } : {}) });
      return c.json({ ...present(partner), changed });
    });
  }
  return app;
}
