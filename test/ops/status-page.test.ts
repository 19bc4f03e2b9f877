import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { demoLines, NUDGE_SECRET, PARTNER_SECRET, waitFor } from "../support/harness.ts";
import { ROOT } from "../support/processes.ts";
import { ADMIN_TOKEN, READ_TOKEN, startOpsStack, type OpsStack } from "./support.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`status page browser test skipped: ${CHROMIUM} is absent (apt-get install -y --no-install-recommends chromium; .ci/run installs it)`);

let stack: OpsStack | null = null;
let browser: Browser | null = null;
const logLines: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

/** A relay with something to show: WOODCORNER failing (503), CONTROL paused with a backlog. */
async function busyStack(): Promise<OpsStack> {
  const s = await startOpsStack({ woodFault: () => ({ status: 503, body: "down for maintenance" }), logLines });
  await s.admin("/partners/CONTROL/pause", { method: "POST", body: JSON.stringify({ reason: "planned maintenance" }) });
  const vendor = s.odoo.addVendor("Wood Corner", "WOODCORNER");
  const rows = [1, 2].map(() => s.odoo.approve(s.odoo.addPurchaseOrder(vendor.id, demoLines()).id));
  await waitFor(() => rows.every((r) => r.state === "failed"), "both rows recorded failed in Odoo");
  return s;
}

describe.skipIf(!hasChromium)(`status page at GET / in headless Chromium${hasChromium ? "" : ` (skipped: ${CHROMIUM} absent)`}`, () => {
  it("renders the status model with JavaScript off, refreshes itself, and leaks no token", async () => {
    stack = await busyStack();
    const context = await browser!.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const res = await page.goto(`${stack.url}/?token=${READ_TOKEN}`);
    expect(res!.status()).toBe(200);
    // The bookmark's token was swapped for a session cookie: it left the address bar.
    expect(page.url()).toBe(`${stack.url}/`);
    expect(res!.headers()["referrer-policy"]).toBe("no-referrer");
    expect(res!.headers()["content-security-policy"]).toContain("default-src 'none'");
    expect(res!.headers()["cache-control"]).toBe("no-store");
    expect(await page.title()).toMatch(/^Needs attention - /);
    expect(await page.locator("h1").innerText()).toContain("relay status");
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute("content")).toMatch(/^\d+$/);
    const wood = page.locator("tr", { has: page.locator('th[scope="row"]', { hasText: "WOODCORNER" }) });
    await expect.poll(() => wood.count()).toBe(1);
    const woodText = await wood.innerText();
    expect(woodText).toContain("failing");
    expect(woodText).toContain("http_5xx");
    expect(woodText).toMatch(/\t2\t/); // two pending
    const control = await page.locator("tr", { has: page.locator('th[scope="row"]', { hasText: "CONTROL" }) }).innerText();
    expect(control).toContain("paused by admin-token (planned maintenance)");
    const body = await page.locator("body").innerText();
    expect(body).toMatch(/Reachable\s+yes/);
    expect(body).toContain("Business attention");
    expect(body).toContain("Waiting to apply");
    expect(await page.locator("script").count()).toBe(0);
    const content = await page.content();
    for (const secret of [READ_TOKEN, ADMIN_TOKEN, PARTNER_SECRET, NUDGE_SECRET, stack.odoo.apiKey]) expect(content).not.toContain(secret);

    // Screenshots for docs/operations.md: written there only when asked (UPDATE_SCREENSHOTS=1).
    const dir = process.env.UPDATE_SCREENSHOTS ? join(ROOT, "docs") : mkdtempSync(join(tmpdir(), "odc-shot-"));
    const shot = join(dir, "status-page.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
    if (!process.env.UPDATE_SCREENSHOTS) rmSync(dir, { recursive: true, force: true });

    // Refreshing can be turned off with a plain link (WCAG 2.2.1), still without script.
    await page.getByRole("link", { name: "stop refreshing" }).click();
    expect(page.url()).toBe(`${stack.url}/?refresh=off`);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    expect(await page.locator("body").innerText()).toContain("Automatic refresh is off");
    await context.close();

    // The request log has the path, never the query's token.
    const logged = logLines.join("");
    expect(logged).toContain('"path":"/"');
    for (const secret of [READ_TOKEN, ADMIN_TOKEN, PARTNER_SECRET, NUDGE_SECRET, stack.odoo.apiKey]) expect(logged).not.toContain(secret);
  });

  it("passes axe-core's accessibility rules", async () => {
    stack = await busyStack();
    // Script runs only to host axe (the page itself has none; its CSP would refuse an injected one).
    const context = await browser!.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${ADMIN_TOKEN}` });
    const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
    type AxeResult = { violations: { id: string; help: string; nodes: { html: string }[] }[]; passes: { id: string }[] };
    const audit = async (path: string, disabled: string[] = []) => {
      expect((await page.goto(`${stack!.url}${path}`))!.status()).toBe(200);
      await page.evaluate(axeSource);
      const rules = Object.fromEntries(disabled.map((id) => [id, { enabled: false }]));
      const result = (await page.evaluate(`axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] }, rules: ${JSON.stringify(rules)} })`)) as AxeResult;
      return { violations: result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.html).join(" | ").slice(0, 300)})`), passes: result.passes.map((p) => p.id) };
    };
    // Every rule, on the page with refreshing turned off.
    const still = await audit("/?refresh=off");
    expect(still.violations).toEqual([]);
    expect(still.passes).toEqual(expect.arrayContaining(["color-contrast", "document-title", "html-has-lang", "th-has-data-cells", "landmark-one-main"]));
    // The refreshing page: axe's meta-refresh rule flags any timed refresh, whether or not the
    // user can turn it off (WCAG 2.2.1 allows it when they can: the "stop refreshing" link,
    // checked in the test above); every other rule holds.
    const refreshing = await audit("/", ["meta-refresh"]);
    expect(refreshing.violations).toEqual([]);
    expect(refreshing.passes).toContain("color-contrast");
    await context.close();
  });
});

