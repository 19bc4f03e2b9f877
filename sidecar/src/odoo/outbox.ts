import { z } from "zod";
import type { OdooClient } from "./client.ts";
import { OdooProtocolError } from "./errors.ts";
import type { ClaimedEvent } from "../contracts/events.ts";

/** Largest single event accepted from a claim (an envelope is a few KB; a 500-line PO ~200 KB). */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isPositiveInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

/**
 * Checks the shape of one claimed row: just what the store needs (the event itself is then
 * checked against its contract). Hand-written rather than zod: it runs for every event of
 * every claim, and zod's copies of 1,000 payloads per call showed in profiles.
 */
function readClaimedRow(item: unknown): ClaimedEvent | string {
  if (typeof item !== "object" || item === null) return "row is not an object";
  const row = item as { outbox_id?: unknown; replay?: unknown; event?: unknown; event_json?: unknown };
  if (!isPositiveInt(row.outbox_id)) return "outbox_id: expected a positive integer";
  if (row.replay !== undefined && typeof row.replay !== "boolean") return "replay: expected a boolean";
  let parsed: unknown = row.event;
  let text: string | undefined;
  if (row.event_json !== undefined) {
    if (typeof row.event_json !== "string") return "event_json: expected a string";
    if (row.event_json.length > MAX_EVENT_BYTES) return `event_json: over ${MAX_EVENT_BYTES} bytes`;
    try {
      parsed = JSON.parse(row.event_json);
    } catch {
      return "event_json: not valid JSON";
    }
    text = row.event_json;
  }
  const event = parsed as { id?: unknown; type?: unknown; sequence?: unknown; subject?: { model?: unknown; id?: unknown; ref?: unknown } } | null | undefined;
  if (typeof event !== "object" || event === null) return "event: expected an object";
  if (typeof event.id !== "string" || !UUID_RE.test(event.id)) return "event.id: expected a UUID";
  if (typeof event.type !== "string" || event.type.length === 0 || event.type.length > 64) return "event.type: expected a string of 1 to 64 characters";
  if (!isPositiveInt(event.sequence)) return "event.sequence: expected a positive integer";
  const subject = event.subject;
  if (typeof subject !== "object" || subject === null || typeof subject.model !== "string" || !subject.model || !isPositiveInt(subject.id) || typeof subject.ref !== "string") {
    return "event.subject: expected { model, id, ref }";
  }
  return { outboxId: row.outbox_id, replay: row.replay === true, event: event as unknown as ClaimedEvent["event"], ...(text !== undefined ? { payloadText: text } : {}) };
}

const claimAnswer = z.object({
  lease_token: z.string().min(1),
  lease_until: z.string().min(1),
  events: z.array(z.unknown()).max(5000),
});

const recordAnswer = z.object({
  updated: z.number().int().min(0),
  unknown: z.array(z.string()).default([]),
  ignored: z.array(z.string()).default([]),
});

const reconcileRow = z.object({
  outbox_id: z.number().int().positive(),
  event_id: z.string().min(1),
  state: z.enum(["pending", "leased", "delivered", "failed", "dead", "cancelled"]),
  replay: z.boolean(),
  lease_consumer: z.string().nullable(),
  lease_generation: z.number().int().nullable(),
  lease_until: z.string().nullable(),
  attempts: z.number().int().min(0),
});
const reconcileAnswer = z.object({ now: z.string().min(1), leased_truncated: z.boolean(), rows: z.array(reconcileRow).max(10_000) });

/** One outbox row as `reconcile_view` shows it (times as epoch ms). */
export interface OutboxRowView {
  outboxId: number;
  eventId: string;
  state: "pending" | "leased" | "delivered" | "failed" | "dead" | "cancelled";
  replay: boolean;
  leaseConsumer: string | null;
  leaseGeneration: number | null;
  leaseUntil: number | null;
  attempts: number;
}

