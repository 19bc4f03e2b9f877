import { afterEach, describe, expect, it } from "vitest";
import { demoLines, startStack, waitFor, type Stack } from "../support/harness.ts";

const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
let stack: Stack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

const admin = (path: string, init: RequestInit = {}, token = ADMIN_TOKEN) =>
  fetch(`${stack!.sidecarUrl}/admin${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers ?? {}) } });

describe("dead letters and replay", () => {
  it("ends a permanently refused delivery dead at once, keeps the partner's answer, reports it dead to Odoo, and replays it", async () => {
    let refuse = true;
    stack = await startStack({ env: { ODC_ADMIN_TOKEN: ADMIN_TOKEN }, fault: () => (refuse ? { status: 422, body: "unknown vendor product WC-DESK-CMB" } : null) });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);

    await waitFor(() => row.state === "dead", "the row to be recorded dead in Odoo");
    expect(row.last_error).toBe("[WOODCORNER] HTTP 422: unknown vendor product WC-DESK-CMB");
    expect(partner.arrivals).toHaveLength(1); // no retry of a permanent refusal

    const list = (await (await admin("/dead-letters?partner=WOODCORNER")).json()) as { dead_letters: { delivery_id: number; event_id: string; error_class: string; reason: string; attempts: number }[] };
    expect(list.dead_letters).toHaveLength(1);
    expect(list.dead_letters[0]).toMatchObject({ event_id: row.event_uuid, error_class: "http_4xx", attempts: 1 });

    refuse = false;
    const replay = await admin("/replay", { method: "POST", body: JSON.stringify({ delivery_ids: [list.dead_letters[0]!.delivery_id] }) });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ replayed: 1 });
    await waitFor(() => row.state === "delivered", "the replayed delivery to be recorded delivered");
    expect(partner.accepted.map((e) => e.webhookId)).toEqual([row.event_uuid]);
    const after = (await (await admin("/dead-letters")).json()) as { dead_letters: unknown[] };
    expect(after.dead_letters).toHaveLength(0);
  });

  it("re-delivers when staff press Retry in Odoo on a dead row (replay flag on the next claim)", async () => {
    let refuse = true;
    stack = await startStack({ fault: () => (refuse ? { status: 400, body: "bad" } : null) });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => row.state === "dead", "dead in Odoo");
    refuse = false;
    odoo.retry(row.id);
    await waitFor(() => row.state === "delivered", "delivered after Retry in Odoo");
    expect(partner.accepted).toHaveLength(1);
    expect(partner.accepted[0]!.webhookId).toBe(row.event_uuid);
  });

  it("refuses the admin API without the token, with a wrong one, and with malformed filters", async () => {
    stack = await startStack({ env: { ODC_ADMIN_TOKEN: ADMIN_TOKEN } });
    expect((await fetch(`${stack.sidecarUrl}/admin/dead-letters`)).status).toBe(401);
    expect((await admin("/dead-letters", {}, "wrong-token-wrong-token")).status).toBe(401);
    expect((await admin("/dead-letters?since=yesterday")).status).toBe(400);
    expect((await admin("/replay", { method: "POST", body: "{not json" })).status).toBe(400);
    expect((await admin("/replay", { method: "POST", body: JSON.stringify({}) })).status).toBe(400);
    expect((await admin("/replay", { method: "POST", body: JSON.stringify({ delivery_ids: ["1; DROP TABLE deliveries"] }) })).status).toBe(400);
    expect((await admin("/replay", { method: "POST", body: JSON.stringify({ partner: "X", extra: 1 }) })).status).toBe(400);
  });

  it("keeps the admin API off when no token is configured", async () => {
    stack = await startStack();
    expect((await fetch(`${stack.sidecarUrl}/admin/dead-letters`, { headers: { authorization: "Bearer anything-anything" } })).status).toBe(404);
  });
});

describe("what staff see while retries go on", () => {
  it("records the first failure in Odoo as failed with the reason, then delivered when a retry succeeds", async () => {
    let n = 0;
    stack = await startStack({ partnerOverrides: { retry: { schedule_ms: [400, 400] } }, fault: () => (n++ === 0 ? { status: 503, body: "down for maintenance" } : null) });
    const { odoo } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => row.state === "failed", "the interim failure to reach Odoo");
    expect(row.last_error).toBe("[WOODCORNER] HTTP 503: down for maintenance");
    await waitFor(() => row.state === "delivered", "delivered after the retry");
    expect(row.last_error).toBeNull();
    expect(row.attempts).toBeGreaterThanOrEqual(2);
  });
});

describe("quick retries", () => {
  it("retries a transient failure in-process (counted, through the rate limit) before the durable schedule", async () => {
    let n = 0;
    stack = await startStack({ partnerOverrides: { retry: { schedule_ms: [60_000], quick_retries: 2 } }, fault: () => (n++ < 2 ? { status: 502, body: "bad gateway" } : null) });
    const { odoo, partner, sidecar } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => row.state === "delivered", "delivered on the third quick try, long before the 60 s schedule");
    expect(partner.arrivals).toHaveLength(3);
    const delivery = sidecar.store.db.$client.prepare("select attempts from deliveries where event_id = ?").get(row.event_uuid) as { attempts: number };
    expect(delivery.attempts).toBe(3);
    const text = await (await fetch(`${stack.sidecarUrl}/metrics`)).text();
    expect(text).toContain('odc_delivery_attempts_total{partner="WOODCORNER",outcome="http_5xx"} 2');
  });

  it("does not quick-retry when the partner asks for a Retry-After, nor a permanent refusal", async () => {
    stack = await startStack({ partnerOverrides: { retry: { schedule_ms: [60_000], quick_retries: 3 } }, fault: (n) => (n === 0 ? { status: 429, headers: { "retry-after": "30" } } : { status: 400 }) });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    const other = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => other.state === "dead", "the permanent refusal dead at once");
    expect(partner.arrivals).toHaveLength(2);
  });
});

describe("results while Odoo is unreachable", () => {
  it("keeps results in the store while Odoo answers HTML 500, and records them when it is back", async () => {
    // The partner answers slowly, so Odoo goes down between the claim and the result.
    stack = await startStack({ fault: () => ({ status: 204, delayMs: 300 }) });
    const { odoo, partner, sidecar } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => row.state === "leased", "the row to be claimed");
    odoo.down = true;
    await waitFor(() => partner.arrivals.length === 1, "delivery while Odoo is down");
    await waitFor(() => sidecar.store.counts().report_pending === 1, "the result to wait in the store");
    await new Promise((r) => setTimeout(r, 300));
    expect(row.state).toBe("leased");
    odoo.down = false;
    await waitFor(() => row.state === "delivered", "the result recorded once Odoo is back", 15_000);
    // Odoo records the result before its answer reaches the sidecar, which then clears it.
    await waitFor(() => sidecar.store.counts().report_pending === 0, "the stored result cleared once Odoo confirmed it");
    expect(sidecar.store.counts().delivered).toBe(1);
  });
});

describe("metrics", () => {
  it("counts attempts by outcome and exposes deliveries by state", async () => {
    let n = 0;
    stack = await startStack({ partnerOverrides: { retry: { schedule_ms: [20, 20, 20] } }, fault: () => (n++ < 2 ? { status: 503 } : null) });
    const { odoo } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => row.state === "delivered", "delivered after two 503");
    const text = await (await fetch(`${stack.sidecarUrl}/metrics`)).text();
    expect(text).toContain('odc_delivery_attempts_total{partner="WOODCORNER",outcome="http_5xx"} 2');
    expect(text).toContain('odc_delivery_attempts_total{partner="WOODCORNER",outcome="delivered"} 1');
    expect(text).toContain('odc_deliveries{state="delivered"} 1');
    expect(text).toContain('odc_results_recorded_total{state="delivered"} 1');
  });
});
