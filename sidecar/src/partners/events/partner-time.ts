/**
 * Timestamps as partners write them. Real documents carry `-0600` without a colon, no zone
 * at all (`2021-07-08T09:15:50`), date-only values and years like 0021. We keep the raw value,
 * and compute a UTC instant only when the partner said which zone it meant: an offset-less
 * time is the partner's local wall clock, and converting it as UTC would be a guess.
 */
export interface PartnerTime {
  /** Exactly as received. */
  raw: string;
  /** `instant`: had a zone; `local`: date and time without zone; `date`: calendar date only. */
  kind: "instant" | "local" | "date";
  /** ISO 8601 UTC (`...Z`), only for `instant`. */
  utc: string | null;
  /** Wall-clock value as written, normalised: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`. */
  local: string;
  /** The zone offset as `+HH:MM` / `Z`, or null when the partner gave none. */
  offset: string | null;
}

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Parses leniently; returns null when the value is not a date or date-time at all. */
export function parsePartnerTime(raw: string): PartnerTime | null {
  const value = raw.trim();
  const m = PATTERN.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  const date = `${y}-${mo}-${d}`;
  if (h === undefined) {
    // A date-only value with a zone ("2020-01-01Z") is still a calendar date.
    return { raw, kind: "date", utc: null, local: date, offset: null };
  }
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return null;
  const local = `${date}T${pad(hour)}:${pad(minute)}:${pad(second)}`;
  if (zone === undefined) return { raw, kind: "local", utc: null, local, offset: null };
  let offsetMinutes = 0;
  let offset = "Z";
  if (zone.toUpperCase() !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 14 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
    offset = `${sign < 0 ? "-" : "+"}${pad(oh)}:${pad(om)}`;
  }
  const ms = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  const instant = new Date(0);
  // setUTCFullYear keeps years below 100 as written (Date.UTC would map 21 to 1921).
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute - offsetMinutes, second, ms);
  return { raw, kind: "instant", utc: toUtcString(instant), local, offset };
}

/** ISO 8601 UTC without milliseconds when they are zero (`2021-02-23T15:15:50Z`). */
export function toUtcString(instant: Date): string {
  const iso = instant.toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

/**
 * Joins a UBL date and an optional time (`12:30:00`, `12:30:00+01:00`, `12:30:00Z`) into one
 * partner time; UBL splits them into two elements.
 */
export function partnerDateTime(date: string, time: string | undefined): PartnerTime | null {
  const raw = time === undefined ? date : `${date}T${time}`;
  return parsePartnerTime(raw);
}

/** A period as partners state it (promised delivery window, estimated delivery window). */
export interface PartnerPeriod {
  start: PartnerTime | null;
  end: PartnerTime | null;
}
