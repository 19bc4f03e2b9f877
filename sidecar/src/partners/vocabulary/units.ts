import { known, lookupIn, unknownCode, type Lookup } from "./lookup.ts";

/**
 * Units of measure. The canonical events carry UN/ECE Recommendation 20 codes; this is the
 * one table that maps them to Odoo units, to X12 units, and to a partner's own codes.
 * The Odoo side of the table mirrors the addon's `tools/vocabulary.py` (same XML ids, same
 * codes), so a unit the addon sends is a unit the sidecar knows.
 */

export type UnitDimension = "count" | "weight" | "length" | "area" | "volume" | "time" | "package" | "other";

/** The Rec 20 codes we accept, with what they measure. A code outside this list is refused, not passed through. */
export const REC20_UNITS: Readonly<Record<string, { name: string; dimension: UnitDimension }>> = {
  C62: { name: "one (unit)", dimension: "count" },
  EA: { name: "each", dimension: "count" },
  H87: { name: "piece", dimension: "count" },
  NAR: { name: "number of articles", dimension: "count" },
  DZN: { name: "dozen", dimension: "count" },
  PR: { name: "pair", dimension: "count" },
  SET: { name: "set", dimension: "count" },
  PK: { name: "pack", dimension: "package" },
  BX: { name: "box", dimension: "package" },
  CS: { name: "case", dimension: "package" },
  CT: { name: "carton", dimension: "package" },
  // Office-supply partners confirm paper in reams (an Office Depot cXML confirmation does).
  RM: { name: "ream", dimension: "package" },
  KGM: { name: "kilogram", dimension: "weight" },
  GRM: { name: "gram", dimension: "weight" },
  MGM: { name: "milligram", dimension: "weight" },
  TNE: { name: "tonne", dimension: "weight" },
  LBR: { name: "pound", dimension: "weight" },
  ONZ: { name: "ounce", dimension: "weight" },
  MTR: { name: "metre", dimension: "length" },
  CMT: { name: "centimetre", dimension: "length" },
  MMT: { name: "millimetre", dimension: "length" },
  KMT: { name: "kilometre", dimension: "length" },
  INH: { name: "inch", dimension: "length" },
  FOT: { name: "foot", dimension: "length" },
  YRD: { name: "yard", dimension: "length" },
  SMI: { name: "mile (statute)", dimension: "length" },
  MTK: { name: "square metre", dimension: "area" },
  FTK: { name: "square foot", dimension: "area" },
  LTR: { name: "litre", dimension: "volume" },
  MLT: { name: "millilitre", dimension: "volume" },
  MTQ: { name: "cubic metre", dimension: "volume" },
  OZA: { name: "fluid ounce (US)", dimension: "volume" },
  QTL: { name: "quart (US liquid), as the addon sends it", dimension: "volume" },
  GLL: { name: "gallon (US)", dimension: "volume" },
  INQ: { name: "cubic inch", dimension: "volume" },
  FTQ: { name: "cubic foot", dimension: "volume" },
  DAY: { name: "day", dimension: "time" },
  HUR: { name: "hour", dimension: "time" },
  ZZ: { name: "mutually defined (the addon's code for an Odoo unit without a Rec 20 code)", dimension: "other" },
};

/** Odoo's own units by XML id (module `uom`), as in the addon. */
export const ODOO_XMLID_TO_REC20: Readonly<Record<string, string>> = {
  "uom.product_uom_unit": "C62",
  "uom.product_uom_dozen": "DZN",
  "uom.product_uom_day": "DAY",
  "uom.product_uom_hour": "HUR",
  "uom.product_uom_meter": "MTR",
  "uom.product_uom_millimeter": "MMT",
  "uom.product_uom_km": "KMT",
  "uom.product_uom_cm": "CMT",
  "uom.uom_square_meter": "MTK",
  "uom.product_uom_litre": "LTR",
  "uom.product_uom_cubic_meter": "MTQ",
  "uom.product_uom_kgm": "KGM",
  "uom.product_uom_gram": "GRM",
  "uom.product_uom_ton": "TNE",
  "uom.product_uom_lb": "LBR",
  "uom.product_uom_oz": "ONZ",
  "uom.product_uom_inch": "INH",
  "uom.product_uom_foot": "FOT",
  "uom.product_uom_yard": "YRD",
  "uom.product_uom_mile": "SMI",
  "uom.uom_square_foot": "FTK",
  "uom.product_uom_floz": "OZA",
  "uom.product_uom_qt": "QTL",
  "uom.product_uom_gal": "GLL",
  "uom.product_uom_cubic_inch": "INQ",
  "uom.product_uom_cubic_foot": "FTQ",
};

/** Odoo unit names (English, as shown in Odoo 18) to Rec 20, for units referred to by name. */
export const ODOO_NAME_TO_REC20: Readonly<Record<string, string>> = {
  units: "C62",
  unit: "C62",
  dozens: "DZN",
  pair: "PR",
  pairs: "PR",
  kg: "KGM",
  g: "GRM",
  mg: "MGM",
  t: "TNE",
  lb: "LBR",
  lbs: "LBR",
  oz: "ONZ",
  hours: "HUR",
  days: "DAY",
  m: "MTR",
  mm: "MMT",
  cm: "CMT",
  km: "KMT",
  in: "INH",
  ft: "FOT",
  yd: "YRD",
  mi: "SMI",
  "m²": "MTK",
  "ft²": "FTK",
  l: "LTR",
  ml: "MLT",
  "m³": "MTQ",
  "fl oz (us)": "OZA",
  "qt (us)": "QTL",
  "gal (us)": "GLL",
  "in³": "INQ",
  "ft³": "FTQ",
};

