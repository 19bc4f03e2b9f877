import { Counter, Gauge, type Registry } from "prom-client";

/** Inbound metrics, registered in the sidecar's registry (GET /metrics). */
export class InboundMetrics {
  readonly requests: Counter<"partner" | "outcome">;
  readonly decided: Counter<"partner" | "type" | "outcome">;
  readonly documents: Gauge<"status">;
  /** One child counter per (partner, outcome): the busiest route does not hash its labels on every request. */
  private readonly requestCounters = new Map<string, { inc(): void }>();

  constructor(registry: Registry, countsByStatus: () => Record<string, number>) {
    this.requests = new Counter({
      name: "odc_inbound_requests_total",
      help: "Requests on POST /inbound/<partner> by outcome: accepted, duplicate, or the refusal code (unknown partners counted as partner=\"(unknown)\")",
      labelNames: ["partner", "outcome"] as const,
      registers: [registry],
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
    const key = `${partner}\u0000${outcome}`;
    let counter = this.requestCounters.get(key);
    if (!counter) this.requestCounters.set(key, (counter = this.requests.labels(partner, outcome)));
    counter.inc();
  }
}
