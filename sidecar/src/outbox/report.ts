import type { Logger } from "pino";
import type { OdooOutbox, OutboxResult } from "../odoo/outbox.ts";
import type { DeliveryPort } from "../delivery/index.ts";
import { WakeableLoop } from "../lib/wakeable.ts";

/**
 * Records final delivery results in Odoo, one `record_results` call per batch. While Odoo is
 * unreachable the results wait in the store (report_pending) and go when it is back.
 */
export class ResultReporter {
  private readonly loop: WakeableLoop;
  private backoffMs = 1_000;
  private debounce: NodeJS.Timeout | null = null;
  lastError: string | null = null;
  reported = 0;

  constructor(
    private readonly outbox: OdooOutbox,
    private readonly store: DeliveryPort,
    private readonly options: { batch: number; pollMs: number; debounceMs?: number },
    private readonly log: Logger,
    private readonly onReported?: (results: readonly OutboxResult[]) => void,
  ) {
    this.loop = new WakeableLoop(() => this.reportOnce(), options.pollMs, (err) => {
      this.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.log.warn({ err: this.lastError, retry_in_ms: this.backoffMs }, "recording results in Odoo failed; they wait in the store");
      const wait = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, 60_000);
      return wait;
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Called on every final delivery; coalesced so results go in batches, not one call each. */
  wake(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.loop.wake();
    }, this.options.debounceMs ?? 50);
    this.debounce.unref();
  }

  async stop(): Promise<void> {
    if (this.debounce) clearTimeout(this.debounce);
    await this.loop.stop();
  }

  /** Sends one batch; true when more are waiting. */
  async reportOnce(): Promise<boolean> {
    const rows = await this.store.pendingReports(this.options.batch);
    if (rows.length === 0) return false;
    const at = new Date().toISOString();
    const results: OutboxResult[] = rows.map((r) => ({
      event_id: r.id,
      state: r.state,
      partner: r.partner ? r.partner.slice(0, 64) : null,
      attempts: r.attempts,
      error: r.state === "delivered" || !r.error ? null : r.error.slice(0, 2000),
      at,
    }));
    const answer = await this.outbox.recordResults(results);
    if (answer.unknown.length > 0) this.log.warn({ unknown: answer.unknown.slice(0, 20), count: answer.unknown.length }, "Odoo does not know some reported events");
    await this.store.markReported(rows);
    this.reported += rows.length;
    this.lastError = null;
    this.backoffMs = 1_000;
    this.onReported?.(results);
    return rows.length >= this.options.batch;
  }
}
