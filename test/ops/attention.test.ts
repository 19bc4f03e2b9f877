import { afterEach, describe, expect, it } from "vitest";
import type { StatusDocument } from "../../sidecar/src/ops/status.ts";
import { demoLines, waitFor } from "../support/harness.ts";
import { READ_TOKEN, odcStatus, startOpsStack, type OpsStack } from "./support.ts";

let stack: OpsStack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});


describe("business attention on every view", () => {
  it("shows POs delivered and unacknowledged past the bound in /admin/status, /metrics, odc status and the page", async () => {
    stack = await startOpsStack({ env: { ODC_ATTENTION_ACK_MS: "1" } });
    const vendor = stack.odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = [1, 2].map(() => stack!.odoo.approve(stack!.odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    await waitFor(() => rows.every((r) => r.state === "delivered"), "delivered");

    let doc: StatusDocument | null = null;
    await expect
      .poll(async () => {
        doc = (await (await stack!.admin("/status")).json()) as StatusDocument;
        return doc.attention.po_unacknowledged;
      })
      .toEqual({ total: 4, by_partner: { WOODCORNER: 2, CONTROL: 2 } });

    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toContain('odc_attention{kind="po_unacknowledged",key="WOODCORNER"} 2');
    expect(metrics).toContain('odc_attention{kind="po_unacknowledged",key="(all)"} 4');
    expect(metrics).toContain('odc_partner_pending_deliveries{partner="WOODCORNER"} 0');
    expect(metrics).toContain("odc_odoo_reachable 1");

    const cli = await odcStatus(stack.url);
    expect(cli.stdout).toMatch(/POs confirmed, not acknowledged after 0s\s*│ 4\s*│ CONTROL: 2, WOODCORNER: 2/);

    const page = await (await fetch(`${stack.url}/`, { headers: { authorization: `Bearer ${READ_TOKEN}` } })).text();
    expect(page).toMatch(/Purchase orders confirmed, not acknowledged after 0 s<\/th><td class="n">4<\/td><td>CONTROL: 2, WOODCORNER: 2<\/td>/);
  });

  it("holds each supplier to its own bound where the partners file gives one", async () => {
    // The default bound (a day) covers CONTROL; Wood Corner must answer at once.
    stack = await startOpsStack({ woodOverrides: { attention: { acknowledge_within_ms: 1 } } });
    const vendor = stack.odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = [1, 2].map(() => stack!.odoo.approve(stack!.odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    await waitFor(() => rows.every((r) => r.state === "delivered"), "delivered");

    await expect
      .poll(async () => ((await (await stack!.admin("/status")).json()) as StatusDocument).attention.po_unacknowledged)
      .toEqual({ total: 2, by_partner: { WOODCORNER: 2 } });
    const doc = (await (await stack.admin("/status")).json()) as StatusDocument;
    expect(doc.attention.bounds).toEqual({ ack_s: 86_400, milestone_s: 86_400, by_partner: { WOODCORNER: { ack_s: 0 } } });
    const cli = await odcStatus(stack.url);
    expect(cli.stdout).toMatch(/POs confirmed, not acknowledged after 1d0h\s*│ 2\s*│ WOODCORNER: 2/);
    expect(cli.stdout).toContain("Partners with their own bounds: WOODCORNER: acknowledge within 0s");
    const page = await (await fetch(`${stack.url}/`, { headers: { authorization: `Bearer ${READ_TOKEN}` } })).text();
    expect(page).toContain("<p>Partners with their own bounds: WOODCORNER: acknowledge within 0 s.</p>");
  });
});
