import { afterEach, describe, expect, it } from "vitest";
import type { StatusDocument } from "../../sidecar/src/ops/status.ts";
import { demoLines, PARTNER_SECRET, NUDGE_SECRET, waitFor } from "../support/harness.ts";
import { ADMIN_TOKEN, startOpsStack, type OpsStack } from "./support.ts";

let stack: OpsStack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

const status = async (s: OpsStack) => (await (await s.admin("/status")).json()) as StatusDocument;
const partnerOf = (doc: StatusDocument, code: string) => doc.partners.find((p) => p.code === code)!;

describe("GET /admin/status: the status model", () => {
  it("shows each partner's counts, last success, circuit, rate and Odoo's reachability, behind the admin token, with no secret in it", async () => {
    stack = await startOpsStack();
    const { odoo } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = [1, 2].map(() => odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    await waitFor(() => rows.every((r) => r.state === "delivered"), "both rows delivered and recorded");

    expect((await fetch(`${stack.url}/admin/status`)).status).toBe(401);
    expect((await stack.admin("/status", {}, "wrong-token-wrong-token-wrong")).status).toBe(401);
    const res = await stack.admin("/status");
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secret of [ADMIN_TOKEN, PARTNER_SECRET, NUDGE_SECRET, odoo.apiKey]) expect(text).not.toContain(secret);
    const doc = JSON.parse(text) as StatusDocument;
    expect(doc.odoo.reachable).toBe(true);
    expect(doc.deliveries).toMatchObject({ pending: 0, delivered: 4, dead: 0 });
    const wood = partnerOf(doc, "WOODCORNER");
    expect(wood).toMatchObject({ name: "Wood Corner", format: "canonical", circuit: "closed", paused: false, health: "ok", deliveries: { pending: 0, delivered: 2, dead: 0 }, oldest_pending_at: null });
    expect(wood.last_success_at).not.toBeNull();
    expect(wood.rate).toMatchObject({ requests: expect.any(Number), per_ms: expect.any(Number) });
    expect(doc.inbound).toMatchObject({ waiting: 0, quarantined: 0, exceptions: 0 });
  });

  it("shows a failing partner's backlog, oldest age and last error class", async () => {
    stack = await startOpsStack({ woodFault: () => ({ status: 503, body: "down for maintenance" }) });
    const { odoo } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => stack!.wood.arrivals.length >= 1 && row.state === "failed", "a failed attempt recorded");
    const doc = await status(stack);
    const wood = partnerOf(doc, "WOODCORNER");
    expect(wood.deliveries.pending).toBe(1);
    expect(wood.oldest_pending_at).not.toBeNull();
    expect(wood.oldest_pending_age_s).toBeGreaterThanOrEqual(0);
    expect(wood.last_error_class).toBe("http_5xx");
    expect(wood.health).toBe("failing");
    expect(doc.ok).toBe(false);
  });
});

