import { afterEach, describe, expect, it } from "vitest";
import { demoLines, startStack, waitFor, type Stack } from "../support/harness.ts";

let stack: Stack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

describe("backpressure", () => {
  it("stops claiming while its backlog is full, leaves the rest pending in Odoo, and drains everything once the partner is back", async () => {
    let down = true;
    stack = await startStack({
      env: { ODC_MAX_BACKLOG: "5", ODC_CLAIM_BATCH: "3", ODC_POLL_INTERVAL_MS: "200" },
      partnerOverrides: { retry: { schedule_ms: [300, 300, 300, 300, 300, 300, 300, 300, 300, 300] }, limits: { breaker_threshold: 1000 } },
      fault: () => (down ? { status: 503 } : null),
    });
    const { odoo, sidecar } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = Array.from({ length: 20 }, () => odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    await waitFor(() => sidecar.store.pendingCount() === 5, "the backlog to fill");
    await new Promise((r) => setTimeout(r, 600)); // several polls while full
    expect(sidecar.store.pendingCount()).toBe(5);
    expect(rows.filter((r) => r.state === "pending")).toHaveLength(15);
    const health = (await (await fetch(`${stack.sidecarUrl}/healthz`)).json()) as { claiming: string };
    expect(health.claiming).toBe("paused: backlog full");
    down = false;
    await waitFor(() => rows.every((r) => r.state === "delivered"), "every row delivered once the partner is back", 20_000);
    expect(new Set(stack.partner.accepted.map((e) => e.webhookId)).size).toBe(20);
  });
});