/**
 * Inbound: which Odoo unit (XML id) a Rec 20 code lands on. Aliases that mean "one item"
 * (EA, H87, NAR) all land on Units: they are the same quantity, not a guess.
 */
export const REC20_TO_ODOO_XMLID: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(ODOO_XMLID_TO_REC20).map(([xmlid, code]) => [code, xmlid])),
  EA: "uom.product_uom_unit",
  H87: "uom.product_uom_unit",
  NAR: "uom.product_uom_unit",
};

/** ANSI X12 unit codes (element 355) to Rec 20; only the ones we have seen partners use. */
export const X12_TO_REC20: Readonly<Record<string, string>> = {
  EA: "EA",
  PC: "H87",
  LB: "LBR",
  KG: "KGM",
  OZ: "ONZ",
  CA: "CS",
  PK: "PK",
  BX: "BX",
  CT: "CT",
  DZ: "DZN",
  PR: "PR",
  FT: "FOT",
  IN: "INH",
  YD: "YRD",
  GA: "GLL",
  LT: "LTR",
  ML: "MLT",
  GR: "GRM",
  HR: "HUR",
  DA: "DAY",
};

/** Rec 20 to X12 for outbound documents; "one item" codes become EA. */
export const REC20_TO_X12: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(X12_TO_REC20).map(([x12, rec20]) => [rec20, x12])),
  C62: "EA",
  NAR: "EA",
};

/** A partner's own unit codes (e.g. EDIFACT `PCE`, `STK`, `GBND`) mapped to Rec 20 in its configuration. */
export type PartnerUnitOverrides = Readonly<Record<string, string>>;

export interface UnitContext {
  /** Which code list the partner writes. Default `rec20`. */
  standard?: "rec20" | "x12";
  /** Partner-specific codes, checked first. Their targets must be known Rec 20 codes. */
  overrides?: PartnerUnitOverrides;
}

/** A partner's unit code to a known Rec 20 code, or an unknown-code report. */
export function unitFromPartner(code: string, context: UnitContext = {}): Lookup<string> {
  const trimmed = code.trim();
  const override = context.overrides && Object.prototype.hasOwnProperty.call(context.overrides, trimmed) ? context.overrides[trimmed] : undefined;
  if (override !== undefined) {
    return Object.prototype.hasOwnProperty.call(REC20_UNITS, override) ? known(override) : unknownCode("UN/ECE Rec 20", override);
  }
  if ((context.standard ?? "rec20") === "x12") return lookupIn(X12_TO_REC20, "X12 unit of measure", trimmed.toUpperCase());
  return Object.prototype.hasOwnProperty.call(REC20_UNITS, trimmed) ? known(trimmed) : unknownCode("UN/ECE Rec 20", trimmed);
}

/** A canonical Rec 20 code to the code a partner expects (reverse of the overrides, or X12). */
export function unitForPartner(rec20: string, context: UnitContext = {}): Lookup<string> {
  if (!Object.prototype.hasOwnProperty.call(REC20_UNITS, rec20)) return unknownCode("UN/ECE Rec 20", rec20);
  if (context.overrides) {
    for (const [partnerCode, target] of Object.entries(context.overrides)) if (target === rec20) return known(partnerCode);
  }
  if ((context.standard ?? "rec20") === "x12") return lookupIn(REC20_TO_X12, "UN/ECE Rec 20", rec20);
  return known(rec20);
}

export function odooUnitFromRec20(rec20: string): Lookup<string> {
  return lookupIn(REC20_TO_ODOO_XMLID, "UN/ECE Rec 20", rec20);
}

export function rec20FromOdoo(unit: { xmlid?: string | null; name?: string | null }): Lookup<string> {
  if (unit.xmlid && Object.prototype.hasOwnProperty.call(ODOO_XMLID_TO_REC20, unit.xmlid)) return known(ODOO_XMLID_TO_REC20[unit.xmlid]!);
  if (unit.name) return lookupIn(ODOO_NAME_TO_REC20, "Odoo unit of measure", unit.name.trim().toLowerCase());
  return unknownCode("Odoo unit of measure", unit.xmlid ?? "");
}

// Exact conversion factors to the base unit of each dimension (kilogram, metre).
const WEIGHT_IN_KG: Readonly<Record<string, number>> = { KGM: 1, GRM: 0.001, MGM: 0.000001, TNE: 1000, LBR: 0.45359237, ONZ: 0.028349523125 };
const LENGTH_IN_M: Readonly<Record<string, number>> = { MTR: 1, CMT: 0.01, MMT: 0.001, KMT: 1000, INH: 0.0254, FOT: 0.3048, YRD: 0.9144 };

/** Converts a weight or length between Rec 20 units (carriers want ounces and inches). */
export function convertMeasure(value: number, from: string, to: string): Lookup<number> {
  for (const table of [WEIGHT_IN_KG, LENGTH_IN_M]) {
    const a = table[from];
    const b = table[to];
    if (a !== undefined && b !== undefined) return known((value * a) / b);
  }
  return unknownCode("UN/ECE Rec 20", `${from}->${to}`);
}
