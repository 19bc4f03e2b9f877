import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CONSUMER_RE, ConsumerIdentity } from "./consumer.ts";

const dirs: string[] = [];
const storePath = () => {
  const dir = mkdtempSync(join(tmpdir(), "odc-consumer-"));
  dirs.push(dir);
  return join(dir, "store.sqlite");
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the claimer's identity", () => {
  it("stays the same across restarts of one store, one generation further each start", () => {
    const path = storePath();
    const first = ConsumerIdentity.start(path);
    expect(first.consumer).toMatch(CONSUMER_RE);
    expect(first.generation).toBe(1);
    const second = ConsumerIdentity.start(path);
    expect(second.consumer).toBe(first.consumer);
    expect(second.generation).toBe(2);
    // A claim whose answer was lost: the next one is a generation later, and it is kept.
    second.next();
    expect(second.generation).toBe(3);
    expect(ConsumerIdentity.start(path).generation).toBe(4);
    expect(JSON.parse(readFileSync(`${path}.consumer.json`, "utf8"))).toEqual({ consumer: first.consumer, generation: 4 });
  });

  it("differs between stores, and takes the configured identity when given", () => {
    const a = ConsumerIdentity.start(storePath());
    const b = ConsumerIdentity.start(storePath());
    expect(a.consumer).not.toBe(b.consumer);
    expect(ConsumerIdentity.start(storePath(), "replica-1").consumer).toBe("replica-1");
  });

  it("starts afresh from a damaged file, and keeps nothing for a store in memory", () => {
    const path = storePath();
    writeFileSync(`${path}.consumer.json`, '{"consumer": "bad id!", "generation": -4');
    const identity = ConsumerIdentity.start(path);
    expect(identity.consumer).toMatch(CONSUMER_RE);
    expect(identity.generation).toBe(1);
    writeFileSync(`${path}.consumer.json`, JSON.stringify({ consumer: "odc-x", generation: 1.5 }));
    expect(ConsumerIdentity.start(path)).toMatchObject({ consumer: "odc-x", generation: 1 });
    const memory = ConsumerIdentity.start(":memory:");
    expect(memory.generation).toBe(1);
    expect(ConsumerIdentity.start(":memory:").consumer).not.toBe(memory.consumer);
  });
});
