import type { Logger } from "pino";
import type { Partner } from "../config/partners.ts";
import type { DecodedDocument, InboundStore } from "../store/inbound.ts";
import { decodeReceived, UNDECODED } from "./admit.ts";

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
    private readonly store: InboundStore,
    partners: readonly Partner[],
    private readonly log: Logger,
    private readonly observer: DecodeStageObserver = {},
  ) {
    for (const p of partners) if (p.inbound) this.byCode.set(p.code, p);
  }

  /** Decodes up to `limit` received documents in one transaction; returns how many it took (a full batch: more may wait). */
  run(limit: number): number {
    const rows = this.store.received(limit);
    if (rows.length === 0) return 0;
    const out: DecodedDocument[] = [];
    for (const row of rows) {
      const settings = this.byCode.get(row.partner)?.inbound;
      let doc: DecodedDocument["doc"];
      if (!settings || settings.format !== row.format) {
        doc = rejectedDoc(row.partner, row.receivedAt, `partner ${row.partner} no longer takes ${row.format} documents; stored, never decoded`);
      } else {
        try {
          doc = decodeReceived(settings, row);
        } catch (err) {
          doc = rejectedDoc(row.partner, row.receivedAt, `decoding failed: ${(err as Error).message}`);
        }
      }
      out.push({ id: row.id, doc });
    }
    this.store.decoded(out);
    const decided = out.filter((d) => d.doc.status !== "pending");
    for (const d of decided) {
      if (d.doc.status === "rejected") this.log.warn({ document_id: d.id, partner: rows.find((r) => r.id === d.id)?.partner, reason: d.doc.detail }, "inbound: received document rejected while decoding");
    }
    if (decided.length > 0) this.observer.decided?.(decided.map((d) => ({ partner: rows.find((r) => r.id === d.id)!.partner, type: d.doc.type, status: d.doc.status })));
    return rows.length;
  }
}

function rejectedDoc(partner: string, receivedAt: number, detail: string): DecodedDocument["doc"] {
  return { type: UNDECODED, eventId: null, subjectRef: null, subjectKey: `${partner}|${UNDECODED}`, testMode: false, bodySha256: "", occurredAt: null, event: null, status: "rejected", nextAttemptAt: receivedAt, detail };
}
