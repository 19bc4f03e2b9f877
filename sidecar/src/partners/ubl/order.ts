import { dateInZone, formatDecimal } from "../cxml/order-request.ts";
import { parseEvent, purchaseOrderEventSchema, type OrderAddress, type OrderContact, type PurchaseOrderEvent, type PurchaseOrderLine } from "../events/outbound.ts";
import type { PurchaseOrderDocument } from "../events/purchase-order-document.ts";
import { fail, refuse, type EncodeResult, type Refusal } from "../result.ts";
import { currencyDecimals, formatUnitPrice, roundTo } from "../vocabulary/currency.ts";
import { unitForPartner, type UnitContext } from "../vocabulary/units.ts";
import { child, children, descend, requireChild, requireText, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";
import { el, render, stripInvalidXmlChars, type XmlNodeSpec } from "../xml/write.ts";
import { dateTimeOf, idOf, itemIdentification, lineNumberFrom, PEPPOL, quantityOf, UBL_NS, unitPriceOf, type UblDecodeOptions } from "./common.ts";

/**
 * Peppol BIS 3 Order (T01) for purchase_order.confirmed. Changes and cancellations are
 * separate Peppol documents (Order Change T114, Order Cancellation T115: order-change.ts),
 * never a second, conflicting Order.
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
  /** `DeliveryLocation/ID@schemeID` (ICD, e.g. 0088 when the address ids are GLNs). Default: none. */
  deliveryLocationScheme?: string;
  /** UNCL 7143 `listID` per classification scheme of the event. Default `{ UNSPSC: "TST" }`; others "ZZZ". */
  classificationListIds?: Record<string, string>;
  /** Order Cancellation `CancellationNote` (required by Peppol). Default "Order cancelled by the buyer". */
  cancellationNote?: string;
}

export const cbc = (name: string, attrs: Record<string, string | number | null | undefined> | null, value: string | number) => el(`cbc:${name}`, attrs, String(value));
export const cac = (name: string, ...kids: (XmlNodeSpec | null | false | undefined)[]) => el(`cac:${name}`, null, ...kids);

/** Peppol amounts have at most 2 decimals (PEPPOL-T01-R028), and a currency's own fewer (JPY: none). */
export function ublAmount(n: number, currency: string): string {
  const decimals = Math.min(currencyDecimals(currency), 2);
  return roundTo(n, decimals).toFixed(decimals);
}

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

/** A UBL PostalAddress / Address of an event address (street, city, zone, region, country). */
function addressSpec(wrapper: string, a: OrderAddress): XmlNodeSpec {
  return cac(
    wrapper,
    a.street ? cbc("StreetName", null, a.street) : null,
    a.street2 ? cbc("AdditionalStreetName", null, a.street2) : null,
    a.city ? cbc("CityName", null, a.city) : null,
    a.zip ? cbc("PostalZone", null, a.zip) : null,
    a.state ? cbc("CountrySubentity", null, a.state) : null,
    a.country ? cac("Country", cbc("IdentificationCode", null, a.country)) : null,
  );
}

function contactSpec(c: OrderContact): XmlNodeSpec {
  return cac("Contact", cbc("Name", null, c.name), c.phone ? cbc("Telephone", null, c.phone) : null, c.email ? cbc("ElectronicMail", null, c.email) : null);
}

function party(wrapper: string, p: UblParty, name: string, extra: { address?: OrderAddress | null | undefined; contact?: OrderContact | null | undefined } = {}): XmlNodeSpec {
  return cac(
    wrapper,
    cac(
      "Party",
      cbc("EndpointID", { schemeID: p.endpointScheme }, p.endpointId),
      cac("PartyIdentification", cbc("ID", { schemeID: p.endpointScheme }, p.endpointId)),
      extra.address ? addressSpec("PostalAddress", extra.address) : null,
      cac("PartyLegalEntity", cbc("RegistrationName", null, name)),
      extra.contact ? contactSpec(extra.contact) : null,
    ),
  );
}

