import { dateInZone, formatDecimal } from "../cxml/order-request.ts";
import { parseEvent, purchaseOrderEventSchema, type PurchaseOrderLine } from "../events/outbound.ts";
import type { PurchaseOrderDocument } from "../events/purchase-order-document.ts";
import { fail, refuse, type EncodeResult } from "../result.ts";
import { unitForPartner, type UnitContext } from "../vocabulary/units.ts";
import { child, children, descend, requireChild, requireText, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";
import { el, render, stripInvalidXmlChars, type XmlNodeSpec } from "../xml/write.ts";
import { dateTimeOf, idOf, itemIdentification, lineNumberFrom, PEPPOL, quantityOf, UBL_NS, unitPriceOf, type UblDecodeOptions } from "./common.ts";

/**
 * Peppol BIS 3 Order (T01) for purchase_order.confirmed. Changes and cancellations are
 * separate Peppol documents (Order Change T114, Order Cancellation T115, advanced ordering
 * profile) and are refused here rather than sent as a second, conflicting Order.
 */

export interface UblParty {
  /** Peppol participant id, e.g. a GLN. */
  endpointId: string;
  /** ICD/EAS scheme of the endpoint id: 0088 GLN, 0192 Norwegian org no, 0184 Danish CVR, ... */
  endpointScheme: string;
  /** Legal name; for the seller defaults to the vendor name in the event. */
  name?: string;
}

export interface UblOrderOptions {
  /** Us, as the supplier's Peppol access point knows us. */
  buyer: UblParty & { name: string };
  /** The supplier's Peppol endpoint. */
  seller: UblParty;
  /** Peppol profile. Default "ordering" (order + order response). */
  profile?: "ordering" | "order_only" | "advanced_ordering";
  /** IANA zone for IssueDate/IssueTime and requested delivery dates. Default "UTC". */
  timeZone?: string;
  units?: UnitContext;
}

const cbc = (name: string, attrs: Record<string, string | number | null | undefined> | null, value: string | number) => el(`cbc:${name}`, attrs, String(value));
const cac = (name: string, ...kids: (XmlNodeSpec | null | false | undefined)[]) => el(`cac:${name}`, null, ...kids);

const money = (n: number) => formatDecimal(Math.round(n * 100) / 100);

const timeFormatters = new Map<string, Intl.DateTimeFormat>();

function timeInZone(utc: string, timeZone: string): string {
  if (timeZone === "UTC") return `${utc.slice(11, 19)}Z`;
  let formatter = timeFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    timeFormatters.set(timeZone, formatter);
  }
  return formatter.format(new Date(utc));
}

function party(wrapper: string, p: UblParty, name: string): XmlNodeSpec {
  return cac(
    wrapper,
    cac(
      "Party",
      cbc("EndpointID", { schemeID: p.endpointScheme }, p.endpointId),
      cac("PartyIdentification", cbc("ID", { schemeID: p.endpointScheme }, p.endpointId)),
      cac("PartyLegalEntity", cbc("RegistrationName", null, name)),
    ),
  );
}

