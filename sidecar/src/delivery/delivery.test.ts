import { describe, expect, it } from "vitest";
import { classifyStatus, parseRetryAfter } from "./attempt.ts";
import { CircuitBreaker } from "./breaker.ts";
import { nextAttemptAt } from "./schedule.ts";

describe("error classes", () => {
  it.each([
    [200, null],
    [204, null],
    [408, "http_retryable_4xx"],
    [425, "http_retryable_4xx"],
    [429, "http_retryable_4xx"],
    [500, "http_5xx"],
    [503, "http_5xx"],
    [400, "http_4xx"],
    [401, "http_4xx"],
    [404, "http_4xx"],
    [410, "gone"],
    [302, "http_4xx"],
  ])("HTTP %i is %s", (status, cls) => {
    expect(classifyStatus(status)?.errorClass ?? null).toBe(cls);
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2026-11-26T10:00:00Z");
  it.each([
    ["120", 120_000],
    ["0", 0],
    ["Thu, 26 Nov 2026 10:00:30 GMT", 30_000],
    ["Thu, 26 Nov 2026 09:00:00 GMT", 0],
    ["99999999", 86_400_000],
    ["soon", undefined],
    [null, undefined],
    ["-5", undefined],
  ])("%s -> %s ms", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe("retry schedule", () => {
  const policy = { schedule_ms: [1000, 10_000, 100_000], jitter: 0.2, max_age_ms: 50_000 };
  it("follows the schedule with bounded jitter", () => {
    expect(nextAttemptAt(policy, 1, 0, 0, undefined, () => 0)).toBe(800);
    expect(nextAttemptAt(policy, 1, 0, 0, undefined, () => 1)).toBe(1200);
    expect(nextAttemptAt(policy, 2, 0, 0, undefined, () => 0.5)).toBe(10_000);
  });
  it("waits at least as long as Retry-After asks", () => {
    expect(nextAttemptAt(policy, 1, 0, 0, 30_000, () => 0.5)).toBe(30_000);
  });
  it("ends in dead when the schedule is exhausted or the delivery is too old", () => {
    expect(nextAttemptAt(policy, 4, 0, 0)).toBeNull();
    expect(nextAttemptAt(policy, 3, 0, 0, undefined, () => 0.5)).toBeNull(); // 100 s > max age 50 s
  });
});

describe("circuit breaker", () => {
  it("opens after consecutive failures, lets one probe through after the cooldown, closes on success", () => {
    const b = new CircuitBreaker(3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(b.tryAcquire(0)).toBe(true);
      b.failure(0);
    }
    expect(b.tryAcquire(500)).toBe(false);
    expect(b.tryAcquire(1000)).toBe(true); // the probe
    expect(b.tryAcquire(1000)).toBe(false); // only one
    b.failure(1000);
    expect(b.tryAcquire(1500)).toBe(false);
    expect(b.tryAcquire(2000)).toBe(true);
    b.success();
    expect(b.state).toBe("closed");
    expect(b.tryAcquire(2000)).toBe(true);
  });
  it("does not count a permanent refusal as an outage", () => {
    const b = new CircuitBreaker(2, 1000);
    b.failure(0);
    b.neutral();
    b.failure(0);
    expect(b.state).toBe("closed");
  });
});
