import type { AddressInfo } from "node:net";
import type { ServerType } from "@hono/node-server";
import type { Logger } from "pino";
import type { Env } from "./config/env.ts";
import type { Partner } from "./config/partners.ts";
import { Dispatcher, type DeliveryObserver, type DeliveryPort, adminRoutes, DeliveryStore, PauseStore, type Pauses } from "./delivery/index.ts";
import { loadContracts } from "./contracts/validate.ts";
import { createApp } from "./http/app.ts";
import { serveApp } from "./http/server.ts";
import { Inbound, PgInboundStore, type ApplyObserver } from "./inbound/index.ts";
import { OdooClient } from "./odoo/client.ts";
import { OdooOutbox, type OutboxResult } from "./odoo/outbox.ts";
import { ConsumerIdentity, OutboxDrain, type DrainObserver, Reconciler, ResultReporter, nudgeRoutes } from "./outbox/index.ts";
import { opsRoutes } from "./ops/routes.ts";
import { openApiRoutes } from "./ops/openapi.ts";
import { Metrics } from "./ops/metrics.ts";
import { PartnerActivity } from "./ops/activity.ts";
import { statusRoutes } from "./ops/admin.ts";
import { secretValuesOf } from "./lib/secrets.ts";
import { gatherStatus, type StatusDocument, type StatusStore } from "./ops/status.ts";
import { sqliteStatusStore } from "./ops/status-sqlite.ts";
import { PgStatusStore } from "./ops/status-pg.ts";
import { pgInboundFactsReader, type AttentionBounds } from "./ops/attention.ts";
import { ReadinessProbe } from "./ops/readiness.ts";
import { statusPageRoutes } from "./ops/page.ts";
import { registerStatusGauges } from "./ops/status-metrics.ts";
import { AuditLog, PgAuditLog, type AuditTrail } from "./ops/audit.ts";
import { HistoryRetention } from "./ops/history.ts";
import { closeStore, openStore, type StoreDb } from "./store/db.ts";
import { openShared, type SharedStore } from "./delivery/pg/index.ts";

export interface SidecarObserver extends DeliveryObserver, DrainObserver {
  reported?(results: readonly OutboxResult[]): void;
  /** The inbound apply worker's outcomes and failed calls. */
  inbound?: ApplyObserver;
}

export interface SidecarOptions {
  env: Env;
  partners: Partner[];
  log: Logger;
  observer?: SidecarObserver;
  /** fetch used for partner deliveries (tests inject msw or fault servers through it). */
  partnerFetch?: typeof fetch;
  /**
   * The PostgreSQL store several replicas share (ODC_DATABASE_URL; openSidecar opens it), and
   * this replica's identity, whose consumer id holds the store's leases.
   */
  shared?: { store: SharedStore; claimer: ConsumerIdentity };
}

/**
 * The sidecar on the store its configuration names: PostgreSQL (shared by replicas) when
 * ODC_DATABASE_URL is set, SQLite at ODC_DB_PATH otherwise.
 */
export async function openSidecar(options: Omit<SidecarOptions, "shared">): Promise<Sidecar> {
  const { env, log } = options;
  if (!env.ODC_DATABASE_URL) return new Sidecar(options);
  const claimer = ConsumerIdentity.start(env.ODC_DB_PATH, env.ODC_CONSUMER_ID);
  let sidecar: Sidecar | null = null;
  const store = await openShared(env.ODC_DATABASE_URL, claimer.consumer, log.child({ component: "store" }), {
    pool: env.ODC_DATABASE_POOL,
    deliveryLeaseMs: env.ODC_DELIVERY_LEASE_SECONDS * 1000,
    // Another replica resumed a partner: this one's lane sleeps without a timer until woken.
    onResumed: (partner) => sidecar?.dispatcher.wake(partner),
  });
  sidecar = new Sidecar({ ...options, shared: { store, claimer } });
  return sidecar;
}

