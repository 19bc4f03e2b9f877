import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { SlidingWindow } from "./sliding-window.ts";

/**
 * Simulates requests through the gate with random transit and answer delays on fake timers,
 * and checks the partner-side count of arrivals in every window.
 */
describe("sliding window, outbound: the limit as the partner counts it", () => {
  it("never lets limit + 1 arrivals fall in one window, whatever the transit times", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 20, max: 200 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 })), { minLength: 5, maxLength: 40 }),
        async (requests, perMs, delays) => {
          const gate = new SlidingWindow(requests, perMs);
          const arrivals: number[] = [];
          await Promise.all(
            delays.map(async ([transit, answer]) => {
              await gate.acquire();
              await new Promise((r) => setTimeout(r, transit));
              arrivals.push(performance.now());
              await new Promise((r) => setTimeout(r, answer));
              gate.release();
            }),
          );
          arrivals.sort((a, b) => a - b);
          let lo = 0;
          for (let hi = 0; hi < arrivals.length; hi++) {
            // 1 ms of slack for timer and clock granularity between Date.now() and performance.now().
            while (arrivals[hi]! - arrivals[lo]! >= perMs - 1) lo++;
            if (hi - lo + 1 > requests) return false;
          }
          return true;
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);

  it("lets a full window through at once and the next one only after the answers leave the window", async () => {
    vi.useFakeTimers();
    try {
      const gate = new SlidingWindow(3, 100);
      let acquired = 0;
      for (let i = 0; i < 3; i++) void gate.acquire().then(() => acquired++);
      await vi.advanceTimersByTimeAsync(0);
      expect(acquired).toBe(3);
      let fourth = false;
      void gate.acquire().then(() => (fourth = true));
      await vi.advanceTimersByTimeAsync(20);
      for (let i = 0; i < 3; i++) gate.release();
      await vi.advanceTimersByTimeAsync(99);
      expect(fourth).toBe(false);
      await vi.advanceTimersByTimeAsync(2);
      expect(fourth).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("sliding window, inbound: instantaneous admissions", () => {
  it("never admits more than `requests` in any window of `perMs`", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 1000 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 200 }), (requests, perMs, gaps) => {
        const limiter = new SlidingWindow(requests, perMs);
        const admitted: number[] = [];
        let t = 0;
        for (const gap of gaps) {
          t += gap;
          const r = limiter.take(t);
          if (r.ok) admitted.push(t);
          else expect(r.retryAfterMs).toBeGreaterThan(0);
        }
        for (let i = requests; i < admitted.length; i++) expect(admitted[i]! - admitted[i - requests]!).toBeGreaterThanOrEqual(perMs);
      }),
    );
  });
});
