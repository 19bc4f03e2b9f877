import { parseEvent, purchaseOrderEventSchema, type PurchaseOrderEvent, type PurchaseOrderLine } from "../events/outbound.ts";
import type { PurchaseOrderDocument } from "../events/purchase-order-document.ts";
import { fail, refuse, type EncodeResult } from "../result.ts";
import { unitForPartner, type UnitContext } from "../vocabulary/units.ts";
import { attrOf, child, children, descend, requireAttr, requireChild, requireQuantityAttr, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";
import { el, type XmlNodeSpec } from "../xml/write.ts";
import { documentRef, lineNumberAttr, moneyIn, optionalTimeAttr, requireUnit, supplierPartOf, type CxmlDecodeOptions } from "./common.ts";
import { cxmlDateTime, headerSpec, renderCxml, type CxmlEnvelope, type CxmlHeaderOptions } from "./envelope.ts";

/**
 * cXML OrderRequest for purchase_order.confirmed / changed / cancelled (cXML.dtd 1.2.063):
 * type new / update / delete, with a DocumentReference to the previous version when we know it.
 * Encoding is deterministic (same event → same bytes), so a retried delivery carries the same
 * payloadID and the supplier can deduplicate it.
 */

export interface CxmlAddress {
  name: string;
  addressId?: string;
  deliverTo?: string[];
  street: string[];
  city: string;
  state?: string;
  postalCode?: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  countryName?: string;
  email?: string;
}

export interface CxmlOrderOptions extends CxmlHeaderOptions {
  /** `BillTo` is required by the DTD; our invoicing address as the supplier knows it. */
  billTo: CxmlAddress;
  shipTo?: CxmlAddress;
  /** `Request@deploymentMode`. Default "production". */
  deploymentMode?: "production" | "test";
  /** Our payloadID is `<event id>@<payloadIdDomain>`. Default "odoo-distribution-connector". */
  payloadIdDomain?: string;
  /** payloadID of the OrderRequest this one replaces (changed/cancelled). Sent as DocumentReference. */
  previousPayloadId?: string;
  /** Alternative to previousPayloadId: the event id of the previous version (payloadID derived as ours). */
  previousEventId?: string;
  /** `xml:lang` of descriptions. Default "en". */
  lang?: string;
  /** `Classification` is required per item; partners without UNSPSC accept a custom domain. Default `{ domain: "custom", code: "" }`. */
  classification?: { domain: string; code: string };
  /** IANA zone in which a planned date-time becomes the requested delivery *date*. Default "UTC". */
  deliveryDateTimeZone?: string;
  /** Partner unit codes (a supplier that wants X12 codes, or its own). */
  units?: UnitContext;
}

const ORDER_TYPE: Record<PurchaseOrderEvent["type"], "new" | "update" | "delete"> = {
  "purchase_order.confirmed": "new",
  "purchase_order.changed": "update",
  "purchase_order.cancelled": "delete",
};

/** Decimal text without exponent notation (1e-7 → "0.0000001"). */
export function formatDecimal(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  if (Number.isInteger(n)) return BigInt(n).toString();
  return n.toFixed(20).replace(/0+$/, "").replace(/\.$/, "");
}

const dateFormatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of a UTC instant in a time zone (the supplier's delivery day). */
export function dateInZone(utc: string, timeZone: string): string {
  // Events carry ISO 8601 UTC (checked by the event schema): the UTC date is its first 10 characters.
  if (timeZone === "UTC") return utc.slice(0, 10);
  let formatter = dateFormatters.get(timeZone);
  if (!formatter) {
    // Building an Intl formatter costs ~100 µs; one per zone is kept.
    formatter = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    dateFormatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(new Date(utc));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

function addressSpec(wrapper: string, address: CxmlAddress, lang: string): XmlNodeSpec {
  return el(
    wrapper,
    null,
    el(
      "Address",
      { addressID: address.addressId, isoCountryCode: address.country },
      el("Name", { "xml:lang": lang }, address.name),
      el(
        "PostalAddress",
        null,
        ...(address.deliverTo ?? []).map((d) => el("DeliverTo", null, d)),
        ...address.street.map((s) => el("Street", null, s)),
        el("City", null, address.city),
        address.state ? el("State", null, address.state) : null,
        address.postalCode ? el("PostalCode", null, address.postalCode) : null,
        el("Country", { isoCountryCode: address.country }, address.countryName ?? address.country),
      ),
      address.email ? el("Email", null, address.email) : null,
    ),
  );
}

export function payloadIdFor(eventId: string, domain = "odoo-distribution-connector"): string {
  return `${eventId}@${domain}`;
}

export function encodeOrderRequest(input: unknown, options: CxmlOrderOptions): EncodeResult {
  const parsed = parseEvent(purchaseOrderEventSchema, input);
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  if (!options?.sharedSecret || !options.billTo) {
    return refuse("missing_option", "cXML OrderRequest needs partner options sharedSecret and billTo");
  }
  const lang = options.lang ?? "en";
  const timeZone = options.deliveryDateTimeZone ?? "UTC";
  const data = event.data;
  const unitCodes: string[] = [];
  for (const [i, line] of data.lines.entries()) {
    const unit = unitForPartner(line.uom, options.units);
    if (!unit.ok) return refuse("unknown_code", unit.message, { path: `data.lines.${i}.uom` });
    unitCodes.push(unit.value);
  }
  const total = data.amount_untaxed ?? Math.round(data.lines.reduce((s, l) => s + l.quantity * l.unit_price, 0) * 100) / 100;
  const previous = options.previousPayloadId ?? (options.previousEventId ? payloadIdFor(options.previousEventId, options.payloadIdDomain) : undefined);
  const classification = options.classification ?? { domain: "custom", code: "" };
  try {
    // Intl throws on an unknown zone; check once here so the refusal names the option.
    dateInZone(event.occurred_at, timeZone);
  } catch {
    return refuse("missing_option", `deliveryDateTimeZone "${timeZone}" is not a known time zone`);
  }
  const itemOut = (line: PurchaseOrderLine, i: number) => {
    const planned = line.planned_date ?? data.planned_date;
    return el(
      "ItemOut",
      { quantity: formatDecimal(line.quantity), lineNumber: line.line_number, requestedDeliveryDate: planned ? dateInZone(planned, timeZone) : null },
      el(
        "ItemID",
        null,
        el("SupplierPartID", null, line.vendor_product_code ?? line.product_code ?? ""),
        line.product_code ? el("BuyerPartID", null, line.product_code) : null,
      ),
      el(
        "ItemDetail",
        null,
        el("UnitPrice", null, el("Money", { currency: data.currency }, formatDecimal(line.unit_price))),
        el("Description", { "xml:lang": lang }, line.description),
        el("UnitOfMeasure", null, unitCodes[i]!),
        el("Classification", { domain: classification.domain }, classification.code),
      ),
    );
  };
  const orderType = ORDER_TYPE[event.type];
  const root = el(
    "cXML",
    { payloadID: payloadIdFor(event.id, options.payloadIdDomain), timestamp: cxmlDateTime(event.occurred_at), "xml:lang": "en-US" },
    headerSpec(options),
    el(
      "Request",
      { deploymentMode: options.deploymentMode ?? "production" },
      el(
        "OrderRequest",
        null,
        el(
          "OrderRequestHeader",
          { orderID: data.po_number, orderDate: cxmlDateTime(data.order_date), type: orderType, orderVersion: event.sequence },
          el("Total", null, el("Money", { currency: data.currency }, formatDecimal(total))),
          options.shipTo ? addressSpec("ShipTo", options.shipTo, lang) : null,
          addressSpec("BillTo", options.billTo, lang),
          previous ? el("DocumentReference", { payloadID: previous }) : null,
        ),
        ...data.lines.map(itemOut),
      ),
    ),
  );
  return { ok: true, contentType: "text/xml; charset=utf-8", body: renderCxml(root), headers: {} };
}

function readItemOut(item: XmlElement, options: CxmlDecodeOptions): PurchaseOrderDocument["lines"][number] {
  const detail = child(item, "ItemDetail");
  return {
    line_number: item.attrs.lineNumber === undefined ? null : lineNumberAttr(item),
    supplier_part: supplierPartOf(item),
    buyer_part: textOf(descend(item, "ItemID/BuyerPartID")) ?? null,
    gtin: null,
    description: detail ? (textOf(child(detail, "Description")) ?? null) : null,
    quantity: requireQuantityAttr(item, "quantity"),
    uom: detail ? requireUnit(detail, options.units) : requireUnit(requireChild(item, "ItemDetail"), options.units),
    unit_price: detail ? (moneyIn(child(detail, "UnitPrice"))?.amount ?? null) : null,
    requested_delivery: optionalTimeAttr(item, "requestedDeliveryDate"),
  };
}

export function decodeOrderRequest(_envelope: CxmlEnvelope, request: XmlElement, options: CxmlDecodeOptions = {}): PurchaseOrderDocument {
  const header = requireChild(request, "OrderRequestHeader");
  const type = attrOf(header, "type") ?? "new";
  const version = attrOf(header, "orderVersion");
  const total = moneyIn(child(header, "Total"));
  return {
    po_number: requireAttr(header, "orderID"),
    operation: type === "new" || type === "update" || type === "delete" ? type : fail("unknown_code", `OrderRequestHeader type "${type.slice(0, 20)}" is not new, update or delete`, { path: `${header.path}@type`, line: header.line }),
    version: version !== undefined && /^\d{1,9}$/.test(version) ? Number(version) : null,
    previous_message_ref: documentRef(header),
    order_date: optionalTimeAttr(header, "orderDate"),
    currency: total?.currency ?? null,
    total: total?.amount ?? null,
    lines: children(request, "ItemOut").map((i) => readItemOut(i, options)),
  };
}