/** Where the goods go: `Delivery/DeliveryLocation` with the address's id and the address, and the requested period. */
function deliverySpec(shipTo: OrderAddress | null | undefined, planned: string | null | undefined, options: UblOrderOptions, timeZone: string): XmlNodeSpec | null {
  if (!shipTo && !planned) return null;
  const scheme = options.deliveryLocationScheme;
  return cac(
    "Delivery",
    shipTo ? cac("DeliveryLocation", cbc("ID", scheme ? { schemeID: scheme } : null, shipTo.id), addressSpec("Address", shipTo)) : null,
    planned ? cac("RequestedDeliveryPeriod", cbc("StartDate", null, dateInZone(planned, timeZone))) : null,
    shipTo ? cac("DeliveryParty", cac("PartyName", cbc("Name", null, shipTo.company ?? shipTo.name))) : null,
  );
}

export type UblDocumentKind = "order" | "order_change";

/** What a Peppol Order and Order Change share: checked options, units and line amounts. */
export function prepareUblOrder(event: PurchaseOrderEvent, options: UblOrderOptions): Refusal | { timeZone: string; units: string[]; lineAmounts: number[] } {
  if (!options?.buyer?.endpointId || !options.seller?.endpointId) return refuse("missing_option", "UBL Order needs partner options buyer and seller (Peppol endpoint ids)");
  const timeZone = options.timeZone ?? "UTC";
  try {
    dateInZone(event.occurred_at, timeZone);
  } catch {
    return refuse("missing_option", `timeZone "${timeZone}" is not a known time zone`);
  }
  const units: string[] = [];
  for (const [i, line] of event.data.lines.entries()) {
    const unit = unitForPartner(line.uom, options.units);
    if (!unit.ok) return refuse("unknown_code", unit.message, { path: `data.lines.${i}.uom` });
    units.push(unit.value);
  }
  const decimals = Math.min(currencyDecimals(event.data.currency), 2);
  return { timeZone, units, lineAmounts: event.data.lines.map((l) => roundTo(l.quantity * l.unit_price, decimals)) };
}

/**
 * The body of a Peppol Order (T01) or Order Change (T114) after the document's own header
 * elements: parties, delivery, terms, totals and lines, in the UBL schema's order.
 */