/** The whole relay: store, Odoo client, outbox drain, per-partner dispatcher, result reporter, HTTP. */
export class Sidecar {
  readonly db: StoreDb;
  /** The SQLite store at ODC_DB_PATH: every delivery on one replica; with a shared store, what is not shared yet (see README). */
  readonly store: DeliveryStore;
  /** Where the delivery path keeps events and deliveries: the SQLite store, or the shared PostgreSQL one. */
  readonly deliveries: DeliveryPort;
  readonly shared: SharedStore | null;
  readonly odoo: OdooClient;
  readonly drain: OutboxDrain;
  readonly dispatcher: Dispatcher;
  readonly reporter: ResultReporter;
  readonly app: ReturnType<typeof createApp>;
  readonly metrics: Metrics;
  readonly inbound: Inbound;
  readonly pauses: Pauses;
  readonly activity = new PartnerActivity();
  /** Operators' actions: in the shared store with several replicas (one trail for all), else in the SQLite file. */
  readonly audit: AuditTrail;
  readonly reconciler: Reconciler;
  readonly history: HistoryRetention;
  /** Where the status model's counts come from: the SQLite file, or the shared store (a summary refreshed in the background). */
  readonly statusStore: StatusStore;
  private readonly secrets: string[];
  private readonly readiness: ReadinessProbe;
  private server: ServerType | null = null;
  private readonly startedAt = Date.now();

