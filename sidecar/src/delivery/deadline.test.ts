import { describe, expect, it } from "vitest";
import { deadline, watchedDeadlines } from "./deadline.ts";

describe("request deadlines", () => {
  it("aborts a request still in flight once its time is up, with a TimeoutError", async () => {
    const d = deadline(30);
    const aborted = new Promise<Error | undefined>((resolve) => d.once("abort", () => resolve(d.reason)));
    expect(d.aborted).toBe(false);
    const reason = await aborted;
    expect(d.aborted).toBe(true);
    expect(reason?.name).toBe("TimeoutError");
    expect(watchedDeadlines()).toBe(0);
  });

  it("never aborts a request that is done, and stops watching it", async () => {
    const d = deadline(20);
    let fired = false;
    d.once("abort", () => (fired = true));
    d.done();
    expect(watchedDeadlines()).toBe(0);
    const later = deadline(60);
    await new Promise((resolve) => later.once("abort", resolve));
    expect(fired).toBe(false);
    expect(d.aborted).toBe(false);
  });

  it("watches many at once and lets each go exactly once", async () => {
    const ds = Array.from({ length: 200 }, (_, i) => deadline(i % 2 === 0 ? 10 : 10_000));
    let aborts = 0;
    for (const d of ds) d.on("abort", () => aborts++);
    await new Promise((resolve) => ds[0]!.once("abort", resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const d of ds) d.done();
    expect(aborts).toBe(100);
    expect(ds.filter((d) => d.aborted)).toHaveLength(100);
    expect(watchedDeadlines()).toBe(0);
  });
});
