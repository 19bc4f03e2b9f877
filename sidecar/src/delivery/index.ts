/**
 * Delivery: per-partner lanes that send each stored event in its partner's format, with rate
 * limits, retries and a circuit breaker, and the store of events and deliveries. What other
 * folders may use; the rest of the folder is its own business.
 */
export { Dispatcher, type AnswerSink, type DeliveryObserver, type LaneStatus, type PauseState } from "./dispatcher.ts";
export { PauseStore, type PartnerPause, type Pauses } from "./pause.ts";
export type { Awaitable, Breaker, DeadLetters, DeliveryPort, PartnerStateFactory, RateGate, ReconcileStore } from "./port.ts";
export { DeliveryStore, subjectKeyOf, type AttemptRecord, type DeadLetterFilter, type DeliveryTransition, type DueDelivery, type EventHistory, type IngestOutcome, type PendingReport, type StoredEventState } from "./store.ts";
export type { AttemptOutcome, ErrorClass, PartnerAnswer } from "./attempt.ts";
export { adminRoutes } from "./admin.ts";
