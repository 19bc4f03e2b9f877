import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkEvent, contractsDir, knownEventTypes, loadContracts } from "./validate.ts";

describe("contracts/v1", () => {
  it("compiles every event schema (all $refs resolve)", () => {
    expect(() => loadContracts(true)).not.toThrow();
    expect(knownEventTypes()).toContain("purchase_order.confirmed");
  });

  it("accepts every example document", () => {
    for (const file of readdirSync(join(contractsDir, "examples")).filter((f) => f.endsWith(".json"))) {
      const doc = JSON.parse(readFileSync(join(contractsDir, "examples", file), "utf8"));
      expect(checkEvent(doc), file).toEqual({ ok: true });
    }
  });

  it.each([
    ["a missing data", (e: Record<string, unknown>) => delete e.data],
    ["a bad uuid", (e: Record<string, unknown>) => (e.id = "not-a-uuid")],
    ["a local time", (e: Record<string, unknown>) => (e.occurred_at = "2026-11-26T10:00:00+01:00")],
    ["an unknown envelope key", (e: Record<string, unknown>) => (e.extra = 1)],
    ["a negative quantity", (e: Record<string, unknown>) => ((e.data as { lines: { quantity: number }[] }).lines[0]!.quantity = -1)],
    ["a lowercase unit code", (e: Record<string, unknown>) => ((e.data as { lines: { uom: string }[] }).lines[0]!.uom = "kgm")],
  ])("refuses a purchase_order.confirmed with %s, naming where", (_name, mutate) => {
    const doc = JSON.parse(readFileSync(join(contractsDir, "examples/purchase_order.confirmed.json"), "utf8"));
    mutate(doc);
    const check = checkEvent(doc);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason.length).toBeGreaterThan(3);
  });
});
