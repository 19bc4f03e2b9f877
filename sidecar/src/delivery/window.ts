/** Daily delivery windows ("22:00"-"06:00" crosses midnight), in a partner's time zone. */
export interface DailyWindow {
  start: string;
  end: string;
  time_zone: string;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Minutes since midnight (with fraction) at `now` in `timeZone`. */
export function minutesInZone(now: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).formatToParts(new Date(now));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get("hour") * 60 + get("minute") + get("second") / 60;
}

/** 0 when `now` is inside the window, else the ms until it opens. */
export function msUntilOpen(window: DailyWindow, now: number): number {
  const m = minutesInZone(now, window.time_zone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const inside = start < end ? m >= start && m < end : m >= start || m < end;
  if (inside) return 0;
  const wait = (start - m + 1440) % 1440;
  return Math.ceil(wait * 60_000);
}