export interface ReconcileView {
  /** Odoo's clock, to judge leases by. */
  now: number;
  leasedTruncated: boolean;
  rows: OutboxRowView[];
}

export interface ClaimResult {
  leaseToken: string;
  events: ClaimedEvent[];
  /** Rows whose envelope is unusable (no id): reported by outbox id for a person to see. */
  malformed: { index: number; reason: string }[];
}

export interface OutboxResult {
  event_id: string;
  state: "delivered" | "failed" | "dead";
  partner: string | null;
  attempts: number;
  error: string | null;
  at: string;
}

/** The addon's outbox methods (contracts/odoo-rpc.md), with their answers checked. */
export class OdooOutbox {
  constructor(private readonly odoo: OdooClient) {}

  /**
   * `claimer`: the replica's stable identity and generation; rows an earlier generation of it
   * still holds are claimed again at once (contracts/odoo-rpc.md).
   */
  async claimBatch(limit: number, leaseSeconds: number, claimer?: { consumer: string; generation: number }): Promise<ClaimResult> {
    // raw_payload: each event as its JSON text, stored as is (Odoo skips a parse and a dump).
    const kwargs: Record<string, unknown> = { limit, lease_seconds: leaseSeconds, raw_payload: true };
    if (claimer) Object.assign(kwargs, { consumer: claimer.consumer, generation: claimer.generation });
    const raw = await this.odoo.execute("connector.outbox", "claim_batch", [], kwargs);
    const answer = claimAnswer.safeParse(raw);
    if (!answer.success) throw new OdooProtocolError(`claim_batch answer is malformed: ${answer.error.issues[0]?.message ?? "?"}`);
    const events: ClaimedEvent[] = [];
    const malformed: ClaimResult["malformed"] = [];
    answer.data.events.forEach((item, index) => {
      const row = readClaimedRow(item);
      if (typeof row === "string") malformed.push({ index, reason: row });
      else events.push(row);
    });
    return { leaseToken: answer.data.lease_token, events, malformed };
  }

  /**
   * What the outbox holds for reconciliation (contracts/odoo-rpc.md, reconcile_view): the rows
   * of `eventIds` (at most 5000), and with `consumer` the rows leased to it or with an expired
   * lease (at most `limit`). Reads only.
   */
  async reconcileView(options: { eventIds?: readonly string[]; consumer?: string; limit?: number }): Promise<ReconcileView> {
    const kwargs: Record<string, unknown> = { event_ids: options.eventIds ?? [] };
    if (options.consumer !== undefined) kwargs.consumer = options.consumer;
    if (options.limit !== undefined) kwargs.limit = options.limit;
    const raw = await this.odoo.execute("connector.outbox", "reconcile_view", [], kwargs);
    const answer = reconcileAnswer.safeParse(raw);
    if (!answer.success) throw new OdooProtocolError(`reconcile_view answer is malformed: ${answer.error.issues[0]?.message ?? "?"}`);
    const time = (s: string | null) => (s === null ? null : Date.parse(s));
    return {
      now: Date.parse(answer.data.now),
      leasedTruncated: answer.data.leased_truncated,
      rows: answer.data.rows.map((r) => ({
        outboxId: r.outbox_id,
        eventId: r.event_id.toLowerCase(),
        state: r.state,
        replay: r.replay,
        leaseConsumer: r.lease_consumer,
        leaseGeneration: r.lease_generation,
        leaseUntil: time(r.lease_until),
        attempts: r.attempts,
      })),
    };
  }

  async recordResults(results: readonly OutboxResult[]): Promise<z.infer<typeof recordAnswer>> {
    const raw = await this.odoo.execute("connector.outbox", "record_results", [results]);
    const answer = recordAnswer.safeParse(raw);
    if (!answer.success) throw new OdooProtocolError(`record_results answer is malformed: ${answer.error.issues[0]?.message ?? "?"}`);
    return answer.data;
  }
}