  constructor(private readonly options: SidecarOptions) {
    const { env, log, observer = {} } = options;
    // Partners that only post to us (carriers' tracking webhooks) get no delivery lane.
    const partners = options.partners.filter((p) => p.outbound);
    loadContracts();
    this.db = openStore(env.ODC_DB_PATH);
    this.store = new DeliveryStore(this.db);
    this.shared = options.shared?.store ?? null;
    this.deliveries = this.shared?.deliveries ?? this.store;
    this.pauses = this.shared?.pauses ?? new PauseStore(this.db);
    this.secrets = secretValuesOf(options.partners, { apiKey: env.ODOO_API_KEY, secret: env.ODC_NUDGE_SECRET, token: [env.ODC_ADMIN_TOKEN, env.ODC_READ_TOKEN] });
    const auditLog = log.child({ component: "audit" });
    this.audit = this.shared
      ? new PgAuditLog(this.shared.sql, env.ODC_AUDIT_RETENTION_DAYS * 86_400_000, this.secrets, auditLog)
      : new AuditLog(this.db, env.ODC_AUDIT_RETENTION_DAYS * 86_400_000, this.secrets, auditLog);
    this.odoo = new OdooClient({ url: env.ODOO_URL, db: env.ODOO_DB, login: env.ODOO_USER, apiKey: env.ODOO_API_KEY, concurrency: env.ODOO_CONCURRENCY, timeoutMs: env.ODOO_TIMEOUT_MS, logger: log });
    const bounds: AttentionBounds = {
      ackMs: env.ODC_ATTENTION_ACK_MS,
      milestoneMs: env.ODC_ATTENTION_MILESTONE_MS,
      byPartner: Object.fromEntries(options.partners.flatMap((p) => (p.attention ? [[p.code, { ackMs: p.attention.acknowledge_within_ms, milestoneMs: p.attention.milestone_within_ms }]] : []))),
    };
    this.statusStore = this.shared ? new PgStatusStore(this.shared.sql, bounds, pgInboundFactsReader(this.shared.sql), log.child({ component: "status" })) : sqliteStatusStore(this.db, bounds);
    this.metrics = new Metrics(() => this.deliveries.counts());
    registerStatusGauges(this.metrics.registry, () => this.status());
    // A client of its own, so each check logs in afresh (the relay's client keeps its uid).
    this.readiness = new ReadinessProbe(
      this.db,
      async () => {
        await new OdooClient({ url: env.ODOO_URL, db: env.ODOO_DB, login: env.ODOO_USER, apiKey: env.ODOO_API_KEY, concurrency: 1, timeoutMs: Math.min(env.ODOO_TIMEOUT_MS, 5_000), retries: 0 }).authenticate();
      },
      undefined,
      this.shared ? () => this.shared!.check() : undefined,
    );
    const outbox = new OdooOutbox(this.odoo);
    this.reporter = new ResultReporter(outbox, this.deliveries, { batch: env.ODC_RESULT_BATCH, pollMs: env.ODC_POLL_INTERVAL_MS }, log, (results) => {
      for (const r of results) this.metrics.recorded.inc({ state: r.state });
      observer.reported?.(results);
    });
    this.dispatcher = new Dispatcher(
      partners,
      this.deliveries,
      log,
      {
        attempted: (partner, row, outcome, final) => {
          this.metrics.attempts.inc({ partner, outcome: outcome.ok ? "delivered" : outcome.errorClass });
          this.activity.attempted(partner, outcome);
          observer.attempted?.(partner, row, outcome, final);
        },
        finalized: () => {
          this.reporter.wake();
          observer.finalized?.();
        },
      },
      options.partnerFetch,
      // A lost claim's rows come back after the lease; the poll then claims them.
      env.ODC_LEASE_SECONDS * 1000 + env.ODC_POLL_INTERVAL_MS + 5_000,
      // Bookings a carrier answers with are applied in Odoo by the inbound side (built below; called only once running).
      { booked: (partner, answer, eventId) => this.inbound.booked(partner, answer, eventId) },
      this.pauses,
      this.shared?.partnerState,
    );
    const claimer = options.shared?.claimer ?? ConsumerIdentity.start(env.ODC_DB_PATH, env.ODC_CONSUMER_ID);
    this.drain = new OutboxDrain(
      outbox,
      this.deliveries,
      partners,
      {
        batch: env.ODC_CLAIM_BATCH,
        leaseSeconds: env.ODC_LEASE_SECONDS,
        pollMs: env.ODC_POLL_INTERVAL_MS,
        maxBacklog: env.ODC_MAX_BACKLOG,
        claimer,
      },
      log,
      () => {
        this.dispatcher.wakeAll();
        this.reporter.wake();
      },
      () => this.reporter.wake(),
      {
        claimed: (events) => {
          this.metrics.claimed.inc(events.length);
          observer.claimed?.(events);
        },
      },
    );
    this.inbound = new Inbound({
      db: this.db,
      odoo: this.odoo,
      partners: options.partners,
      log,
      registry: this.metrics.registry,
      adminToken: env.ODC_ADMIN_TOKEN,
      worker: { batch: env.ODC_INBOUND_BATCH, concurrency: env.ODC_INBOUND_CONCURRENCY, retryMaxMs: env.ODC_INBOUND_RETRY_MAX_MS },
      ...(observer.inbound ? { observer: observer.inbound } : {}),
      // Several replicas: documents in the shared store, leased like deliveries (README, "Several replicas").
      ...(this.shared ? { store: new PgInboundStore(this.shared.sql, this.shared.replica, log.child({ component: "inbound-store" }), { leaseMs: env.ODC_DELIVERY_LEASE_SECONDS * 1000 }) } : {}),
    });
    this.reconciler = new Reconciler(
      outbox,
      this.shared?.deliveries ?? this.store,
      this.drain,
      claimer,
      { stuck: (before, limit) => this.inbound.store.stuck(before, limit), retryNow: (ids, actor, cause) => this.inbound.store.retryNow(ids, actor, cause), wake: () => this.inbound.worker.wake() },
      // With a shared store it compares Odoo with every replica's events, one replica at a time (its turn in PostgreSQL).
      { intervalMs: env.ODC_RECONCILE_INTERVAL_MS },
      log.child({ component: "reconcile" }),
      (report) => {
        for (const [kind, k] of Object.entries(report.kinds)) if (k.repaired > 0) this.metrics.reconcileRepaired.inc({ kind }, k.repaired);
        // Repairs may have stored events and results: the lanes and the reporter go on from there.
        this.dispatcher.wakeAll();
        this.reporter.wake();
      },
    );
    this.history = new HistoryRetention(
      [(before) => this.store.pruneTransitions(before), ...(this.shared ? [(before: number) => this.shared!.deliveries.pruneTransitions(before)] : []), (before) => this.inbound.store.pruneTransitions(before)],
      env.ODC_HISTORY_RETENTION_DAYS * 86_400_000,
      log.child({ component: "history" }),
    );
    const histories = {
      event: (id: string) => (this.shared ? this.shared.deliveries.history(id) : this.store.history(id)),
      document: async (id: number) => {
        const d = await this.inbound.store.document(id);
        return d ? { document: d, transitions: await this.inbound.store.history(id) } : undefined;
      },
    };
    this.app = createApp({
      log,
      mounts: [
        ["/", opsRoutes({ health: () => this.health(), ready: () => this.readiness.check(), metrics: async () => ({ contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() }) })],
        ...(env.ODC_ADMIN_TOKEN || env.ODC_READ_TOKEN ? [["/", statusPageRoutes([env.ODC_ADMIN_TOKEN, env.ODC_READ_TOKEN].filter((t): t is string => !!t), () => this.status())] as const] : []),
        ["/", nudgeRoutes(env.ODC_NUDGE_SECRET, () => this.drain.wake(), log)],
        ["/", openApiRoutes()],
        ...(this.inbound.admin ? [["/admin/inbound", this.inbound.admin] as const] : []),
        ...(env.ODC_ADMIN_TOKEN ? [["/admin", statusRoutes(env.ODC_ADMIN_TOKEN, () => this.status(), this.audit, { history: histories, reconcile: (dryRun, actor) => this.reconcile(dryRun, actor), secrets: this.secrets })] as const] : []),
        ...(env.ODC_ADMIN_TOKEN
          ? [["/admin", adminRoutes(env.ODC_ADMIN_TOKEN, this.shared?.deliveries ?? this.store, () => this.dispatcher.wakeAll(), { pauses: this.pauses, known: (code) => this.dispatcher.has(code), resumed: (code) => this.dispatcher.wake(code) }, (actor, action, subject, detail) => this.audit.record(actor, action, subject, detail))] as const]
          : []),
        ["/inbound", this.inbound.routes],
      ],
    });
  }

