import { afterEach, describe, expect, it } from "vitest";
import type { StatusDocument } from "../../sidecar/src/ops/status.ts";
import { demoLines, NUDGE_SECRET, PARTNER_SECRET, waitFor } from "../support/harness.ts";
import { freePort } from "../support/processes.ts";
import { ADMIN_TOKEN, odc, READ_TOKEN, startOpsStack, type OpsStack, type Run } from "./support.ts";

let stack: OpsStack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

const asAdmin = (s: OpsStack) => ({ ODC_ADMIN_URL: s.url, ODC_ADMIN_TOKEN: ADMIN_TOKEN });
const noSecrets = (s: OpsStack, ...runs: Run[]) => {
  for (const r of runs) for (const secret of [ADMIN_TOKEN, READ_TOKEN, PARTNER_SECRET, NUDGE_SECRET, s.odoo.apiKey]) expect(r.stdout + r.stderr).not.toContain(secret);
};

describe("odc status / pause / resume against a running sidecar", () => {
  it("prints the status as tables and as JSON, pauses and resumes a partner, exit 0", async () => {
    stack = await startOpsStack();
    const { odoo } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => row.state === "delivered", "delivered");
    const env = asAdmin(stack);

    const table = await odc(["status"], env);
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/odc status at .*: OK/);
    expect(table.stdout).toMatch(/│ WOODCORNER\s+│ ok\s+│ closed\s+│ 0\s+│ -\s+│ 0/);
    expect(table.stdout).toContain("business attention");
    expect(table.stdout).toContain("Odoo: reachable");

    const json = await odc(["status", "--json"], env);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as StatusDocument;
    expect(doc.partners.find((p) => p.code === "WOODCORNER")).toMatchObject({ deliveries: { delivered: 1 } });

    const pause = await odc(["pause", "WOODCORNER", "--reason", "supplier maintenance"], env);
    expect(pause.code).toBe(0);
    expect(pause.stdout).toContain("WOODCORNER paused");
    const again = await odc(["pause", "WOODCORNER", "--json"], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ paused: true, changed: false, paused_by: expect.stringMatching(/^admin-token \(cli:/) });
    const whilePaused = JSON.parse((await odc(["status", "--json"], env)).stdout) as StatusDocument;
    expect(whilePaused.partners.find((p) => p.code === "WOODCORNER")).toMatchObject({ paused: true, pause_reason: "supplier maintenance" });
    expect((await odc(["status"], env)).stdout).toMatch(/paused \(admin-token/);
    const resume = await odc(["resume", "WOODCORNER"], env);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain("WOODCORNER resumed");
    expect(JSON.parse((await odc(["resume", "WOODCORNER", "--json"], env)).stdout)).toMatchObject({ changed: false });
    noSecrets(stack, table, json, pause, again, resume);
  });

  it("exits 1 on a failure the sidecar reports, 2 on a usage error, 3 when unreachable or refused", async () => {
    stack = await startOpsStack({ woodFault: () => ({ status: 503, body: "down" }) });
    const vendor = stack.odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = stack.odoo.approve(stack.odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => row.state === "failed", "a failed attempt recorded");
    const env = asAdmin(stack);

    const unhealthy = await odc(["status"], env);
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.stdout).toContain("NEEDS ATTENTION");
    expect(unhealthy.stdout).toContain("http_5xx");

    const unknown = await odc(["pause", "NOPE"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown_partner");

    const usage = await Promise.all([
      odc(["dead-letters", "--since", "yesterday"], env),
      odc(["replay"], env),
      odc(["pause"], env),
      odc(["pause", "A", "B"], env),
      odc(["status", "--frobnicate"], env),
      odc(["inbound", "nope"], env),
      odc(["dead-letters", "--limit", "0"], env),
      odc(["status"], { ODC_ADMIN_URL: stack.url }),
      odc(["status", "--url", "ftp://x"], { ODC_ADMIN_TOKEN: ADMIN_TOKEN }),
    ]);
    for (const r of usage) expect(r.code, r.stderr).toBe(2);

    const refused = await odc(["status"], { ...env, ODC_ADMIN_TOKEN: "wrong-token-wrong-token" });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("refused the admin token");
    expect(refused.stderr).not.toContain("wrong-token-wrong-token");
    const port = await freePort();
    const unreachable = await odc(["status", "--url", `http://127.0.0.1:${port}`], env);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain("unreachable");
    noSecrets(stack, unhealthy, unknown, refused, unreachable, ...usage);
  });
});

describe("odc dead-letters / replay / inbound quarantine", () => {
  it("lists dead letters by partner and time, replays them by partner with a final count, and shows the quarantine", async () => {
    let refuse = true;
    stack = await startOpsStack({ woodFault: () => (refuse ? { status: 422, body: "unknown vendor product" } : null) });
    const { odoo, wood } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = [1, 2, 3].map(() => odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    await waitFor(() => rows.every((r) => r.state === "dead"), "three dead rows in Odoo");
    const env = asAdmin(stack);

    const list = await odc(["dead-letters", "--partner", "WOODCORNER"], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("3 dead letter(s)");
    expect(list.stdout).toContain("http_4xx");
    const json = JSON.parse((await odc(["dead-letters", "--json", "--since", "2000-01-01"], env)).stdout) as { dead_letters: { event_id: string }[] };
    expect(json.dead_letters.map((d) => d.event_id).sort()).toEqual(rows.map((r) => r.event_uuid).sort());
    expect(JSON.parse((await odc(["dead-letters", "--json", "--partner", "CONTROL"], env)).stdout)).toEqual({ dead_letters: [] });
    expect(JSON.parse((await odc(["dead-letters", "--json", "--until", "2000-01-01"], env)).stdout)).toEqual({ dead_letters: [] });

    refuse = false;
    const replay = await odc(["replay", "--partner", "WOODCORNER"], env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toBe("replayed 3 dead deliveries\n");
    await waitFor(() => rows.every((r) => r.state === "delivered"), "all delivered after the replay");
    expect(wood.accepted.map((e) => e.webhookId).sort()).toEqual(rows.map((r) => r.event_uuid).sort());
    expect(JSON.parse((await odc(["replay", "--all", "--json"], env)).stdout)).toEqual({ replayed: 0 });
    expect((await odc(["dead-letters"], env)).stdout).toContain("0 dead letter(s)");
    // The replay is in the audit trail, with who ran it and what it selected (the --all that
    // found nothing made no replay call, so it left no entry).
    const audit = JSON.parse((await odc(["audit", "--json", "--action", "dead_letters.replay"], env)).stdout) as { entries: { actor: string; subject: string | null; detail: { replayed: number; delivery_ids: number[] } }[] };
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ actor: expect.stringMatching(/^admin-token \(cli:/), detail: { replayed: 3 } });
    expect(audit.entries[0]!.detail.delivery_ids).toHaveLength(3);
    expect((await odc(["audit"], env)).stdout).toMatch(/dead_letters\.replay/);

    const quarantine = await odc(["inbound", "quarantine", "--json"], env);
    expect(quarantine.code).toBe(0);
    expect(JSON.parse(quarantine.stdout)).toMatchObject({ documents: [] });
    expect((await odc(["inbound", "quarantine"], env)).stdout).toContain("0 quarantined document(s)");
    noSecrets(stack, list, replay, quarantine);
  });
});
