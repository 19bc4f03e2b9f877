import { Counter, Gauge, type Registry } from "prom-client";

/** Inbound metrics, registered in the sidecar's registry (GET /metrics). */
export class InboundMetrics {
  readonly requests: Counter<"partner" | "outcome">;
  readonly decided: Counter<"partner" | "type" | "outcome">;
  readonly documents: Gauge<"status">;
  /**
   * Requests counted since the last scrape, by partner and outcome: the busiest route adds one
   * to a number, and the counter takes them when it is read (prom-client hashes and checks the
   * labels on every `inc`, which costs more than the rest of counting a webhook).
   */
  private readonly unscraped = new Map<string, Map<string, { n: number }>>();

  constructor(registry: Registry, countsByStatus: () => Record<string, number>) {
    const unscraped = this.unscraped;
    this.requests = new Counter({
      name: "odc_inbound_requests_total",
      help: "Requests on POST /inbound/<partner> by outcome: accepted, duplicate, or the refusal code (unknown partners counted as partner=\"(unknown)\")",
      labelNames: ["partner", "outcome"] as const,
      registers: [registry],
      collect() {
        for (const [partner, byOutcome] of unscraped) {
          for (const [outcome, c] of byOutcome) {
            if (c.n === 0) continue;
            this.inc({ partner, outcome }, c.n);
            c.n = 0;
          }
        }
      },
    });
    this.decided = new Counter({
      name: "odc_inbound_outcomes_total",
      help: "Inbound events decided: Odoo's outcome (applied, stale, exception, unknown_reference, rejected) or coalesced",
      labelNames: ["partner", "type", "outcome"] as const,
      registers: [registry],
    });
    this.documents = new Gauge({
      name: "odc_inbound_documents",
      help: "Inbound documents in the store by status",
      labelNames: ["status"] as const,
      registers: [registry],
      collect() {
        for (const [status, n] of Object.entries(countsByStatus())) this.set({ status }, n);
      },
    });
  }

  /** Counts a request on POST /inbound/<partner>. */
  request(partner: string, outcome: string): void {
    let byOutcome = this.unscraped.get(partner);
    if (!byOutcome) this.unscraped.set(partner, (byOutcome = new Map()));
    const c = byOutcome.get(outcome);
    if (c) c.n++;
    else byOutcome.set(outcome, { n: 1 });
  }
}