describe("odc pause / resume: persisted, a paused partner gets no request", () => {
  it("keeps a paused partner's queue across a restart and delivers all of it after resume", async () => {
    stack = await startOpsStack();
    const { odoo, wood, control } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");

    const paused = await stack.admin("/partners/WOODCORNER/pause", { method: "POST", body: JSON.stringify({ reason: "supplier maintenance" }), headers: { "x-odc-actor": "cli:alice" } });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ partner: "WOODCORNER", paused: true, changed: true, paused_by: "admin-token (cli:alice)", reason: "supplier maintenance" });

    const first = [1, 2, 3].map(() => odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    // The control partner, subscribed to the same events, proves the events went through the relay.
    await waitFor(() => control.accepted.length === 3, "the control partner to receive the first three");
    expect(wood.arrivals).toHaveLength(0);
    let doc = await status(stack);
    expect(partnerOf(doc, "WOODCORNER")).toMatchObject({ paused: true, health: "paused", deliveries: { pending: 3 }, pause_reason: "supplier maintenance" });

    await stack.restart();
    doc = await status(stack);
    expect(partnerOf(doc, "WOODCORNER")).toMatchObject({ paused: true, deliveries: { pending: 3 } });
    const more = [odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id)];
    await waitFor(() => control.accepted.length === 4, "the control partner to receive the fourth after the restart");
    expect(wood.arrivals).toHaveLength(0);

    const listed = (await (await stack.admin("/partners/paused")).json()) as { paused: { partner: string }[] };
    expect(listed.paused.map((p) => p.partner)).toEqual(["WOODCORNER"]);

    const resumed = await stack.admin("/partners/WOODCORNER/resume", { method: "POST" });
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ paused: false, changed: true });
    const all = [...first, ...more];
    await waitFor(() => wood.uniqueIds.size === 4, "every held event delivered after resume");
    expect([...wood.uniqueIds].sort()).toEqual(all.map((r) => r.event_uuid).sort());
    await waitFor(() => all.every((r) => r.state === "delivered"), "all recorded delivered in Odoo");
    doc = await status(stack);
    expect(partnerOf(doc, "WOODCORNER")).toMatchObject({ paused: false, deliveries: { pending: 0, delivered: 4 } });
    // A second resume changes nothing.
    expect(await (await stack.admin("/partners/WOODCORNER/resume", { method: "POST" })).json()).toMatchObject({ changed: false });

    // The audit trail kept each action, who did it and why, across the restart; newest first.
    const audit = (await (await stack.admin("/audit")).json()) as { entries: { actor: string; action: string; subject: string; detail: Record<string, unknown> }[] };
    expect(audit.entries.map((e) => [e.action, e.subject, e.detail.changed])).toEqual([
      ["partner.resume", "WOODCORNER", false],
      ["partner.resume", "WOODCORNER", true],
      ["partner.pause", "WOODCORNER", true],
    ]);
    expect(audit.entries[2]).toMatchObject({ actor: "admin-token (cli:alice)", detail: { reason: "supplier maintenance" } });
    expect(audit.entries[1]!.detail).toMatchObject({ paused_by: "admin-token (cli:alice)" });
    expect(((await (await stack.admin("/audit?action=partner.pause")).json()) as { entries: unknown[] }).entries).toHaveLength(1);
    expect((await stack.admin("/audit?action=drop")).status).toBe(400);
    expect((await stack.admin("/audit?limit=100000")).status).toBe(400);
    expect((await stack.admin("/audit?since=yesterday")).status).toBe(400);
    expect((await stack.admin("/audit?evil=1")).status).toBe(400);
    expect((await fetch(`${stack.url}/admin/audit`)).status).toBe(401);
  });

  it("refuses bad input with a 4xx and changes nothing", async () => {
    stack = await startOpsStack();
    const post = (path: string, body?: string, token?: string) => stack!.admin(path, { method: "POST", ...(body !== undefined ? { body } : {}) }, token);
    expect((await fetch(`${stack.url}/admin/partners/WOODCORNER/pause`, { method: "POST" })).status).toBe(401);
    expect((await post("/partners/WOODCORNER/pause", undefined, "not-the-token-not-the-token")).status).toBe(401);
    expect((await post("/partners/NOPE/pause")).status).toBe(404);
    expect((await post(`/partners/${encodeURIComponent("../etc;drop table")}/pause`)).status).toBe(400);
    expect((await post(`/partners/${"A".repeat(65)}/pause`)).status).toBe(400);
    expect((await post("/partners/WOODCORNER/pause", "{not json")).status).toBe(400);
    expect((await post("/partners/WOODCORNER/pause", JSON.stringify({ reason: "x", admin: true }))).status).toBe(400);
    expect((await post("/partners/WOODCORNER/pause", JSON.stringify({ reason: "x".repeat(201) }))).status).toBe(400);
    expect((await post("/partners/WOODCORNER/pause", JSON.stringify({ reason: "x".repeat(5000) }))).status).toBe(413);
    expect((await post("/partners/WOODCORNER/pause", JSON.stringify([1, 2]))).status).toBe(400);
    const doc = await status(stack);
    expect(doc.partners.every((p) => !p.paused)).toBe(true);
    expect(((await (await stack.admin("/partners/paused")).json()) as { paused: unknown[] }).paused).toEqual([]);
    // Refused requests leave no audit entry.
    expect(((await (await stack.admin("/audit")).json()) as { entries: unknown[] }).entries).toEqual([]);
  });
});
