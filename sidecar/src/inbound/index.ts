import type { Hono } from "hono";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Partner } from "../config/partners.ts";
import type { AppEnv } from "../http/app.ts";
import type { OdooClient } from "../odoo/client.ts";
import { OdooInbound } from "../odoo/inbound.ts";
import type { FastPath } from "../http/server.ts";
import type { StoreDb } from "../store/db.ts";
import { InboundStore, type ReceiveOutcome } from "./store.ts";
import { inboundAdminRoutes } from "./admin.ts";
import { InboundMetrics } from "./metrics.ts";
import { DecodeStage } from "./decode-stage.ts";
import { InboundDoor } from "./door.ts";
import { admitAnswer } from "./admit.ts";
import type { AnswerSink, PartnerAnswer } from "../delivery/index.ts";
import { inboundFastPath, inboundRoutes } from "./routes.ts";
import { ApplyWorker, type ApplyObserver } from "./worker.ts";
import type { InboundPort } from "./port.ts";

export type { ApplyObserver } from "./worker.ts";
export type { InboundPort } from "./port.ts";
export { InboundStore, type StuckInbound } from "./store.ts";
export { PgInboundStore, type PgInboundStoreOptions } from "./pg-store.ts";

export interface InboundOptions {
  db: StoreDb;
  odoo: OdooClient;
  partners: readonly Partner[];
  log: Logger;
  registry: Registry;
  adminToken?: string | undefined;
  worker: { batch: number; concurrency: number; retryMaxMs: number; retryBaseMs?: number };
  observer?: ApplyObserver;
  /**
   * Where documents are kept: the SQLite file (`db`, the default), or a store several
   * replicas share (a PgInboundStore).
   */
  store?: InboundPort;
}

/** The inbound side: routes that take partners' documents, and the worker that applies them in Odoo. */
export class Inbound implements AnswerSink {
  readonly store: InboundPort;
  readonly worker: ApplyWorker;
  readonly metrics: InboundMetrics;
  readonly door: InboundDoor;
  readonly routes: Hono<AppEnv>;
  /** The door on Node's own request and response (see inboundFastPath). */
  readonly fastPath: FastPath;
  readonly admin: Hono | undefined;

  private readonly log: Logger;

  constructor(options: InboundOptions) {
    const log = options.log.child({ component: "inbound" });
    this.log = log;
    this.store = options.store ?? new InboundStore(options.db);
    this.metrics = new InboundMetrics(options.registry, () => this.store.counts());
    const observer = options.observer ?? {};
    const countDecided = (decisions: readonly { partner: string; type: string; status: string }[]) => {
      for (const d of decisions) this.metrics.decided.inc({ partner: d.partner, type: d.type, outcome: d.status });
    };
    const decodeStage = new DecodeStage(this.store, options.partners, log, { decided: countDecided });
    this.worker = new ApplyWorker(this.store, new OdooInbound(options.odoo), log, { ...options.worker, decodeStage }, {
      decided: (decisions) => {
        countDecided(decisions);
        observer.decided?.(decisions);
      },
      failed: (err, n) => observer.failed?.(err, n),
    });
    this.door = new InboundDoor({ partners: options.partners, store: this.store, log, stored: () => this.worker.wake(), metrics: this.metrics });
    this.routes = inboundRoutes(this.door);
    this.fastPath = inboundFastPath(this.door, options.log);
    this.admin = options.adminToken ? inboundAdminRoutes(options.adminToken, this.store) : undefined;
  }

  /**
   * A booking the carrier answered with (see delivery/wire.ts): stored like a webhook of that
   * partner, then applied by the worker. Throws when it cannot be stored, or, on a shared
   * store, returns a promise that rejects then; the dispatcher awaits it before it records the
   * delivery, so the delivery is retried.
   */
  booked(partner: Partner, answer: PartnerAnswer, eventId: string): void | Promise<void> {
    const format = partner.wire?.format;
    if (format !== "easypost") throw new Error(`partner ${partner.code} (${format ?? "no outbound format"}) books nothing`);
    const admitted = admitAnswer(partner.code, format, answer.body, answer.contentType, Date.now());
    if (!admitted.ok) throw new Error(`booking answer not storable: ${admitted.error.message}`);
    const stored = this.store.receive([admitted.doc]);
    const logged = ([outcome]: ReceiveOutcome[]) => {
      this.log.info({ partner: partner.code, event: eventId, document_id: outcome?.id, duplicate: outcome?.duplicate ?? false }, "inbound: carrier booking stored from the answer");
      this.worker.wake();
    };
    if (!(stored instanceof Promise)) return logged(stored);
    return stored.then(logged);
  }

  health(): { documents: Record<string, number>; last_error: string | null; last_applied_at: string | null } {
    return {
      documents: this.store.counts(),
      last_error: this.worker.lastError,
      last_applied_at: this.worker.lastAppliedAt ? new Date(this.worker.lastAppliedAt).toISOString() : null,
    };
  }
}
