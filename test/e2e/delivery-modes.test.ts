import { afterEach, describe, expect, it } from "vitest";
import { minutesInZone } from "../../sidecar/src/delivery/window.ts";
import { demoLines, startStack, waitFor, type Stack } from "../support/harness.ts";

let stack: Stack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

describe("delivery modes", () => {
  it("batched: sends up to max_events per request, signed, each event keeping its own id", async () => {
    stack = await startStack({ partnerOverrides: { delivery: { mode: "batched", max_events: 10, max_wait_ms: 200 } } });
    const { odoo, partner } = stack;
    odoo.sidecarUrl = undefined;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = Array.from({ length: 25 }, () => odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    stack.sidecar.drain.wake();
    await waitFor(() => rows.every((r) => r.state === "delivered"), "all rows delivered");
    expect(partner.rejectedSignatures).toBe(0);
    expect(new Set(partner.accepted.map((e) => e.webhookId))).toEqual(new Set(rows.map((r) => r.event_uuid)));
    expect(partner.batches.reduce((a, b) => a + b, 0)).toBe(25);
    expect(Math.max(...partner.batches)).toBeLessThanOrEqual(10);
    expect(partner.arrivals.length).toBeLessThan(25);
  });

  it("batched: a partial batch waits for max_wait_ms, then goes", async () => {
    stack = await startStack({ partnerOverrides: { delivery: { mode: "batched", max_events: 50, max_wait_ms: 300 } } });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => stack!.sidecar.store.counts().pending === 1, "the event stored");
    expect(partner.arrivals).toHaveLength(0);
    await waitFor(() => row.state === "delivered", "the lone event sent after max_wait_ms");
    expect(partner.batches).toEqual([1]);
  });

  it("scheduled: holds deliveries outside the daily window, loses nothing", async () => {
    // A one-minute window that opened 2 hours ago and closed long since (UTC).
    const m = Math.floor(minutesInZone(Date.now(), "UTC"));
    const hhmm = (min: number) => `${String(Math.floor((((min % 1440) + 1440) % 1440) / 60)).padStart(2, "0")}:${String((((min % 1440) + 1440) % 1440) % 60).padStart(2, "0")}`;
    stack = await startStack({ partnerOverrides: { window: { start: hhmm(m - 120), end: hhmm(m - 119), time_zone: "UTC" } } });
    const { odoo, partner, sidecar } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => sidecar.store.counts().pending === 1, "the event stored");
    await new Promise((r) => setTimeout(r, 300));
    expect(partner.arrivals).toHaveLength(0);
    expect(sidecar.store.counts().pending).toBe(1);
  });
});
