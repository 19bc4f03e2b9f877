import { z } from "zod";
import type { OdooClient } from "./client.ts";
import { OdooProtocolError } from "./errors.ts";
import type { ClaimedEvent } from "../store/deliveries.ts";

/** One claimed row; the event itself is checked against the contract separately. */
const claimedRow = z.object({
  outbox_id: z.number().int().positive(),
  replay: z.boolean().default(false),
  event: z
    .object({
      id: z.uuid(),
      type: z.string().min(1).max(64),
      sequence: z.number().int().positive(),
      subject: z.object({ model: z.string().min(1), id: z.number().int().positive(), ref: z.string() }).passthrough(),
    })
    .passthrough(),
});

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

  async claimBatch(limit: number, leaseSeconds: number): Promise<ClaimResult> {
    const raw = await this.odoo.execute("connector.outbox", "claim_batch", [], { limit, lease_seconds: leaseSeconds });
    const answer = claimAnswer.safeParse(raw);
    if (!answer.success) throw new OdooProtocolError(`claim_batch answer is malformed: ${answer.error.issues[0]?.message ?? "?"}`);
    const events: ClaimedEvent[] = [];
    const malformed: ClaimResult["malformed"] = [];
    answer.data.events.forEach((item, index) => {
      const row = claimedRow.safeParse(item);
      if (row.success) events.push({ outboxId: row.data.outbox_id, replay: row.data.replay, event: row.data.event as unknown as ClaimedEvent["event"] });
      else malformed.push({ index, reason: `${row.error.issues[0]?.path.join(".")}: ${row.error.issues[0]?.message}` });
    });
    return { leaseToken: answer.data.lease_token, events, malformed };
  }

  async recordResults(results: readonly OutboxResult[]): Promise<z.infer<typeof recordAnswer>> {
    const raw = await this.odoo.execute("connector.outbox", "record_results", [results]);
    const answer = recordAnswer.safeParse(raw);
    if (!answer.success) throw new OdooProtocolError(`record_results answer is malformed: ${answer.error.issues[0]?.message ?? "?"}`);
    return answer.data;
  }
}
