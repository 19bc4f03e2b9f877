import { z } from "zod";
import type { OdooClient } from "./client.ts";
import { OdooProtocolError } from "./errors.ts";

/** The event types `connector.inbound.apply_events` takes (contracts/odoo-rpc.md, "Intent methods"). */
export const APPLY_EVENT_TYPES = ["supplier.order_acknowledged", "supplier.shipment_noticed", "supplier.document_status", "carrier.shipment_booked", "carrier.tracking_updated"] as const;
export const APPLY_FORMATS = ["cxml", "ubl", "easypost", "shippo", "aftership", "shipengine", "canonical"] as const;
/** Most events per call the addon accepts. */
export const APPLY_MAX_EVENTS = 200;

/** One item of an apply_events call, exactly as the contract names its keys. */
export interface ApplyItem {
  event_id: string;
  type: (typeof APPLY_EVENT_TYPES)[number];
  partner: string;
  format: (typeof APPLY_FORMATS)[number];
  test_mode: boolean;
  /** UTC ISO ending in Z. */
  received_at: string;
  /** UTC ISO ending in Z: when the partner says it happened (received_at when it did not say). */
  occurred_at: string;
  subject_ref: string;
  data: Record<string, unknown>;
}

export const APPLY_OUTCOMES = ["applied", "stale", "exception", "unknown_reference", "rejected"] as const;
export type ApplyOutcomeName = (typeof APPLY_OUTCOMES)[number];

const outcomeSchema = z.object({
  event_id: z.string().min(1),
  outcome: z.enum(APPLY_OUTCOMES),
  duplicate: z.boolean().default(false),
  detail: z.string().nullable().default(null),
  record: z
    .object({ model: z.string().min(1), id: z.number().int(), ref: z.union([z.string(), z.literal(false)]).nullable().optional() })
    .nullable()
    .default(null),
});

export type ApplyOutcome = z.infer<typeof outcomeSchema>;

/**
 * The addon's intent method for partners' news. Its answer is checked: one outcome per event,
 * in the order sent, each naming the event it is about; anything else is a protocol error
 * (the events stay pending and are sent again: the addon is idempotent on event id).
 */
export class OdooInbound {
  constructor(private readonly odoo: OdooClient) {}

  async applyEvents(items: readonly ApplyItem[]): Promise<ApplyOutcome[]> {
    if (items.length === 0) return [];
    if (items.length > APPLY_MAX_EVENTS) throw new RangeError(`apply_events takes at most ${APPLY_MAX_EVENTS} events, got ${items.length}`);
    const raw = await this.odoo.execute("connector.inbound", "apply_events", [items]);
    const answer = z.array(z.unknown()).safeParse(raw);
    if (!answer.success) throw new OdooProtocolError("apply_events answer is not a list");
    if (answer.data.length !== items.length) throw new OdooProtocolError(`apply_events answered ${answer.data.length} outcomes for ${items.length} events`);
    return answer.data.map((entry, i) => {
      const parsed = outcomeSchema.safeParse(entry);
      if (!parsed.success) throw new OdooProtocolError(`apply_events outcome ${i} is malformed: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`);
      if (parsed.data.event_id.toLowerCase() !== items[i]!.event_id.toLowerCase()) {
        throw new OdooProtocolError(`apply_events outcome ${i} is about ${parsed.data.event_id.slice(0, 40)}, not ${items[i]!.event_id}`);
      }
      return parsed.data;
    });
  }
}