describe("status page access", () => {
  it("refuses no token, a wrong one and a hostile one with 401, and takes the read and admin tokens", async () => {
    stack = await startOpsStack();
    const get = (q = "", headers: Record<string, string> = {}) => fetch(`${stack!.url}/${q}`, { headers });
    expect((await get()).status).toBe(401);
    expect((await get("?token=wrong-token-wrong-token")).status).toBe(401);
    expect((await get(`?token=${"x".repeat(100_000)}`)).status).toBeGreaterThanOrEqual(400);
    expect((await get("?token=%00%ff")).status).toBe(401);
    expect((await get("", { authorization: "Bearer " })).status).toBe(401);
    expect((await get("", { authorization: `Basic ${READ_TOKEN}` })).status).toBe(401);
    const bookmark = await fetch(`${stack.url}/?token=${READ_TOKEN}`, { redirect: "manual" });
    expect(bookmark.status).toBe(303);
    expect(bookmark.headers.get("location")).toBe("/");
    const cookie = bookmark.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^odc_status=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict/);
    expect(cookie).not.toContain(READ_TOKEN);
    const session = cookie.split(";")[0]!;
    const byCookie = await get("", { cookie: session });
    expect(byCookie.status).toBe(200);
    expect(byCookie.headers.get("content-type")).toContain("text/html");
    expect((await get("", { cookie: session.replace(/.$/, (ch) => (ch === "0" ? "1" : "0")) })).status).toBe(401);
    expect((await get("", { cookie: "odc_status=../../etc" })).status).toBe(401);
    expect((await get("", { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
    // The read token opens the page only, not the admin API.
    expect((await stack.admin("/status", {}, READ_TOKEN)).status).toBe(401);
    expect((await stack.admin("/partners/WOODCORNER/pause", { method: "POST" }, READ_TOKEN)).status).toBe(401);
  });
});
