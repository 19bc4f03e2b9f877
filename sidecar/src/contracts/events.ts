/**
 * The canonical event (contracts/v1/envelope.schema.json) as the sidecar handles it, and an
 * event as claimed from Odoo's outbox: the types the Odoo gateway, the outbox drain and the
 * delivery store share, kept here so that none reaches into another's internals.
 */

/** An event as claimed from Odoo's outbox. */
export interface ClaimedEvent {
  outboxId: number;
  replay: boolean;
  event: CanonicalEvent;
  /** The envelope's JSON text as Odoo sent it, stored as is when present. */
  payloadText?: string;
}

export interface CanonicalEvent {
  id: string;
  type: string;
  version: number;
  occurred_at: string;
  source: unknown;
  subject: { model: string; id: number; ref: string };
  sequence: number;
  data: Record<string, unknown>;
}
