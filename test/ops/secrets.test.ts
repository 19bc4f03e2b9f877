import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CxmlSupplier } from "../simulator/suppliers.ts";
import { demoLines, NUDGE_SECRET, PARTNER_SECRET, waitFor } from "../support/harness.ts";
import { ROOT } from "../support/processes.ts";
import { ADMIN_TOKEN, READ_TOKEN, startOpsStack, type OpsStack } from "./support.ts";

const SECRETS = { CXML_SECRET: "cxml-shared-secret-for-ops-tests", EASYPOST_KEY: "EZTK-ops-test-key-0123456789" };
const CXML = { from: { domain: "NetworkID", identity: "AN01000000001" }, to: { domain: "DUNS", identity: "123456789" } };

let stack: OpsStack | null = null;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stack?.stop();
  stack = null;
  for (const c of closers.splice(0)) await c();
});

const run = (args: string[], env: Record<string, string>) =>
  new Promise<string>((resolve) =>
    execFile(process.execPath, [join(ROOT, "bin/odc.mjs"), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } }, (_err, stdout, stderr) => resolve(stdout + stderr)),
  );

describe("no configured secret in any operator view", () => {
  it("keeps every secret out of the logs, the status JSON and page, the CLI, /metrics, /readyz and the audit trail, through failures that echo credentials back", async () => {
    // A carrier endpoint behind a broken proxy that echoes the request's Authorization (the
    // EasyPost API key, sent as Basic auth) in its error page.
    const echo: Server = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(502, { "content-type": "text/plain" }).end(`proxy error; you sent authorization: ${req.headers.authorization ?? ""} ${Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString()}`));
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    closers.push(() => new Promise((r) => echo.close(() => r())));
    // A cXML supplier that refuses the first order with a 500 Status.
    const cxml = new CxmlSupplier({ ...CXML, sharedSecret: SECRETS.CXML_SECRET, status: (n) => (n === 0 ? { code: 500, text: "Internal Server Error", message: "try later" } : null) });
    await cxml.start();
    closers.push(() => cxml.stop());
    const logLines: string[] = [];
    stack = await startOpsStack({
      logLines,
      woodFault: (n) => (n < 2 ? { status: 503, body: "busy" } : null),
      woodOverrides: { retry: { schedule_ms: [50, 100], jitter: 0, max_age_ms: 60_000 } },
      secrets: SECRETS,
      extraPartners: [
        {
          code: "CXMLSUP",
          format: "cxml",
          endpoint: `${cxml.url}/cxml`,
          subscriptions: { event_types: ["purchase_order.confirmed"] },
          retry: { schedule_ms: [50, 100], jitter: 0 },
          cxml: { ...CXML, shared_secret: "env:CXML_SECRET", deployment_mode: "test", bill_to: { name: "YourCompany", address_id: "HQ", street: ["250 Executive Park Blvd"], city: "San Francisco", state: "CA", postal_code: "94134", country: "US" } },
        },
        {
          code: "EASYPOST",
          format: "easypost",
          endpoint: `http://127.0.0.1:${(echo.address() as AddressInfo).port}/v2`,
          subscriptions: { event_types: ["shipment.ready"] },
          retry: { schedule_ms: [50], jitter: 0, max_age_ms: 60_000 },
          easypost: { api_key: "env:EASYPOST_KEY", carrier_accounts: ["ca_0123456789abcdef"] },
        },
      ],
    });
    const { odoo } = stack;
    const wood = odoo.addVendor("Wood Corner", "WOODCORNER");
    const sup = odoo.addVendor("Cxml Supplies", "CXMLSUP");
    const rows = [odoo.approve(odoo.addPurchaseOrder(wood.id, demoLines()).id), odoo.approve(odoo.addPurchaseOrder(sup.id, demoLines()).id)];
    const { row: shipment } = odoo.readyDelivery("EASYPOST");
    await waitFor(() => rows.every((r) => r.state === "delivered") && shipment.state === "dead", "POs delivered after failures, the shipment dead", 20_000);
    const admin = { ODC_ADMIN_URL: stack.url, ODC_ADMIN_TOKEN: ADMIN_TOKEN };
    await run(["pause", "EASYPOST", "--reason", "proxy broken"], admin);
    await run(["replay", "--partner", "EASYPOST"], admin);
    // A hostile caller tries tokens and secrets on the admin API and the page.
    await fetch(`${stack.url}/?token=${SECRETS.EASYPOST_KEY}`);
    await fetch(`${stack.url}/admin/status`, { headers: { authorization: `Bearer ${SECRETS.CXML_SECRET}` } });

    const status = await (await stack.admin("/status")).text();
    // The partner's echo did reach the store's record of the attempt: the views must scrub it.
    expect(status).toContain("proxy error; you sent authorization:");
    const views = {
      status,
      page: await (await fetch(`${stack.url}/`, { headers: { authorization: `Bearer ${READ_TOKEN}` } })).text(),
      metrics: await (await fetch(`${stack.url}/metrics`)).text(),
      readyz: await (await fetch(`${stack.url}/readyz`)).text(),
      healthz: await (await fetch(`${stack.url}/healthz`)).text(),
      audit: await (await stack.admin("/audit")).text(),
      dead: await (await stack.admin("/dead-letters")).text(),
      cliStatus: await run(["status"], admin),
      cliJson: await run(["status", "--json"], admin),
      cliDead: await run(["dead-letters", "--json"], admin),
      cliAudit: await run(["audit", "--json"], admin),
      logs: logLines.join(""),
    };
    const secrets = { ...SECRETS, PARTNER_SECRET, NUDGE_SECRET, ADMIN_TOKEN, READ_TOKEN, ODOO_API_KEY: odoo.apiKey, EASYPOST_BASIC: Buffer.from(`${SECRETS.EASYPOST_KEY}:`).toString("base64") };
    const leaks: string[] = [];
    for (const [view, text] of Object.entries(views)) for (const [name, value] of Object.entries(secrets)) if (text.includes(value)) leaks.push(`${name} in ${view}`);
    expect(leaks).toEqual([]);
    expect(views.logs.length).toBeGreaterThan(0);
    // Outside these views, and not fixed here (delivery/, not ops/): the partner's answer is kept
    // verbatim in the delivery's last error and recorded in Odoo's outbox row, echoed key and all.
    expect(shipment.last_error).toContain("proxy error");
    expect(views.cliStatus).toContain("EASYPOST");
  }, 60_000);
});
