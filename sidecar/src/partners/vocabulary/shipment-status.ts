import { known, lookupIn, type Lookup } from "./lookup.ts";

/**
 * The one canonical shipment status set (FORMATS.md §5) and each carrier aggregator's table.
 * Refinements (a substatus or subtag that narrows a broad status) only ever narrow a status
 * we already know; an unknown refinement keeps the broad status.
 */
export const SHIPMENT_STATUSES = [
  "unknown",
  "pre_transit",
  "in_transit",
  "out_for_delivery",
  "available_for_pickup",
  "delivered",
  "attempt_failed",
  "exception",
  "returned",
  "cancelled",
] as const;

export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** Terminal states: a later webhook about an earlier scan must never move a shipment out of them. */
export const TERMINAL_SHIPMENT_STATUSES: ReadonlySet<ShipmentStatus> = new Set(["delivered", "returned", "cancelled"]);

export const EASYPOST_STATUS: Readonly<Record<string, ShipmentStatus>> = {
  unknown: "unknown",
  pre_transit: "pre_transit",
  in_transit: "in_transit",
  out_for_delivery: "out_for_delivery",
  available_for_pickup: "available_for_pickup",
  delivered: "delivered",
  return_to_sender: "returned",
  failure: "exception",
  error: "exception",
  cancelled: "cancelled",
};

export const SHIPPO_STATUS: Readonly<Record<string, ShipmentStatus>> = {
  UNKNOWN: "unknown",
  PRE_TRANSIT: "pre_transit",
  TRANSIT: "in_transit",
  DELIVERED: "delivered",
  RETURNED: "returned",
  FAILURE: "exception",
};

/**
 * Shippo `tracking_status.substatus.code` values that narrow TRANSIT. Only `out_for_delivery`
 * is documented in FORMATS.md; other substatus codes keep the broad status until verified.
 */
export const SHIPPO_SUBSTATUS: Readonly<Record<string, { when: ShipmentStatus; then: ShipmentStatus }>> = {
  out_for_delivery: { when: "in_transit", then: "out_for_delivery" },
};

/** ShipEngine `status_code`; the public JSON schema writes them lower case, the API upper case. */
export const SHIPENGINE_STATUS: Readonly<Record<string, ShipmentStatus>> = {
  UN: "unknown",
  NY: "unknown",
  AC: "pre_transit",
  IT: "in_transit",
  DE: "delivered",
  EX: "exception",
  AT: "attempt_failed",
  SP: "available_for_pickup",
};

export const AFTERSHIP_TAG: Readonly<Record<string, ShipmentStatus>> = {
  Pending: "unknown",
  Expired: "unknown",
  InfoReceived: "pre_transit",
  InTransit: "in_transit",
  OutForDelivery: "out_for_delivery",
  AvailableForPickup: "available_for_pickup",
  Delivered: "delivered",
  AttemptFail: "attempt_failed",
  Exception: "exception",
};

/** AfterShip subtags that narrow Exception (AfterShip "Delivery Sub-statuses": Exception_010 returning, _011 returned). */
export const AFTERSHIP_SUBTAG: Readonly<Record<string, { when: ShipmentStatus; then: ShipmentStatus }>> = {
  Exception_010: { when: "exception", then: "returned" },
  Exception_011: { when: "exception", then: "returned" },
};

export function easypostStatus(status: string): Lookup<ShipmentStatus> {
  return lookupIn(EASYPOST_STATUS, "EasyPost tracker status", status);
}

export function shippoStatus(status: string, substatus?: string | null): Lookup<ShipmentStatus> {
  const base = lookupIn(SHIPPO_STATUS, "Shippo tracking status", status.toUpperCase());
  return base.ok ? known(refine(base.value, SHIPPO_SUBSTATUS, substatus)) : base;
}

export function shipengineStatus(code: string): Lookup<ShipmentStatus> {
  return lookupIn(SHIPENGINE_STATUS, "ShipEngine status_code", code.toUpperCase());
}

export function aftershipStatus(tag: string, subtag?: string | null): Lookup<ShipmentStatus> {
  const base = lookupIn(AFTERSHIP_TAG, "AfterShip tag", tag);
  return base.ok ? known(refine(base.value, AFTERSHIP_SUBTAG, subtag)) : base;
}

function refine(
  status: ShipmentStatus,
  table: Readonly<Record<string, { when: ShipmentStatus; then: ShipmentStatus }>>,
  detail: string | null | undefined,
): ShipmentStatus {
  if (!detail || !Object.prototype.hasOwnProperty.call(table, detail)) return status;
  const rule = table[detail]!;
  return rule.when === status ? rule.then : status;
}
