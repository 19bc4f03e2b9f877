import { Gauge, type Registry } from "prom-client";
import type { StatusDocument } from "./status.ts";

/**
 * Gauges of the status model, read at each scrape (one status read per scrape: the gauges
 * share it). What ops/alerts.yml alerts on.
 */
export function registerStatusGauges(registry: Registry, status: () => StatusDocument): void {
  let memo: { doc: StatusDocument; at: number } | null = null;
  const read = () => {
    const now = Date.now();
    if (!memo || now - memo.at > 1_000) memo = { doc: status(), at: now };
    return memo.doc;
  };
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, doc: StatusDocument) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill(this, read());
      },
    });

  gauge("odc_partner_pending_deliveries", "Deliveries waiting for a partner", ["partner"], (g, d) => d.partners.forEach((p) => g.set({ partner: p.code }, p.deliveries.pending)));
  gauge("odc_partner_dead_deliveries", "Dead deliveries (dead letters) of a partner, kept until replayed", ["partner"], (g, d) => d.partners.forEach((p) => g.set({ partner: p.code }, p.deliveries.dead)));
  gauge("odc_partner_oldest_pending_seconds", "Age of a partner's oldest pending delivery (0 when none)", ["partner"], (g, d) => d.partners.forEach((p) => g.set({ partner: p.code }, p.oldest_pending_age_s ?? 0)));
  gauge("odc_partner_circuit_open", "1 while a partner's circuit breaker is open or half-open", ["partner"], (g, d) =>
    d.partners.forEach((p) => p.circuit !== null && g.set({ partner: p.code }, p.circuit === "closed" ? 0 : 1)),
  );
  gauge("odc_partner_paused", "1 while an operator has paused the partner", ["partner"], (g, d) => d.partners.forEach((p) => g.set({ partner: p.code }, p.paused ? 1 : 0)));
  gauge("odc_partner_in_flight", "Requests in flight or queued for a partner", ["partner"], (g, d) => d.partners.forEach((p) => g.set({ partner: p.code }, p.in_flight)));
  gauge("odc_odoo_reachable", "1 when the last outbox claim reached Odoo", [], (g, d) => g.set(d.odoo.reachable ? 1 : 0));
  gauge("odc_inbound_waiting_documents", "Inbound documents received and not yet applied in Odoo", [], (g, d) => g.set(d.inbound.waiting));
  gauge("odc_inbound_quarantined_documents", "Inbound documents quarantined: no Odoo record matched, or Odoo rejected them", [], (g, d) => g.set(d.inbound.quarantined));
  gauge("odc_reconcile_mismatches", "Mismatches between Odoo's outbox and the store found by the last reconciliation, by kind", ["kind"], (g, d) => {
    for (const [kind, k] of Object.entries(d.reconcile?.kinds ?? {})) g.set({ kind }, k.found);
  });
  gauge("odc_reconcile_unrepaired", "Mismatches the last reconciliation found and could not repair (a person should look), by kind", ["kind"], (g, d) => {
    for (const [kind, k] of Object.entries(d.reconcile?.kinds ?? {})) g.set({ kind }, k.left);
  });
  gauge("odc_reconcile_last_run_timestamp_seconds", "When reconciliation last ran (0: not since the start)", [], (g, d) => g.set(d.reconcile ? Date.parse(d.reconcile.ran_at) / 1000 : 0));
  gauge("odc_attention", "Business attention counts (ops/attention.ts)", ["kind", "key"], (g, d) => {
    const a = d.attention;
    const put = (kind: string, by: Record<string, number>) => {
      g.set({ kind, key: "(all)" }, Object.values(by).reduce((x, y) => x + y, 0));
      for (const [key, n] of Object.entries(by)) g.set({ kind, key }, n);
    };
    put("po_unacknowledged", a.po_unacknowledged.by_partner);
    put("ack_changes_pending", a.ack_changes_pending.by_partner);
    put("shipments_without_milestone", a.shipments_without_milestone.by_carrier);
    put("exceptions_open", a.exceptions_open.by_partner);
    put("backlog_by_carrier", a.backlog_by_carrier);
  });
}
