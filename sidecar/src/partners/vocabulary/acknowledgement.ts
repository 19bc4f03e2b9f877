import { lookupIn, type Lookup } from "./lookup.ts";

/**
 * Supplier acknowledgement vocabulary: what the supplier said about the whole order, and
 * about each line, in one canonical set shared by cXML and UBL.
 */
export const ORDER_ACK_STATUSES = ["accepted", "rejected", "changed", "partially_accepted", "acknowledged_only", "backordered"] as const;
export type OrderAckStatus = (typeof ORDER_ACK_STATUSES)[number];

export const LINE_ACK_STATUSES = ["accepted", "rejected", "changed", "backordered", "added", "unknown"] as const;
export type LineAckStatus = (typeof LINE_ACK_STATUSES)[number];

/**
 * How a header code sets the order status: `fixed`, or `from_lines` when the code means
 * "see the lines" (cXML detail/except/allDetail, UBL CA) and the lines decide.
 */
export type HeaderRule = { kind: "fixed"; status: OrderAckStatus } | { kind: "from_lines"; whenNoLines: OrderAckStatus; unlistedLines: "accepted" | "unchanged" };

/** cXML `ConfirmationHeader@type` (Fulfill.dtd 1.2.063). */
export const CXML_CONFIRMATION_HEADER: Readonly<Record<string, HeaderRule>> = {
  accept: { kind: "fixed", status: "accepted" },
  reject: { kind: "fixed", status: "rejected" },
  backordered: { kind: "fixed", status: "backordered" },
  // "only listed lines change; unlisted keep their state"
  detail: { kind: "from_lines", whenNoLines: "acknowledged_only", unlistedLines: "unchanged" },
  // "whole order accepted except the listed lines"
  except: { kind: "from_lines", whenNoLines: "accepted", unlistedLines: "accepted" },
  // snapshot of every line; needs reconciliation against the order
  allDetail: { kind: "from_lines", whenNoLines: "acknowledged_only", unlistedLines: "unchanged" },
  replace: { kind: "fixed", status: "changed" },
  // the supplier wants payment before shipping: a condition the buyer must look at
  requestToPay: { kind: "fixed", status: "changed" },
};

/** cXML `ConfirmationStatus@type`. */
export const CXML_CONFIRMATION_STATUS: Readonly<Record<string, LineAckStatus>> = {
  accept: "accepted",
  reject: "rejected",
  backordered: "backordered",
  // detail carries a change (price, date, substitution)
  detail: "changed",
  // a full snapshot of the line: reconcile it like a change
  allDetail: "changed",
  // "unknown" resets a portion wrongly accepted or rejected earlier
  unknown: "unknown",
  requestToPay: "changed",
};

/** UNCL4343 subset used by Peppol T76 `cbc:OrderResponseCode`, plus the legacy UNCL1225 numbers the prose guide still shows. */
export const UBL_ORDER_RESPONSE_CODE: Readonly<Record<string, HeaderRule>> = {
  AB: { kind: "fixed", status: "acknowledged_only" },
  AP: { kind: "fixed", status: "accepted" },
  RE: { kind: "fixed", status: "rejected" },
  CA: { kind: "from_lines", whenNoLines: "changed", unlistedLines: "unchanged" },
  12: { kind: "fixed", status: "acknowledged_only" },
  29: { kind: "fixed", status: "accepted" },
  27: { kind: "fixed", status: "rejected" },
  30: { kind: "from_lines", whenNoLines: "changed", unlistedLines: "unchanged" },
};

/** UNCL1229 subset used by Peppol T76 `cbc:LineStatusCode`. */
export const UBL_LINE_STATUS_CODE: Readonly<Record<string, LineAckStatus>> = {
  1: "added",
  3: "changed",
  5: "accepted",
  7: "rejected",
  // "already delivered": nothing left to confirm; the line stands as ordered
  42: "accepted",
};

export const cxmlConfirmationHeader = (code: string): Lookup<HeaderRule> => lookupIn(CXML_CONFIRMATION_HEADER, "cXML ConfirmationHeader@type", code);
export const cxmlConfirmationStatus = (code: string): Lookup<LineAckStatus> => lookupIn(CXML_CONFIRMATION_STATUS, "cXML ConfirmationStatus@type", code);
export const ublOrderResponseCode = (code: string): Lookup<HeaderRule> => lookupIn(UBL_ORDER_RESPONSE_CODE, "UNCL4343 OrderResponseCode", code);
export const ublLineStatusCode = (code: string): Lookup<LineAckStatus> => lookupIn(UBL_LINE_STATUS_CODE, "UNCL1229 LineStatusCode", code);

/**
 * The order status implied by what was said about each portion of each line. A line split
 * into 6 accepted + 4 backordered contributes both, so the order is partially accepted.
 */
export function orderStatusFromLines(rule: HeaderRule, portionStatuses: readonly LineAckStatus[]): OrderAckStatus {
  if (rule.kind === "fixed") return rule.status;
  const seen = new Set(portionStatuses);
  if (rule.unlistedLines === "accepted") seen.add("accepted");
  if (portionStatuses.length === 0) return rule.whenNoLines;
  if (seen.has("changed") || seen.has("added")) return "changed";
  if (seen.size === 1) {
    const only = [...seen][0]!;
    if (only === "unknown") return "acknowledged_only";
    return only as OrderAckStatus;
  }
  if (seen.has("accepted")) return "partially_accepted";
  // rejected + backordered (+ unknown) without any acceptance
  if (seen.has("backordered")) return "backordered";
  return "rejected";
}

// When a line has several portions, its overall status is the one needing attention first.
const LINE_STATUS_PRIORITY: LineAckStatus[] = ["changed", "rejected", "backordered", "unknown", "added", "accepted"];

export function lineStatusOf(portions: readonly { status: LineAckStatus }[]): LineAckStatus {
  const present = new Set(portions.map((p) => p.status));
  return LINE_STATUS_PRIORITY.find((s) => present.has(s)) ?? "unknown";
}

export function sumByStatus(portions: readonly { status: LineAckStatus; quantity: number | null }[]): Partial<Record<LineAckStatus, number>> {
  const sums: Partial<Record<LineAckStatus, number>> = {};
  for (const p of portions) if (p.quantity !== null) sums[p.status] = (sums[p.status] ?? 0) + p.quantity;
  return sums;
}
