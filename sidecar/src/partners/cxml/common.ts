import type { Money } from "../events/inbound.ts";
import { parsePartnerTime, type PartnerTime } from "../events/partner-time.ts";
import { fail } from "../result.ts";
import { attrOf, child, descend, parseDecimal, requireChild, requireText, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";
import { unitFromPartner, type UnitContext } from "../vocabulary/units.ts";

/** Options every cXML decoder accepts. */
export interface CxmlDecodeOptions {
  /** Partner unit codes and standard (cXML partners write Rec 20, some write X12 codes). */
  units?: UnitContext;
}

/** A date attribute read leniently: blank means absent; present but unreadable is refused. */
export function optionalTimeAttr(element: XmlElement, name: string): PartnerTime | null {
  const raw = attrOf(element, name);
  if (raw === undefined) return null;
  const time = parsePartnerTime(raw);
  if (!time) fail("invalid_document", `${name} "${raw.slice(0, 40)}" is not a date`, { path: `${element.path}@${name}`, line: element.line });
  return time;
}

export function requireTimeAttr(element: XmlElement, name: string): PartnerTime {
  const time = optionalTimeAttr(element, name);
  if (!time) {
    const state = element.attrs[name] === undefined ? "is missing" : "is empty";
    fail("invalid_document", `required attribute ${name} ${state}`, { path: `${element.path}@${name}`, line: element.line });
  }
  return time;
}

/** The required `UnitOfMeasure` child, mapped to a Rec 20 code. */
export function requireUnit(element: XmlElement, context: UnitContext | undefined): string {
  const uom = requireChild(element, "UnitOfMeasure");
  return unitCode(uom, context);
}

export function unitCode(uom: XmlElement, context: UnitContext | undefined): string {
  const code = requireText(uom);
  const mapped = unitFromPartner(code, context);
  if (!mapped.ok) fail("unknown_code", mapped.message, { path: uom.path, line: uom.line });
  return mapped.value;
}

/** `<X><Money currency="EUR">1.50</Money></X>` → { amount, currency }. */
export function moneyIn(holder: XmlElement | undefined): Money | null {
  const money = holder ? child(holder, "Money") : undefined;
  if (!money) return null;
  const text = textOf(money);
  if (text === undefined) return null;
  return { amount: parseDecimal(text, { path: money.path, line: money.line }), currency: attrOf(money, "currency") ?? null };
}

/** Positive integer line number as cXML writes it (`lineNumber="10"`); anything else is refused. */
export function lineNumberAttr(element: XmlElement, name = "lineNumber"): number {
  const raw = element.attrs[name]?.trim();
  if (raw === undefined || raw === "") {
    fail("invalid_document", `required attribute ${name} ${raw === undefined ? "is missing" : "is empty"}`, { path: `${element.path}@${name}`, line: element.line });
  }
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    fail("invalid_document", `${name} "${raw.slice(0, 40)}" is not a positive whole number`, { path: `${element.path}@${name}`, line: element.line });
  }
  return Number(raw);
}

/** Text of `Comments` (several allowed), joined; null when none. */
export function commentsOf(element: XmlElement): string | null {
  const texts = element.children.filter((c) => c.name === "Comments").map((c) => c.text.trim()).filter((t) => t !== "");
  return texts.length > 0 ? texts.join("\n") : null;
}

export function documentRef(element: XmlElement | undefined): string | null {
  return attrOf(element ? child(element, "DocumentReference") : undefined, "payloadID") ?? null;
}

export function supplierPartOf(holder: XmlElement): string | null {
  return textOf(descend(holder, "ItemID/SupplierPartID")) ?? null;
}
