import type { Logger } from "pino";
import type { Partner } from "../config/partners.ts";
import type { DecodedDocument } from "./store.ts";
import type { InboundPort } from "./port.ts";
import { decodeReceived, rejectedDecoding } from "./admit.ts";

export interface DecodeStageObserver {
  /** Documents decided while decoding (ignored, test_skipped, rejected). */
  decided?(decisions: readonly { partner: string; type: string; status: string }[]): void;
}

/**
 * Decodes the carrier webhooks the door stored as they came (`received`), oldest first, in
 * batches between the apply worker's calls: each becomes pending with its apply_events item,
 * or is decided at once. Until a received document is decoded, nothing stored after it is
 * applied (its subject, which keeps order, is not known yet).
 */
export class DecodeStage {
  private readonly byCode = new Map<string, Partner>();

  constructor(
    private readonly store: InboundPort,
    partners: readonly Partner[],
    private readonly log: Logger,
    private readonly observer: DecodeStageObserver = {},
  ) {
    for (const p of partners) if (p.inbound) this.byCode.set(p.code, p);
  }

  /** Decodes up to `limit` received documents in one transaction; returns how many it took (a full batch: more may wait). */
  async run(limit: number): Promise<number> {
    const rows = await this.store.received(limit);
    if (rows.length === 0) return 0;
    const out: DecodedDocument[] = [];
    const decided: { partner: string; type: string; status: string }[] = [];
    for (const row of rows) {
      const settings = this.byCode.get(row.partner)?.inbound;
      let doc: DecodedDocument["doc"];
      if (!settings || settings.format !== row.format) {
        doc = rejectedDecoding(row, `partner ${row.partner} no longer takes ${row.format} documents; stored, never decoded`);
      } else {
        try {
          doc = decodeReceived(settings, row);
        } catch (err) {
          doc = rejectedDecoding(row, `decoding failed: ${(err as Error).message}`);
        }
      }
      out.push({ id: row.id, doc });
      if (doc.status !== "pending") decided.push({ partner: row.partner, type: doc.type, status: doc.status });
    }
    for (const m of await this.store.decoded(out)) this.log.warn({ document_id: m.id, into: m.into }, "inbound: received document merged into an earlier one with the same message id (was the store written by another process?)");
    for (const [i, { doc }] of out.entries()) {
      if (doc.status === "rejected") this.log.warn({ document_id: rows[i]!.id, partner: rows[i]!.partner, reason: doc.detail }, "inbound: received document rejected while decoding");
    }
    if (decided.length > 0) this.observer.decided?.(decided);
    return rows.length;
  }
}
