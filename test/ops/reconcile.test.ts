import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReconcileReport } from "../../sidecar/src/outbox/index.ts";
import type { StatusDocument } from "../../sidecar/src/ops/status.ts";
import type { EventHistoryView } from "../../sidecar/src/ops/history.ts";
import type { SimOutboxRow } from "../simulator/odoo.ts";
import { demoLines, waitFor } from "../support/harness.ts";
import { ADMIN_TOKEN, odc, startOpsStack, type OpsStack } from "./support.ts";

let stack: OpsStack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

const asAdmin = (s: OpsStack) => ({ ODC_ADMIN_URL: s.url, ODC_ADMIN_TOKEN: ADMIN_TOKEN });
const KINDS = ["leased_unknown", "finished_unrecorded", "lease_expired", "failed_delivered"] as const;
const snapshot = (rows: readonly SimOutboxRow[]) => rows.map((r) => ({ ...r, payload: null }));

/**
 * The four outbox mismatches of issue 16, each made on purpose in the simulator (as a lost
 * claim answer, a restored Odoo backup, a crashed replica would leave them): a dry run finds
 * each and changes nothing; a run repairs each; the next finds nothing.
 */
describe("odc reconcile against the Odoo simulator", () => {
  it("finds each of the four mismatches, reports them on a dry run, repairs them, and agrees afterwards", async () => {
    stack = await startOpsStack({ noControl: true, env: { ODC_RECONCILE_INTERVAL_MS: "0" } });
    const { odoo, wood } = stack;
    const env = asAdmin(stack);
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const identity = () => JSON.parse(readFileSync(join(stack!.dir, "store.sqlite.consumer.json"), "utf8")) as { consumer: string; generation: number };

    // Delivered and recorded normally, then Odoo "restored from a backup": one row back to
    // leased by this sidecar (finished here, never recorded there), one shown failed although delivered here.
    const unrecorded = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    const failedThere = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    // Recorded on both sides: Odoo shows the row delivered as soon as it takes record_results,
    // the store clears the report flag only once that call has answered. The dry run below
    // judges these rows by that flag, and the store's counts must not change under it.
    const recorded = (row: SimOutboxRow) => row.state === "delivered" && stack!.sidecar.store.event(row.event_uuid)?.reportPending === 0;
    await waitFor(() => recorded(unrecorded) && recorded(failedThere), "both delivered and recorded");
    const me = identity();
    Object.assign(unrecorded, { state: "leased", delivered_at: null, lease_until: Date.now() + 600_000, lease_token: "restored", lease_consumer: me.consumer, lease_generation: me.generation });
    Object.assign(failedThere, { state: "failed", last_error: "[WOODCORNER] http_5xx: HTTP 503" });

    // Leased to this sidecar in Odoo, never stored here (a claim whose answer was lost for good).
    const lost = odoo.emit("purchase_order.confirmed", "purchase.order", 900_001, "P900001", "WOODCORNER", {});
    odoo.claimBatch({ limit: 1, lease_seconds: 600, consumer: me.consumer, generation: me.generation });
    // Leased by a replica that crashed; the lease ran out and nobody claimed it again.
    const orphan = odoo.emit("purchase_order.confirmed", "purchase.order", 900_002, "P900002", "WOODCORNER", {});
    odoo.claimBatch({ limit: 1, lease_seconds: 600, consumer: "odc-crashed-replica", generation: 1 });
    orphan.lease_until = Date.now() - 1_000;
    // The made-up rows need a valid payload to be delivered: the envelope of a real order.
    for (const row of [lost, orphan]) {
      const po = odoo.addPurchaseOrder(vendor.id, demoLines());
      po.state = "purchase";
      po.lines.forEach((l, i) => (l.line_number = 10 * (i + 1)));
      row.payload.data = odoo.purchaseOrderData(po);
    }
    expect([lost.state, orphan.state]).toEqual(["leased", "leased"]);
    expect(stack.sidecar.store.event(lost.event_uuid)).toBeUndefined();

    // A dry run finds each, changes nothing, exits 1.
    const before = snapshot(odoo.outbox);
    const storeBefore = stack.sidecar.store.counts();
    const dry = await odc(["reconcile", "--dry-run"], env);
    expect(dry.code, dry.stderr).toBe(1);
    expect(dry.stdout).toContain("dry run: nothing changed");
    expect(dry.stdout).toContain("4 mismatch(es) found");
    const dryJson = JSON.parse((await odc(["reconcile", "--dry-run", "--json"], env)).stdout) as ReconcileReport;
    for (const k of KINDS) expect(dryJson.kinds[k], k).toMatchObject({ found: 1, repaired: 0, left: 1 });
    expect(dryJson.kinds.leased_unknown.sample).toEqual([lost.event_uuid]);
    expect(dryJson.kinds.finished_unrecorded.sample).toEqual([unrecorded.event_uuid]);
    expect(dryJson.kinds.lease_expired.sample).toEqual([orphan.event_uuid]);
    expect(dryJson.kinds.failed_delivered.sample).toEqual([failedThere.event_uuid]);
    expect(snapshot(odoo.outbox)).toEqual(before);
    expect(stack.sidecar.store.counts()).toEqual(storeBefore);
    expect(stack.sidecar.store.event(lost.event_uuid)).toBeUndefined();

    // Shown, with counts, on the status model, the CLI's status, the page and /metrics.
    const status = (await (await stack.admin("/status")).json()) as StatusDocument;
    expect(status.ok).toBe(false);
    expect(status.reconcile).toMatchObject({ dry_run: true, left: 4, kinds: { leased_unknown: { found: 1, left: 1 } } });
    expect((await odc(["status"], env)).stdout).toMatch(/Reconciliation with Odoo: last run .* \(dry run\): leased_unknown 1 found, 0 repaired;.* 4 left/);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    for (const k of KINDS) {
      expect(metrics).toContain(`odc_reconcile_mismatches{kind="${k}"} 1`);
      expect(metrics).toContain(`odc_reconcile_unrepaired{kind="${k}"} 1`);
    }
    const page = await (await fetch(`${stack.url}/`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(page).toContain("4 left for a person");
    expect(page).toMatch(/Leased to this sidecar in Odoo, unknown to its store<\/th><td class="n">1<\/td><td class="n">0<\/td><td class="n">1<\/td>/);

    // The run repairs each.
    const run = await odc(["reconcile"], env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("4 mismatch(es) found, all repaired");
    const last = (await (await stack.admin("/status")).json()) as StatusDocument;
    for (const k of KINDS) expect(last.reconcile!.kinds[k], k).toMatchObject({ found: 1, repaired: 1, left: 0 });
    expect(last.reconcile!.dry_run).toBe(false);
    // Each row ends delivered and recorded in Odoo; the two stored afresh reach the partner.
    await waitFor(() => [unrecorded, failedThere, lost, orphan].every((r) => r.state === "delivered"), "every row delivered in Odoo");
    expect(wood.uniqueIds.has(lost.event_uuid) && wood.uniqueIds.has(orphan.event_uuid)).toBe(true);
    expect(failedThere.last_error).toBeNull();
    expect((await (await fetch(`${stack.url}/metrics`)).text())).toMatch(/odc_reconcile_repaired_total\{kind="failed_delivered"\} 1/);

    // Each repair is in its event's history, with who asked.
    for (const row of [unrecorded, failedThere, lost, orphan]) {
      const h = (await (await stack.admin(`/events/${row.event_uuid}/history`)).json()) as EventHistoryView;
      expect(h.history.some((e) => e.actor.startsWith("reconcile (admin-token (cli:")), row.event_uuid).toBe(true);
    }
    // And the run is in the audit trail.
    const audit = JSON.parse((await odc(["audit", "--json", "--action", "outbox.reconcile"], env)).stdout) as { entries: { detail: { dry_run: boolean } }[] };
    expect(audit.entries.map((e) => e.detail.dry_run)).toEqual([false, true, true]);

    const again = JSON.parse((await odc(["reconcile", "--json"], env)).stdout) as ReconcileReport;
    for (const k of KINDS) expect(again.kinds[k], k).toMatchObject({ found: 0, left: 0 });
    expect((await odc(["reconcile"], env)).stdout).toContain("Odoo's outbox and the store agree");
  });

  it("refuses bad input with a 400 or a usage error, and reads nothing from Odoo", async () => {
    stack = await startOpsStack({ noControl: true, env: { ODC_RECONCILE_INTERVAL_MS: "0" } });
    const calls = () => stack!.odoo.calls.filter((c) => c.method === "reconcile_view").length;
    for (const body of ['{"dry_run": "yes"}', '{"dry_run": true, "all": 1}', "not json", "[]"]) {
      const res = await stack.admin("/reconcile", { method: "POST", body });
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("bad_request");
    }
    expect((await stack.admin("/reconcile", { method: "POST" }, "wrong-token-wrong-token")).status).toBe(401);
    const env = asAdmin(stack);
    for (const args of [["reconcile", "--dry-run=yes"], ["reconcile", "now"], ["reconcile", "--frobnicate"]]) expect((await odc(args, env)).code, args.join(" ")).toBe(2);
    expect(calls()).toBe(0);
    expect(((await (await stack.admin("/status")).json()) as StatusDocument).reconcile).toBeNull();
  });
});
