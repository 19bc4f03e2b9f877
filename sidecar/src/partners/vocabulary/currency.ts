/**
 * Amounts as suppliers' systems read them: with the currency's minor units (ISO 4217), so
 * 1575 euros is "1575.00", 1575 yen "1575" and 1575 Kuwaiti dinars "1575.000".
 */

/** ISO 4217 currencies whose minor unit is not 2 (the list's exponent column); every other code has 2. */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/** Decimal places of a currency's amounts (ISO 4217 minor units; 2 when the code is not listed otherwise). */
export function currencyDecimals(currency: string): number {
  return Object.prototype.hasOwnProperty.call(MINOR_UNITS, currency) ? MINOR_UNITS[currency]! : 2;
}

/** Rounds half away from zero at `decimals` places, correcting binary noise (1.005 → 1.01). */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  const scaled = Math.abs(value) * factor;
  const rounded = Math.round(Number(scaled.toPrecision(15))) / factor;
  return value < 0 ? -rounded : rounded;
}

/** An amount with exactly the currency's decimals: totals, line amounts. */
export function formatAmount(value: number, currency: string): string {
  const decimals = currencyDecimals(currency);
  return roundTo(value, decimals).toFixed(decimals);
}

/**
 * A unit price: at least the currency's decimals, more when the price has them (0.125 EUR a
 * screw stays "0.125", never rounded to a different price), at most `maxDecimals`.
 */
export function formatUnitPrice(value: number, currency: string, maxDecimals = 6): string {
  const decimals = currencyDecimals(currency);
  const text = roundTo(value, Math.max(decimals, maxDecimals)).toFixed(Math.max(decimals, maxDecimals));
  if (!text.includes(".")) return text;
  const [whole, fraction = ""] = text.split(".");
  const kept = fraction.replace(/0+$/, "").padEnd(decimals, "0");
  return kept ? `${whole}.${kept}` : whole!;
}
