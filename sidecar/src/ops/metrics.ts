import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of one sidecar (own registry, so tests can run several in a process).
 * prom-client: exposition format and histogram buckets done right, not hand-written.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly attempts = new Counter({
    name: "odc_delivery_attempts_total",
    help: "Delivery attempts by partner and outcome (delivered, or the error class)",
    labelNames: ["partner", "outcome"] as const,
    registers: [this.registry],
  });
  readonly attemptSeconds = new Histogram({
    name: "odc_delivery_attempt_seconds",
    help: "Duration of one delivery attempt",
    labelNames: ["partner"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly claimed = new Counter({ name: "odc_events_claimed_total", help: "Events claimed from the Odoo outbox", registers: [this.registry] });
  readonly recorded = new Counter({ name: "odc_results_recorded_total", help: "Results recorded in Odoo", labelNames: ["state"] as const, registers: [this.registry] });
  readonly reconcileRepaired = new Counter({ name: "odc_reconcile_repaired_total", help: "Mismatches between Odoo's outbox and the store repaired by reconciliation", labelNames: ["kind"] as const, registers: [this.registry] });
  readonly deliveries: Gauge<"state">;

  constructor(countsByState: () => Record<string, number>) {
    this.deliveries = new Gauge({
      name: "odc_deliveries",
      help: "Deliveries in the store by state (report_pending: final results not yet recorded in Odoo)",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        for (const [state, n] of Object.entries(countsByState())) this.set({ state }, n);
      },
    });
  }
}
