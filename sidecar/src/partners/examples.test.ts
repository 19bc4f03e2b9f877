import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { purchaseOrderEventSchema, shipmentReadyEventSchema } from "./events/outbound.ts";
import { contractErrors } from "./test-support/contracts.ts";
import { buildExample, EXAMPLE_SOURCES } from "./test-support/examples.ts";
import { contractsDir } from "./test-support/fixtures.ts";

const example = (type: string) => JSON.parse(readFileSync(join(contractsDir, "examples", `${type}.json`), "utf8"));

describe("contracts/v1 examples of inbound events", () => {
  it.each(EXAMPLE_SOURCES.map((s) => [s.type, s] as const))("%s: the example is valid and is what the decoder produces", (type, spec) => {
    const stored = example(type);
    expect(contractErrors(stored)).toEqual([]);
    expect(buildExample(spec)).toEqual(stored);
  });
});

describe("outbound event shapes the encoders accept match the contracts", () => {
  it.each(["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"])("%s example parses with the encoder's schema", (type) => {
    const parsed = purchaseOrderEventSchema.safeParse(example(type));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it("shipment.ready example parses with the booking encoder's schema", () => {
    const parsed = shipmentReadyEventSchema.safeParse(example("shipment.ready"));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });
});
