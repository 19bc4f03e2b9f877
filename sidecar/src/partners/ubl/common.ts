import { bodyHashId } from "../events/envelope.ts";
import { partnerDateTime, type PartnerPeriod, type PartnerTime } from "../events/partner-time.ts";
import { fail, type RawDocument } from "../result.ts";
import { unitFromPartner, type UnitContext } from "../vocabulary/units.ts";
import { attrOf, child, descend, parseDecimal, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";

/** UBL 2.1 namespaces and the Peppol BIS 3 identifiers of the documents we exchange. */
export const UBL_NS = {
  Order: "urn:oasis:names:specification:ubl:schema:xsd:Order-2",
  OrderResponse: "urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2",
  DespatchAdvice: "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2",
  cac: "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
  cbc: "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
} as const;

export const PEPPOL = {
  orderCustomization: "urn:fdc:peppol.eu:poacc:trns:order:3",
  orderResponseCustomization: "urn:fdc:peppol.eu:poacc:trns:order_response:3",
  despatchAdviceCustomization: "urn:fdc:peppol.eu:poacc:trns:despatch_advice:3",
  profiles: {
    ordering: "urn:fdc:peppol.eu:poacc:bis:ordering:3",
    order_only: "urn:fdc:peppol.eu:poacc:bis:order_only:3",
    advanced_ordering: "urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3",
    despatch_advice: "urn:fdc:peppol.eu:poacc:bis:despatch_advice:3",
  },
} as const;

export interface UblDecodeOptions {
  /** Partner-specific unit codes (Peppol requires Rec 20, but not every sender complies). */
  units?: UnitContext;
}

/** UBL dates come split in `<X>Date` and `<X>Time`; read them as one partner time. */
export function dateTimeOf(holder: XmlElement | undefined, dateName: string, timeName: string): PartnerTime | null {
  if (!holder) return null;
  const dateElement = child(holder, dateName);
  const date = textOf(dateElement);
  if (date === undefined) return null;
  const time = textOf(child(holder, timeName));
  const parsed = partnerDateTime(date, time);
  if (!parsed) fail("invalid_document", `"${date}${time ? ` ${time}` : ""}" is not a date`, { path: dateElement!.path, line: dateElement!.line });
  return parsed;
}

export function periodOf(period: XmlElement | undefined): PartnerPeriod | null {
  if (!period) return null;
  const start = dateTimeOf(period, "StartDate", "StartTime");
  const end = dateTimeOf(period, "EndDate", "EndTime");
  return start || end ? { start, end } : null;
}

export function decimalOf(element: XmlElement): number {
  const text = textOf(element);
  if (text === undefined) fail("invalid_document", `${element.name} must not be empty`, { path: element.path, line: element.line });
  return parseDecimal(text, { path: element.path, line: element.line });
}

/** A quantity with its `unitCode`, mapped to a Rec 20 code; `unitCode` may be optional for some elements. */
export function quantityOf(element: XmlElement, units: UnitContext | undefined, unitRequired = true): { value: number; uom: string | null } {
  const value = decimalOf(element);
  if (value < 0) fail("invalid_document", `${element.name} ${value} is negative`, { path: element.path, line: element.line });
  const code = attrOf(element, "unitCode");
  if (code === undefined) {
    if (unitRequired) fail("invalid_document", `${element.name} has no unitCode`, { path: `${element.path}@unitCode`, line: element.line });
    return { value, uom: null };
  }
  const mapped = unitFromPartner(code, units);
  if (!mapped.ok) fail("unknown_code", mapped.message, { path: `${element.path}@unitCode`, line: element.line });
  return { value, uom: mapped.value };
}

export function idOf(holder: XmlElement | undefined, path = "ID"): string | null {
  return holder ? (textOf(descend(holder, path)) ?? null) : null;
}

/** Numeric line ids are our line numbers; anything else (3A) is the partner's own id. */
export function lineNumberFrom(value: string | null): number | null {
  if (value === null || !/^\d{1,9}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 ? n : null;
}

/**
 * Dedupe key of a UBL document: its UUID when present, else its ID with the issue time
 * (a corrected document usually gets a new ID; a resent one keeps both).
 */
export function ublMessageId(root: XmlElement, raw: RawDocument): { messageId: string; messageIdSource: "partner" | "body_hash" } {
  const uuid = textOf(child(root, "UUID"));
  if (uuid) return { messageId: uuid, messageIdSource: "partner" };
  const id = textOf(child(root, "ID"));
  if (!id) return { messageId: bodyHashId(raw), messageIdSource: "body_hash" };
  const issued = [textOf(child(root, "IssueDate")), textOf(child(root, "IssueTime"))].filter(Boolean).join("T");
  return { messageId: issued ? `${id}@${issued}` : id, messageIdSource: "partner" };
}

/** Item identifications shared by order, response and despatch lines. */
export function itemIdentification(item: XmlElement | undefined): { supplier_part: string | null; buyer_part: string | null; gtin: string | null; description: string | null } {
  return {
    supplier_part: idOf(item, "SellersItemIdentification/ID"),
    buyer_part: idOf(item, "BuyersItemIdentification/ID"),
    gtin: idOf(item, "StandardItemIdentification/ID"),
    description: item ? (textOf(child(item, "Name")) ?? textOf(child(item, "Description")) ?? null) : null,
  };
}

/** `Price/PriceAmount` divided by `BaseQuantity` when the price is per several units. */
export function unitPriceOf(price: XmlElement | undefined): { amount: number; currency: string | null } | null {
  const amount = price ? child(price, "PriceAmount") : undefined;
  if (!price || !amount) return null;
  const value = decimalOf(amount);
  const base = child(price, "BaseQuantity");
  const baseValue = base ? decimalOf(base) : 1;
  if (baseValue === 0) fail("invalid_document", "BaseQuantity must not be zero", { path: base!.path, line: base!.line });
  return { amount: baseValue === 1 ? value : value / baseValue, currency: attrOf(amount, "currencyID") ?? null };
}
