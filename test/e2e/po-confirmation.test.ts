import { afterEach, describe, expect, it } from "vitest";
import { checkEvent } from "../../sidecar/src/contracts/validate.ts";
import { signNudge } from "../../sidecar/src/outbox/nudge.ts";
import { NUDGE_SECRET, demoLines, startStack, waitFor, type Stack } from "../support/harness.ts";

let stack: Stack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

describe("walking skeleton: a PO confirmation travels from Odoo to the supplier and back", () => {
  it("delivers an approved PO signed to the partner and records it delivered in Odoo", async () => {
    stack = await startStack();
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER", "BE0477472701");
    const po = odoo.addPurchaseOrder(vendor.id, demoLines());
    const row = odoo.approve(po.id);

    await waitFor(() => row.state === "delivered", "the outbox row to be recorded delivered");

    expect(partner.accepted).toHaveLength(1);
    const received = partner.accepted[0]!;
    expect(received.webhookId).toBe(row.event_uuid);
    const body = JSON.parse(received.body);
    expect(checkEvent(body)).toEqual({ ok: true });
    expect(body.data.po_number).toBe(po.name);
    expect(body.data.lines.map((l: { line_number: number }) => l.line_number)).toEqual([10, 20]);
    expect(partner.rejectedSignatures).toBe(0);
    expect(odoo.nudgesSent).toBe(1);
    // One claim and one record call: results go back in a batch, not per event.
    expect(odoo.calls.filter((c) => c.method === "record_results")).toHaveLength(1);
  });

  it("routes only to partners subscribed to the vendor's code; others are recorded with no partner", async () => {
    stack = await startStack();
    const { odoo, partner } = stack;
    const other = odoo.addVendor("Someone Else", "ELSEWHERE");
    const po = odoo.addPurchaseOrder(other.id, demoLines());
    const row = odoo.approve(po.id);
    await waitFor(() => row.state === "delivered", "the row to be closed");
    expect(partner.accepted).toHaveLength(0);
    expect(row.last_error).toBeNull();
    expect(stack.sidecar.store.counts()).toMatchObject({ pending: 0, delivered: 0, dead: 0 });
  });

  it("drains many POs approved at once, each delivered exactly once when nothing fails", async () => {
    stack = await startStack({ partnerOverrides: { limits: { rate: { requests: 1000, per_ms: 1000 } } } });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = Array.from({ length: 50 }, () => odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    await waitFor(() => rows.every((r) => r.state === "delivered"), "all rows delivered");
    expect(partner.accepted).toHaveLength(50);
    expect(partner.uniqueIds.size).toBe(50);
  });
});

describe("nudge endpoint security", () => {
  it("refuses a nudge with a wrong signature (401) and claims nothing", async () => {
    stack = await startStack();
    const { odoo, sidecarUrl } = stack;
    odoo.sidecarUrl = undefined; // the simulator's own nudge stays silent
    await waitFor(() => odoo.calls.some((c) => c.method === "claim_batch"), "the start-up drain");
    await new Promise((r) => setTimeout(r, 50));
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    const claimsBefore = odoo.calls.filter((c) => c.method === "claim_batch").length;
    const body = JSON.stringify({ database: odoo.db, count: 1 });
    const cases: Record<string, string | undefined> = {
      "wrong secret": signNudge("another-secret-0123456789", body),
      missing: undefined,
      malformed: "garbage",
      stale: signNudge(NUDGE_SECRET, body, Math.floor(Date.now() / 1000) - 3600),
    };
    for (const [name, header] of Object.entries(cases)) {
      const res = await fetch(`${sidecarUrl}/nudge`, { method: "POST", headers: header ? { "x-connector-signature": header } : {}, body });
      expect(res.status, name).toBe(401);
      const answer = (await res.json()) as { error: { code: string } };
      expect(answer.error.code).toBe("bad_signature");
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(odoo.calls.filter((c) => c.method === "claim_batch").length).toBe(claimsBefore);
    expect(row.state).toBe("pending");

    const ok = await fetch(`${sidecarUrl}/nudge`, { method: "POST", headers: { "x-connector-signature": signNudge(NUDGE_SECRET, body) }, body });
    expect(ok.status).toBe(202);
    await waitFor(() => row.state === "delivered", "delivery after a valid nudge");
  });

  it("refuses an oversized nudge with 413", async () => {
    stack = await startStack();
    const body = "x".repeat(10_000);
    const res = await fetch(`${stack.sidecarUrl}/nudge`, { method: "POST", headers: { "x-connector-signature": signNudge(NUDGE_SECRET, body) }, body });
    expect(res.status).toBe(413);
  });

  it("answers /healthz with store counts and Odoo reachability", async () => {
    stack = await startStack();
    const res = await fetch(`${stack.sidecarUrl}/healthz`);
    expect(res.status).toBe(200);
    const health = (await res.json()) as { ok: boolean; deliveries: Record<string, number> };
    expect(health.ok).toBe(true);
    expect(health.deliveries).toMatchObject({ pending: 0, delivered: 0, dead: 0 });
  });
});
