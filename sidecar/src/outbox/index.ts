/**
 * The outbox side: draining Odoo's outbox into the delivery store, reporting results back,
 * the after-commit nudge and the consumer identity that lets a restart take its leases back.
 */
export { OutboxDrain, type DrainObserver } from "./drain.ts";
export { ResultReporter } from "./report.ts";
export { nudgeRoutes } from "./nudge-route.ts";
export { ConsumerIdentity } from "./consumer.ts";
export { NUDGE_HEADER, NUDGE_MAX_BYTES, signNudge, verifyNudge } from "./nudge.ts";
export { MISMATCH_KINDS, Reconciler, type InboundReconcileSource, type MismatchCount, type MismatchKind, type ReconcileReport } from "./reconcile.ts";
