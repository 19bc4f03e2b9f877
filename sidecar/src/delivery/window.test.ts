import { describe, expect, it } from "vitest";
import { minutesInZone, msUntilOpen } from "./window.ts";

const at = (iso: string) => Date.parse(iso);

describe("daily delivery window", () => {
  it("is open inside a same-day window and tells how long until it opens otherwise", () => {
    const w = { start: "09:00", end: "17:00", time_zone: "UTC" };
    expect(msUntilOpen(w, at("2026-11-26T10:00:00Z"))).toBe(0);
    expect(msUntilOpen(w, at("2026-11-26T08:30:00Z"))).toBe(30 * 60_000);
    expect(msUntilOpen(w, at("2026-11-26T17:00:00Z"))).toBe(16 * 3_600_000);
  });

  it("handles a window across midnight", () => {
    const w = { start: "22:00", end: "06:00", time_zone: "UTC" };
    expect(msUntilOpen(w, at("2026-11-26T23:00:00Z"))).toBe(0);
    expect(msUntilOpen(w, at("2026-11-26T05:59:00Z"))).toBe(0);
    expect(msUntilOpen(w, at("2026-11-26T06:00:00Z"))).toBe(16 * 3_600_000);
  });

  it("reads the clock in the partner's time zone", () => {
    expect(minutesInZone(at("2026-11-26T12:00:00Z"), "Europe/Brussels")).toBe(13 * 60);
    const w = { start: "13:00", end: "14:00", time_zone: "Europe/Brussels" };
    expect(msUntilOpen(w, at("2026-11-26T12:30:00Z"))).toBe(0);
    expect(msUntilOpen(w, at("2026-11-26T11:30:00Z"))).toBe(30 * 60_000);
  });
});
