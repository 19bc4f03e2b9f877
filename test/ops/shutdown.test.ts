import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OdooSimulator } from "../simulator/odoo.ts";
import { PartnerReceiver } from "../simulator/partner.ts";
import { demoLines, NUDGE_SECRET, PARTNER_SECRET, waitFor } from "../support/harness.ts";
import { freePort, spawnSidecar, writePartnersFile, type SidecarProcess } from "../support/processes.ts";

/** Bounds the waits only; nothing asserts a duration. */
const BOUND_MS = 20_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("SIGTERM to `node bin/odc.mjs serve` with a slow partner", () => {
  it("lets the requests on the wire finish, records them in Odoo, leaves the rest waiting, and exits 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odc-shutdown-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const odoo = new OdooSimulator({ nudgeSecret: NUDGE_SECRET });
    await odoo.start();
    odoo.sidecarUrl = `http://127.0.0.1:${port}`;
    cleanups.push(() => odoo.stop());
    // Every request is taken at once and answered 1.5 s later: the signal lands while four are on the wire.
    const partner = new PartnerReceiver([PARTNER_SECRET], () => ({ acceptAfterMs: 1_500 }));
    await partner.start();
    cleanups.push(() => partner.stop());
    const partnersFile = join(dir, "partners.json");
    writePartnersFile(partnersFile, [
      { code: "WOODCORNER", endpoint: `${partner.url}/webhooks`, signing_secrets: ["env:PARTNER_SECRET"], subscriptions: { event_types: ["purchase_order.confirmed"] }, limits: { concurrency: 4, timeout_ms: 10_000 } },
    ]);
    const logFile = join(dir, "sidecar.log");
    const sidecar: SidecarProcess = await spawnSidecar({
      sim: { ready: true, odoo: { url: odoo.url, db: odoo.db, login: odoo.login, apiKey: odoo.apiKey }, partners: {}, control: "" },
      port,
      dbPath: join(dir, "store.sqlite"),
      partnersFile,
      nudgeSecret: NUDGE_SECRET,
      logFile,
      env: { PARTNER_SECRET, ODC_LOG_LEVEL: "info", ODC_POLL_INTERVAL_MS: "60000" },
    });
    cleanups.push(() => sidecar.kill("SIGKILL"));

    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = Array.from({ length: 40 }, () => odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    await waitFor(() => partner.accepted.length >= 4, "four requests on the wire", BOUND_MS);
    const answeredBefore = partner.requests.filter((r) => r.outcome === "accepted").length;
    const onTheWire = new Set(partner.accepted.map((e) => e.webhookId));

    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => sidecar.proc.once("exit", (code, signal) => r({ code, signal })));
    expect(process.kill(sidecar.proc.pid!, "SIGTERM")).toBe(true);
    const result = await Promise.race([exit, new Promise<null>((r) => setTimeout(() => r(null), BOUND_MS))]);
    expect(result).toEqual({ code: 0, signal: null });

    // Nothing had been answered when the signal came; what was on the wire finished and was
    // recorded delivered in Odoo before the process exited.
    expect(answeredBefore).toBe(0);
    const answered = partner.requests.filter((r) => r.outcome === "accepted");
    expect(answered.length).toBeGreaterThanOrEqual(onTheWire.size);
    const byEvent = new Map(rows.map((r) => [r.event_uuid, r]));
    for (const id of onTheWire) expect(byEvent.get(id)?.state, id).toBe("delivered");
    const delivered = rows.filter((r) => r.state === "delivered").length;
    expect(delivered).toBe(partner.uniqueIds.size);
    // The rest waits in Odoo for the next start: not dead, not lost.
    expect(delivered).toBeLessThan(rows.length);
    expect(rows.filter((r) => r.state === "dead")).toEqual([]);

    const messages = readFileSync(logFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg?: string; signal?: string });
    expect(messages).toContainEqual(expect.objectContaining({ msg: "stopping", signal: "SIGTERM" }));
    expect(messages.map((m) => m.msg)).toContain("sidecar stopped");
  }, 60_000);
});
