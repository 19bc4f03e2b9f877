import type { StoreDb } from "../store/db.ts";
import { attentionOf, type AttentionBounds } from "./attention.ts";
import type { PartnerSummary, StatusStore, StoreSummary } from "./status.ts";

/**
 * The status model's counts from this replica's SQLite file (one replica: the whole store),
 * read at each call: the file is local and the queries take a few milliseconds.
 */
export function sqliteStatusStore(db: StoreDb, bounds: AttentionBounds): StatusStore {
  const c = db.$client;
  const perPartner = c.prepare(
    `SELECT partner, coalesce(sum(state = 'pending'), 0) AS pending, coalesce(sum(state = 'delivered'), 0) AS delivered, coalesce(sum(state = 'dead'), 0) AS dead,
            min(CASE WHEN state = 'pending' THEN created_at END) AS oldest, max(delivered_at) AS last_success
       FROM deliveries GROUP BY partner`,
  );
  // The last error the store kept per partner (a delivery still failing or dead), for after a restart.
  const lastErrors = c.prepare(
    `SELECT partner, last_error_class AS cls, last_error AS msg FROM deliveries
      WHERE id IN (SELECT max(id) FROM deliveries WHERE last_error_class IS NOT NULL AND state <> 'delivered' GROUP BY partner)`,
  );
  const reportPending = c.prepare(`SELECT count(*) AS n FROM events WHERE report_pending = 1`);
  return {
    kind: "sqlite",
    summary(now: number): StoreSummary {
      const errors = new Map((lastErrors.all() as { partner: string; cls: string; msg: string | null }[]).map((r) => [r.partner, r]));
      const partners = (perPartner.all() as Omit<PartnerSummary, "last_error_class" | "last_error">[]).map(
        (r): PartnerSummary => ({ ...r, last_error_class: errors.get(r.partner)?.cls ?? null, last_error: errors.get(r.partner)?.msg ?? null }),
      );
      return { partners, reportPending: (reportPending.get() as { n: number }).n, attention: attentionOf(db, bounds, now), asOf: now, error: null };
    },
  };
}