export function orderBodySpecs(event: PurchaseOrderEvent, options: UblOrderOptions, prepared: { timeZone: string; units: string[]; lineAmounts: number[] }, kind: UblDocumentKind): XmlNodeSpec[] {
  const data = event.data;
  const currency = data.currency;
  const { timeZone, units, lineAmounts } = prepared;
  const amount = (n: number) => ublAmount(n, currency);
  const decimals = Math.min(currencyDecimals(currency), 2);
  const lineTotal = roundTo(lineAmounts.reduce((a, b) => a + b, 0), decimals);
  // Tax as Odoo computed it; the totals are then consistent by construction (PEPPOL-T01-R016, R017).
  const tax = data.amount_total !== undefined && data.amount_untaxed !== undefined ? roundTo(data.amount_total - data.amount_untaxed, decimals) : null;
  const listIds: Record<string, string> = { UNSPSC: "TST", ...options.classificationListIds };
  const orderLine = (line: PurchaseOrderLine, i: number) =>
    cac(
      "OrderLine",
      cac(
        "LineItem",
        cbc("ID", null, line.line_number),
        kind === "order_change" ? cbc("LineStatusCode", null, 3) : null,
        cbc("Quantity", { unitCode: units[i]! }, formatDecimal(line.quantity)),
        cbc("LineExtensionAmount", { currencyID: currency }, amount(lineAmounts[i]!)),
        line.ship_to && line.ship_to.id !== data.ship_to?.id
          ? deliverySpec(line.ship_to, line.planned_date ?? data.planned_date, options, timeZone)
          : deliverySpec(null, line.planned_date ?? data.planned_date, options, timeZone),
        cac("Price", cbc("PriceAmount", { currencyID: currency }, formatUnitPrice(line.unit_price, currency)), cbc("BaseQuantity", { unitCode: units[i]! }, 1)),
        cac(
          "Item",
          // Item/Name is mandatory in Peppol: fall back to a code when Odoo has no usable description.
          cbc("Name", null, Array.from(stripInvalidXmlChars(line.description).trim()).slice(0, 500).join("") || line.product_code || line.vendor_product_code || "-"),
          line.product_code ? cac("BuyersItemIdentification", cbc("ID", null, line.product_code)) : null,
          line.vendor_product_code ? cac("SellersItemIdentification", cbc("ID", null, line.vendor_product_code)) : null,
          line.classification ? cac("CommodityClassification", cbc("ItemClassificationCode", { listID: listIds[line.classification.scheme] ?? "ZZZ" }, line.classification.code)) : null,
          line.tax ? cac("ClassifiedTaxCategory", cbc("ID", null, line.tax.category), cbc("Percent", null, formatDecimal(line.tax.percent)), cac("TaxScheme", cbc("ID", null, "VAT"))) : null,
          line.vendor_product_aux_code ? cac("AdditionalItemProperty", cbc("Name", null, "Variant"), cbc("Value", null, line.vendor_product_aux_code)) : null,
        ),
      ),
    );
  return [
    party("BuyerCustomerParty", options.buyer, options.buyer.name, { address: data.bill_to, contact: data.buyer }),
    party("SellerSupplierParty", options.seller, options.seller.name ?? data.vendor.name),
    deliverySpec(data.ship_to, data.planned_date, options, timeZone),
    data.incoterm
      ? cac("DeliveryTerms", cbc("ID", null, data.incoterm.code), data.incoterm.location ? cac("DeliveryLocation", cbc("ID", null, data.incoterm.location)) : null)
      : null,
    data.payment_terms ? cac("PaymentTerms", cbc("Note", null, data.payment_terms.name)) : null,
    tax !== null ? cac("TaxTotal", cbc("TaxAmount", { currencyID: currency }, amount(tax))) : null,
    cac(
      "AnticipatedMonetaryTotal",
      cbc("LineExtensionAmount", { currencyID: currency }, amount(lineTotal)),
      tax !== null ? cbc("TaxExclusiveAmount", { currencyID: currency }, amount(lineTotal)) : null,
      tax !== null ? cbc("TaxInclusiveAmount", { currencyID: currency }, amount(lineTotal + tax)) : null,
      cbc("PayableAmount", { currencyID: currency }, amount(tax !== null ? lineTotal + tax : lineTotal)),
    ),
    ...data.lines.map(orderLine),
  ].filter((s): s is XmlNodeSpec => Boolean(s));
}

export function issueSpecs(utc: string, timeZone: string): XmlNodeSpec[] {
  return [cbc("IssueDate", null, dateInZone(utc, timeZone)), cbc("IssueTime", null, timeInZone(utc, timeZone))];
}

export const ublXml = (root: XmlNodeSpec) => `<?xml version="1.0" encoding="UTF-8"?>\n${render(root)}\n`;

export function encodeUblOrder(input: unknown, options: UblOrderOptions): EncodeResult {
  const parsed = parseEvent(purchaseOrderEventSchema, input);
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  if (event.type !== "purchase_order.confirmed") {
    return refuse("unsupported_event", `${event.type} is sent as a Peppol Order Change or Order Cancellation, not an Order`, { path: "type" });
  }
  const prepared = prepareUblOrder(event, options);
  if ("ok" in prepared) return prepared;
  const data = event.data;
  const root = el(
    "Order",
    { xmlns: UBL_NS.Order, "xmlns:cac": UBL_NS.cac, "xmlns:cbc": UBL_NS.cbc },
    cbc("CustomizationID", null, PEPPOL.orderCustomization),
    cbc("ProfileID", null, PEPPOL.profiles[options.profile ?? "ordering"]),
    cbc("ID", null, data.po_number),
    ...issueSpecs(data.order_date, prepared.timeZone),
    cbc("OrderTypeCode", null, 220),
    cbc("DocumentCurrencyCode", null, data.currency),
    data.vendor_reference ? cbc("CustomerReference", null, data.vendor_reference) : null,
    ...orderBodySpecs(event, options, prepared, "order"),
  );
  return { ok: true, contentType: "application/xml; charset=utf-8", body: ublXml(root), headers: {} };
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