export function encodeUblOrder(input: unknown, options: UblOrderOptions): EncodeResult {
  const parsed = parseEvent(purchaseOrderEventSchema, input);
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  if (event.type !== "purchase_order.confirmed") {
    return refuse("unsupported_event", `${event.type} needs a Peppol Order Change/Cancellation (advanced ordering), which this adapter does not send`, { path: "type" });
  }
  if (!options?.buyer?.endpointId || !options.seller?.endpointId) return refuse("missing_option", "UBL Order needs partner options buyer and seller (Peppol endpoint ids)");
  const timeZone = options.timeZone ?? "UTC";
  try {
    dateInZone(event.occurred_at, timeZone);
  } catch {
    return refuse("missing_option", `timeZone "${timeZone}" is not a known time zone`);
  }
  const data = event.data;
  const currency = data.currency;
  const units: string[] = [];
  for (const [i, line] of data.lines.entries()) {
    const unit = unitForPartner(line.uom, options.units);
    if (!unit.ok) return refuse("unknown_code", unit.message, { path: `data.lines.${i}.uom` });
    units.push(unit.value);
  }
  const lineAmounts = data.lines.map((l) => Math.round(l.quantity * l.unit_price * 100) / 100);
  const lineTotal = lineAmounts.reduce((a, b) => a + b, 0);
  const period = (utc: string | null | undefined) => (utc ? cac("Delivery", cac("RequestedDeliveryPeriod", cbc("StartDate", null, dateInZone(utc, timeZone)))) : null);
  const orderLine = (line: PurchaseOrderLine, i: number) =>
    cac(
      "OrderLine",
      cac(
        "LineItem",
        cbc("ID", null, line.line_number),
        cbc("Quantity", { unitCode: units[i]! }, formatDecimal(line.quantity)),
        cbc("LineExtensionAmount", { currencyID: currency }, money(lineAmounts[i]!)),
        period(line.planned_date ?? data.planned_date),
        cac("Price", cbc("PriceAmount", { currencyID: currency }, formatDecimal(line.unit_price)), cbc("BaseQuantity", { unitCode: units[i]! }, 1)),
        cac(
          "Item",
          // Item/Name is mandatory in Peppol: fall back to a code when Odoo has no usable description.
          cbc("Name", null, Array.from(stripInvalidXmlChars(line.description).trim()).slice(0, 500).join("") || line.product_code || line.vendor_product_code || "-"),
          line.product_code ? cac("BuyersItemIdentification", cbc("ID", null, line.product_code)) : null,
          line.vendor_product_code ? cac("SellersItemIdentification", cbc("ID", null, line.vendor_product_code)) : null,
        ),
      ),
    );
  const root = el(
    "Order",
    { xmlns: UBL_NS.Order, "xmlns:cac": UBL_NS.cac, "xmlns:cbc": UBL_NS.cbc },
    cbc("CustomizationID", null, PEPPOL.orderCustomization),
    cbc("ProfileID", null, PEPPOL.profiles[options.profile ?? "ordering"]),
    cbc("ID", null, data.po_number),
    cbc("IssueDate", null, dateInZone(data.order_date, timeZone)),
    cbc("IssueTime", null, timeInZone(data.order_date, timeZone)),
    cbc("OrderTypeCode", null, 220),
    cbc("DocumentCurrencyCode", null, currency),
    data.vendor_reference ? cbc("CustomerReference", null, data.vendor_reference) : null,
    party("BuyerCustomerParty", options.buyer, options.buyer.name),
    party("SellerSupplierParty", options.seller, options.seller.name ?? data.vendor.name),
    period(data.planned_date),
    cac(
      "AnticipatedMonetaryTotal",
      cbc("LineExtensionAmount", { currencyID: currency }, money(lineTotal)),
      cbc("PayableAmount", { currencyID: currency }, money(data.amount_total ?? lineTotal)),
    ),
    ...data.lines.map(orderLine),
  );
  return { ok: true, contentType: "application/xml; charset=utf-8", body: `<?xml version="1.0" encoding="UTF-8"?>\n${render(root)}\n`, headers: {} };
}

function readOrderLine(orderLine: XmlElement, options: UblDecodeOptions): PurchaseOrderDocument["lines"][number] {
  const lineItem = requireChild(orderLine, "LineItem");
  const quantity = quantityOf(requireChild(lineItem, "Quantity"), options.units);
  const ids = itemIdentification(child(lineItem, "Item"));
  return {
    line_number: lineNumberFrom(idOf(lineItem)),
    supplier_part: ids.supplier_part,
    buyer_part: ids.buyer_part,
    gtin: ids.gtin,
    description: ids.description,
    quantity: quantity.value,
    uom: quantity.uom!,
    unit_price: unitPriceOf(child(lineItem, "Price"))?.amount ?? null,
    requested_delivery: dateTimeOf(descend(lineItem, "Delivery/RequestedDeliveryPeriod"), "StartDate", "StartTime"),
  };
}

export function decodeUblOrder(root: XmlElement, options: UblDecodeOptions = {}): PurchaseOrderDocument {
  const lines = children(root, "OrderLine");
  if (lines.length === 0) fail("invalid_document", "Order has no OrderLine", { path: root.path, line: root.line });
  const total = descend(root, "AnticipatedMonetaryTotal/LineExtensionAmount");
  return {
    po_number: requireText(root, "ID"),
    operation: "new",
    version: null,
    previous_message_ref: null,
    order_date: dateTimeOf(root, "IssueDate", "IssueTime"),
    currency: textOf(child(root, "DocumentCurrencyCode")) ?? null,
    total: total && textOf(total) !== undefined ? Number(textOf(total)) : null,
    lines: lines.map((l) => readOrderLine(l, options)),
  };
}