  /** Compares Odoo's outbox with the store (the shared one with several replicas) now. */
  private reconcile(dryRun: boolean, actor: string) {
    return this.reconciler.run(dryRun, actor);
  }

  health(): { ok: boolean; [key: string]: unknown } {
    const odooOk = this.drain.lastError === null;
    return {
      ok: true,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      claiming: this.drain.holding ? "paused: backlog full" : "active",
      odoo: { reachable: odooOk, last_error: this.drain.lastError, last_claim_at: this.drain.lastClaimAt ? new Date(this.drain.lastClaimAt).toISOString() : null, report_error: this.reporter.lastError },
      deliveries: this.deliveries.counts(),
      partners: this.dispatcher.status(),
      inbound: this.inbound.health(),
    };
  }

  /** The status model (ops/status.ts): what /admin/status, `odc status` and the status page show. */
  status(now = Date.now()): StatusDocument {
    return gatherStatus(
      {
        store: this.statusStore,
        partners: this.options.partners.map((p) => ({ code: p.code, name: p.name, format: p.format, outbound: p.outbound })),
        lanes: () => this.dispatcher.status(),
        pause: (code) => this.pauses.get(code),
        activity: this.activity,
        sidecar: () => ({ started_at: this.startedAt, claiming: this.drain.holding ? "paused: backlog full" : "active" }),
        odoo: () => ({ claim_error: this.drain.lastError, last_claim_at: this.drain.lastClaimAt, report_error: this.reporter.lastError, inbound_error: this.inbound.worker.lastError }),
        inbound: () => this.inbound.health(),
        reconcile: () => this.reconciler.last,
        secrets: this.secrets,
      },
      now,
    );
  }

  /** Starts HTTP, then the loops. Resolves with the bound port. */
  async start(): Promise<number> {
    const { env, log } = this.options;
    const port = await new Promise<number>((resolve, reject) => {
      this.server = serveApp(this.app, { hostname: env.ODC_HOST, port: env.ODC_PORT, fastPath: this.inbound.fastPath }, (info: AddressInfo) => resolve(info.port));
      this.server.once("error", reject);
    });
    this.audit.start();
    this.history.start();
    this.statusStore.start?.();
    this.drain.start();
    this.reconciler.start();
    this.reporter.start();
    this.inbound.worker.start();
    this.dispatcher.wakeAll();
    log.info({ host: env.ODC_HOST, port, partners: this.options.partners.map((p) => p.code), inbound: this.options.partners.filter((p) => p.inbound).map((p) => p.code), store: this.shared ? `postgresql (replica ${this.shared.replica})` : env.ODC_DB_PATH }, "sidecar started");
    return port;
  }

  /** Stops taking work, lets attempts in flight finish (bounded), flushes results, closes. */
  async stop(graceMs = 5_000): Promise<void> {
    // Everything stops taking work at once: waiting for one (an HTTP request or a claim call in
    // flight) before telling the next would let the lanes start new requests meanwhile. What is
    // on the wire finishes (bounded by graceMs); what was not started waits in the store and in Odoo.
    this.audit.stop();
    this.history.stop();
    this.statusStore.stop?.();
    await Promise.all([
      this.reconciler.stop(),
      new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve())),
      this.drain.stop(),
      this.inbound.worker.stop(),
      this.dispatcher.stop(graceMs),
    ]);
    await this.reporter.reportOnce().catch(() => false);
    await this.reporter.stop();
    await this.shared?.close();
    await closeStore(this.db);
    this.options.log.info("sidecar stopped");
  }
}
