import { describe, expect, it, vi } from "vitest";
import { GroupCommit } from "./group-commit.ts";

const turn = () => new Promise((r) => setImmediate(r));

describe("group commit", () => {
  it("commits the items of one event-loop turn in one transaction, answering each with its own result", async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, string>({ commit: (items) => (batches.push([...items]), items.map((n) => `r${n}`)) });
    const answers = await Promise.all([1, 2, 3].map((n) => gc.put(n)));
    expect(batches).toEqual([[1, 2, 3]]);
    expect(answers).toEqual(["r1", "r2", "r3"]);
  });

  it("answers nobody before the commit", async () => {
    let committed = false;
    const gc = new GroupCommit<number, number>({ commit: (items) => ((committed = true), [...items]) });
    let heard = false;
    gc.take(1, () => {
      expect(committed).toBe(true);
      heard = true;
    });
    expect(heard).toBe(false);
    await turn();
    expect(heard).toBe(true);
  });

  it("maxBatch: a full batch commits at once, the rest at the end of the turn", async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>({ commit: (items) => (batches.push([...items]), [...items]), maxBatch: 2 });
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => gc.put(n)));
    expect(batches).toEqual([[1, 2], [3, 4]]);
    await all;
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("minIntervalMs: commits are spaced; what arrives meanwhile waits for the next one", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "clearImmediate", "performance"] });
    try {
      const batches: number[][] = [];
      const gc = new GroupCommit<number, number>({ commit: (items) => (batches.push([...items]), [...items]), minIntervalMs: 10 });
      void gc.put(1);
      await vi.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([[1]]);
      void gc.put(2);
      await vi.advanceTimersByTimeAsync(3);
      void gc.put(3);
      await vi.advanceTimersByTimeAsync(3);
      expect(batches).toEqual([[1]]);
      await vi.advanceTimersByTimeAsync(5);
      expect(batches).toEqual([[1], [2, 3]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a failed commit: reported once, every caller of the batch hears the error, the next batch goes on", async () => {
    const failures: number[] = [];
    let fail = true;
    const gc = new GroupCommit<number, number>({
      commit: (items) => {
        if (fail) throw new Error("disk full");
        return [...items];
      },
      failed: (_err, n) => failures.push(n),
    });
    const first = await Promise.allSettled([gc.put(1), gc.put(2)]);
    expect(first.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(failures).toEqual([2]);
    fail = false;
    expect(await gc.put(3)).toBe(3);
  });

  it("one caller that throws does not keep the others of its batch from their answers", async () => {
    const gc = new GroupCommit<number, number>({ commit: (items) => [...items] });
    const thrown: unknown[] = [];
    const onUncaught = (err: unknown) => thrown.push(err);
    process.prependListener("uncaughtException", onUncaught);
    try {
      gc.take(1, () => {
        throw new Error("caller bug");
      });
      const second = gc.put(2);
      expect(await second).toBe(2);
      await turn();
      expect(thrown).toHaveLength(1);
    } finally {
      process.removeListener("uncaughtException", onUncaught);
    }
  });
  it("a commit that answers with a promise: each caller hears after it settles, with its result or the batch's error", async () => {
    let settle: ((r: readonly string[]) => void) | null = null;
    const failed = vi.fn();
    const gc = new GroupCommit<number, string>({ commit: () => new Promise((r) => (settle = r)), failed });
    const heard: string[] = [];
    const all = Promise.all([1, 2].map((n) => gc.put(n).then((r) => heard.push(r))));
    await turn();
    expect(heard).toEqual([]);
    settle!(["a", "b"]);
    await all;
    expect(heard).toEqual(["a", "b"]);
    const broken = new GroupCommit<number, string>({ commit: () => Promise.reject(new Error("store down")), failed });
    const results = await Promise.allSettled([broken.put(1), broken.put(2)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(failed).toHaveBeenCalledTimes(1);
    expect(failed).toHaveBeenCalledWith(expect.objectContaining({ message: "store down" }), 2);
  });
});
