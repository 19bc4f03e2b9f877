import { parseEvent, purchaseOrderEventSchema } from "../events/outbound.ts";
import { refuse, type EncodeResult } from "../result.ts";
import { el } from "../xml/write.ts";
import { UBL_NS } from "./common.ts";
import { cac, cbc, issueSpecs, orderBodySpecs, prepareUblOrder, ublXml, type UblOrderOptions } from "./order.ts";

/**
 * Peppol BIS 3 Order Change (T114) for purchase_order.changed and Order Cancellation (T115)
 * for purchase_order.cancelled, in the advanced ordering profile (the only one that has them).
 * Both point at the original Order by its ID (our PO number). Deterministic: the document id
 * is derived from the PO number and the event's sequence, the issue time is the event's.
 */

export const UBL_CHANGE_NS = {
  OrderChange: "urn:oasis:names:specification:ubl:schema:xsd:OrderChange-2",
  OrderCancellation: "urn:oasis:names:specification:ubl:schema:xsd:OrderCancellation-2",
} as const;

export const PEPPOL_CHANGE = {
  orderChangeCustomization: "urn:fdc:peppol.eu:poacc:trns:order_change:3",
  orderCancellationCustomization: "urn:fdc:peppol.eu:poacc:trns:order_cancellation:3",
  profile: "urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3",
} as const;

const namespaces = (root: string) => ({ xmlns: root, "xmlns:cac": UBL_NS.cac, "xmlns:cbc": UBL_NS.cbc });

/**
 * purchase_order.changed as an Order Change: the whole order as it now stands, each line with
 * LineStatusCode 3 (changed: this version replaces it), and SequenceNumberID the event's
 * sequence so the supplier applies changes in order.
 */
export function encodeUblOrderChange(input: unknown, options: UblOrderOptions): EncodeResult {
  const parsed = parseEvent(purchaseOrderEventSchema, input);
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  if (event.type !== "purchase_order.changed") return refuse("unsupported_event", `${event.type} is not sent as a Peppol Order Change`, { path: "type" });
  const prepared = prepareUblOrder(event, options);
  if ("ok" in prepared) return prepared;
  const data = event.data;
  const root = el(
    "OrderChange",
    namespaces(UBL_CHANGE_NS.OrderChange),
    cbc("CustomizationID", null, PEPPOL_CHANGE.orderChangeCustomization),
    cbc("ProfileID", null, PEPPOL_CHANGE.profile),
    cbc("ID", null, `${data.po_number}-${event.sequence}`),
    ...issueSpecs(event.occurred_at, prepared.timeZone),
    cbc("SequenceNumberID", null, event.sequence),
    cbc("DocumentCurrencyCode", null, data.currency),
    data.vendor_reference ? cbc("CustomerReference", null, data.vendor_reference) : null,
    cac("OrderReference", cbc("ID", null, data.po_number)),
    ...orderBodySpecs(event, options, prepared, "order_change"),
  );
  return { ok: true, contentType: "application/xml; charset=utf-8", body: ublXml(root), headers: {} };
}

/** purchase_order.cancelled as an Order Cancellation of the order named by its PO number. */
export function encodeUblOrderCancellation(input: unknown, options: UblOrderOptions): EncodeResult {
  const parsed = parseEvent(purchaseOrderEventSchema, input);
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  if (event.type !== "purchase_order.cancelled") return refuse("unsupported_event", `${event.type} is not sent as a Peppol Order Cancellation`, { path: "type" });
  const prepared = prepareUblOrder(event, options);
  if ("ok" in prepared) return prepared;
  const data = event.data;
  const [buyer, seller] = orderBodySpecs(event, options, prepared, "order");
  const root = el(
    "OrderCancellation",
    namespaces(UBL_CHANGE_NS.OrderCancellation),
    cbc("CustomizationID", null, PEPPOL_CHANGE.orderCancellationCustomization),
    cbc("ProfileID", null, PEPPOL_CHANGE.profile),
    cbc("ID", null, `${data.po_number}-${event.sequence}`),
    ...issueSpecs(event.occurred_at, prepared.timeZone),
    cbc("CancellationNote", null, options.cancellationNote?.trim() || "Order cancelled by the buyer"),
    cac("OrderReference", cbc("ID", null, data.po_number)),
    buyer!,
    seller!,
  );
  return { ok: true, contentType: "application/xml; charset=utf-8", body: ublXml(root), headers: {} };
}
