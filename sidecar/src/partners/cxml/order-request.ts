import { parseEvent, purchaseOrderEventSchema, type OrderAddress, type OrderContact, type PurchaseOrderData, type PurchaseOrderEvent, type PurchaseOrderLine } from "../events/outbound.ts";
import type { PurchaseOrderDocument } from "../events/purchase-order-document.ts";
import { fail, refuse, type EncodeResult } from "../result.ts";
import { formatAmount, formatUnitPrice } from "../vocabulary/currency.ts";
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
  /** A telephone number as written in Odoo ("+32 2 290 34 90"); sent when it splits into country code, area and number. */
  phone?: string;
}

/** Order fields an `Extrinsic` can carry (they have no element of their own in the OrderRequest we send). */
export const CXML_EXTRINSIC_FIELDS = ["incoterm", "incoterm_location", "payment_terms", "vendor_reference", "buyer_email", "buyer_phone"] as const;
export type CxmlExtrinsicField = (typeof CXML_EXTRINSIC_FIELDS)[number];

/**
 * One header `Extrinsic` a partner asks for: a fixed value, or a field of the order. An
 * extrinsic whose field the order does not have is left out.
 */
export type CxmlExtrinsic = { name: string; value: string } | { name: string; field: CxmlExtrinsicField };

export interface CxmlOrderOptions extends CxmlHeaderOptions {
  /**
   * `BillTo` is required by the DTD: the event's `bill_to` (the company in Odoo) is sent; this
   * is the fallback for events without one, and a document needs one or the other.
   */
  billTo?: CxmlAddress;
  /** Ship-to for events that carry none (the event's `ship_to`, the receiving warehouse, wins). */
  shipTo?: CxmlAddress;
  /**
   * Replaces the `addressID` of the event's bill-to (the partner knows our invoicing address
   * under its own id, e.g. an Ariba address id). Default: the event's address id.
   */
  billToAddressId?: string;
  /** Header `Extrinsic` elements, in this order (e.g. `{ name: "Incoterm", field: "incoterm" }`). */
  extrinsics?: CxmlExtrinsic[];
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
  /**
   * `Classification` is required per item: a line's own (UNSPSC from Odoo) is sent; lines
   * without one get this. Default `{ domain: "custom", code: "" }` (partners without UNSPSC accept it).
   */
  classification?: { domain: string; code: string };
  /** IANA zone in which a planned date-time becomes the requested delivery *date*. Default "UTC". */
  deliveryDateTimeZone?: string;
  /**
   * `UnitOfMeasure` codes the partner wants: UN/ECE Rec 20 by default; `{ standard: "x12" }`
   * for EA-style codes (C62 → EA, KGM → KG); `overrides` for its own (`{ PCE: "C62" }` sends PCE).
   * The inverse of the inbound `units` setting, so one table serves both directions.
   */
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
    // Building an Intl formatter costs far more than formatting a date with it: one per zone is kept.
    formatter = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    dateFormatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(new Date(utc));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/**
 * `+32 2 290 34 90` → country code 32, area 2, number 2903490. Only numbers written in the
 * international form with their groups separated split without guessing; others are not sent.
 */
export function splitPhone(phone: string): { countryCode: string; area: string; number: string } | null {
  const groups = phone.trim().replace(/^00/, "+").split(/[\s./-]+/).map((g) => g.replace(/[()]/g, "")).filter(Boolean);
  if (groups.length < 2 || !/^\+\d{1,3}$/.test(groups[0]!) || !groups.slice(1).every((g) => /^\d+$/.test(g))) return null;
  const [cc, ...rest] = groups;
  return rest.length === 1 ? { countryCode: cc!.slice(1), area: "", number: rest[0]! } : { countryCode: cc!.slice(1), area: rest[0]!, number: rest.slice(1).join("") };
}

function phoneSpec(phone: string | undefined, country: string | undefined): XmlNodeSpec | null {
  const parts = phone ? splitPhone(phone) : null;
  // CountryCode@isoCountryCode is required: without a country the number is not sent.
  if (!parts || !country) return null;
  return el(
    "Phone",
    null,
    el("TelephoneNumber", null, el("CountryCode", { isoCountryCode: country }, parts.countryCode), el("AreaOrCityCode", null, parts.area), el("Number", null, parts.number)),
  );
}

function addressSpec(wrapper: string, address: CxmlAddress, lang: string): XmlNodeSpec {
  // PostalAddress needs Street+, City and Country (cXML.dtd); an address without them goes by name and id.
  const postal = address.street.length > 0 && address.city && address.country;
  return el(
    wrapper,
    null,
    el(
      "Address",
      { isoCountryCode: address.country || null, addressID: address.addressId },
      el("Name", { "xml:lang": lang }, address.name),
      postal
        ? el(
            "PostalAddress",
            null,
            ...(address.deliverTo ?? []).map((d) => el("DeliverTo", null, d)),
            ...address.street.map((s) => el("Street", null, s)),
            el("City", null, address.city),
            address.state ? el("State", null, address.state) : null,
            address.postalCode ? el("PostalCode", null, address.postalCode) : null,
            el("Country", { isoCountryCode: address.country }, address.countryName ?? address.country),
          )
        : null,
      address.email ? el("Email", null, address.email) : null,
      phoneSpec(address.phone, address.country || undefined),
    ),
  );
}

/** An address of the event as cXML writes it: a person at a company is the company, delivered to the person. */
export function cxmlAddressOf(address: OrderAddress): CxmlAddress {
  const company = address.company && address.company !== address.name ? address.company : null;
  return {
    name: company ?? address.name,
    addressId: address.id,
    ...(company ? { deliverTo: [address.name] } : {}),
    street: [address.street, address.street2].filter((s): s is string => Boolean(s)),
    city: address.city ?? "",
    ...(address.state ? { state: address.state } : {}),
    ...(address.zip ? { postalCode: address.zip } : {}),
    country: address.country ?? "",
    ...(address.email ? { email: address.email } : {}),
    ...(address.phone ? { phone: address.phone } : {}),
  };
}

function contactSpec(contact: OrderContact, country: string | undefined, lang: string): XmlNodeSpec {
  return el(
    "Contact",
    { role: "buyer" },
    el("Name", { "xml:lang": lang }, contact.name),
    contact.email ? el("Email", null, contact.email) : null,
    phoneSpec(contact.phone ?? undefined, country),
  );
}

function extrinsicValue(data: PurchaseOrderData, field: CxmlExtrinsicField): string | null {
  switch (field) {
    case "incoterm":
      return data.incoterm?.code ?? null;
    case "incoterm_location":
      return data.incoterm?.location ?? null;
    case "payment_terms":
      return data.payment_terms?.name ?? null;
    case "vendor_reference":
      return data.vendor_reference ?? null;
    case "buyer_email":
      return data.buyer?.email ?? null;
    case "buyer_phone":
      return data.buyer?.phone ?? null;
  }
}

export function payloadIdFor(eventId: string, domain = "odoo-distribution-connector"): string {
  return `${eventId}@${domain}`;
}

export function encodeOrderRequest(input: unknown, options: CxmlOrderOptions): EncodeResult {
  const parsed = parseEvent(purchaseOrderEventSchema, input);
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  const data = event.data;
  if (!options?.sharedSecret) return refuse("missing_option", "cXML OrderRequest needs the partner option sharedSecret");
  const billToBase = data.bill_to ? cxmlAddressOf(data.bill_to) : options.billTo;
  if (!billToBase) return refuse("missing_option", "cXML OrderRequest needs a BillTo: the event has no bill_to and the partner option billTo is not set");
  const billTo = options.billToAddressId ? { ...billToBase, addressId: options.billToAddressId } : billToBase;
  const shipTo = data.ship_to ? cxmlAddressOf(data.ship_to) : options.shipTo;
  for (const [i, extrinsic] of (options.extrinsics ?? []).entries()) {
    if (!extrinsic?.name || ("field" in extrinsic && !(CXML_EXTRINSIC_FIELDS as readonly string[]).includes(extrinsic.field))) {
      return refuse("missing_option", `extrinsics[${i}] needs a name and a value or one of the fields ${CXML_EXTRINSIC_FIELDS.join(", ")}`);
    }
  }
  const lang = options.lang ?? "en";
  const timeZone = options.deliveryDateTimeZone ?? "UTC";
  const unitCodes: string[] = [];
  for (const [i, line] of data.lines.entries()) {
    const unit = unitForPartner(line.uom, options.units);
    if (!unit.ok) return refuse("unknown_code", unit.message, { path: `data.lines.${i}.uom` });
    unitCodes.push(unit.value);
  }
  const total = data.amount_untaxed ?? data.lines.reduce((s, l) => s + l.quantity * l.unit_price, 0);
  const previous = options.previousPayloadId ?? (options.previousEventId ? payloadIdFor(options.previousEventId, options.payloadIdDomain) : undefined);
  const fallbackClassification = options.classification ?? { domain: "custom", code: "" };
  try {
    // Intl throws on an unknown zone; check once here so the refusal names the option.
    dateInZone(event.occurred_at, timeZone);
  } catch {
    return refuse("missing_option", `deliveryDateTimeZone "${timeZone}" is not a known time zone`);
  }
  const itemOut = (line: PurchaseOrderLine, i: number) => {
    const planned = line.planned_date ?? data.planned_date;
    const classification = line.classification ? { domain: line.classification.scheme, code: line.classification.code } : fallbackClassification;
    // A line that goes somewhere else than the order says where (ItemOut/ShipTo).
    const lineShipTo = line.ship_to && line.ship_to.id !== data.ship_to?.id ? cxmlAddressOf(line.ship_to) : null;
    return el(
      "ItemOut",
      { quantity: formatDecimal(line.quantity), lineNumber: line.line_number, requestedDeliveryDate: planned ? dateInZone(planned, timeZone) : null },
      el(
        "ItemID",
        null,
        el("SupplierPartID", null, line.vendor_product_code ?? line.product_code ?? ""),
        line.vendor_product_aux_code ? el("SupplierPartAuxiliaryID", null, line.vendor_product_aux_code) : null,
        line.product_code ? el("BuyerPartID", null, line.product_code) : null,
      ),
      el(
        "ItemDetail",
        null,
        el("UnitPrice", null, el("Money", { currency: data.currency }, formatUnitPrice(line.unit_price, data.currency))),
        el("Description", { "xml:lang": lang }, line.description),
        el("UnitOfMeasure", null, unitCodes[i]!),
        el("Classification", { domain: classification.domain }, classification.code),
      ),
      lineShipTo ? addressSpec("ShipTo", lineShipTo, lang) : null,
    );
  };
  const extrinsics = (options.extrinsics ?? []).flatMap((x) => {
    const value = "field" in x ? extrinsicValue(data, x.field) : x.value;
    return value ? [el("Extrinsic", { name: x.name }, value)] : [];
  });
  const payInDays = data.payment_terms?.days;
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
          el("Total", null, el("Money", { currency: data.currency }, formatAmount(total, data.currency))),
          shipTo ? addressSpec("ShipTo", shipTo, lang) : null,
          addressSpec("BillTo", billTo, lang),
          payInDays !== null && payInDays !== undefined ? el("PaymentTerm", { payInNumberOfDays: payInDays }) : null,
          data.buyer ? contactSpec(data.buyer, billTo.country || undefined, lang) : null,
          previous ? el("DocumentReference", { payloadID: previous }) : null,
          ...extrinsics,
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
