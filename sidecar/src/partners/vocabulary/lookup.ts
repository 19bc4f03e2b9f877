/**
 * Every vocabulary lookup answers with a value or a typed "unknown code": partner codes we do
 * not know are reported to the caller (and from there to a person), never guessed.
 */
export type CodeList =
  | "UN/ECE Rec 20"
  | "X12 unit of measure"
  | "Odoo unit of measure"
  | "cXML ConfirmationHeader@type"
  | "cXML ConfirmationStatus@type"
  | "UNCL4343 OrderResponseCode"
  | "UNCL1229 LineStatusCode"
  | "EasyPost tracker status"
  | "Shippo tracking status"
  | "ShipEngine status_code"
  | "AfterShip tag";

export interface UnknownCode {
  ok: false;
  list: CodeList;
  code: string;
  /** e.g. `unknown UNCL1229 LineStatusCode "2"` — ready for a refusal message. */
  message: string;
}

export type Lookup<T> = { ok: true; value: T } | UnknownCode;

export function known<T>(value: T): Lookup<T> {
  return { ok: true, value };
}

export function unknownCode(list: CodeList, code: string): UnknownCode {
  return { ok: false, list, code, message: `unknown ${list} "${code.slice(0, 60)}"` };
}

/** Own-property lookup (a partner sending `__proto__` or `constructor` must not hit Object.prototype). */
export function lookupIn<T>(table: Readonly<Record<string, T>>, list: CodeList, code: string): Lookup<T> {
  return Object.prototype.hasOwnProperty.call(table, code) ? known(table[code]!) : unknownCode(list, code);
}
