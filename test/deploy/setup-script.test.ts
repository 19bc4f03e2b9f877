import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/processes.ts";

/**
 * scripts/odoo-setup-integration.py is the one command IT runs against an existing database
 * (rehearsed against a real Odoo 18: README "Deployment"); scripts/odoo-serve.sh runs the same
 * file rather than a copy of it.
 */
describe("scripts/odoo-setup-integration.py", () => {
  const script = readFileSync(join(ROOT, "scripts/odoo-setup-integration.py"), "utf8");

  it("compiles as Python", () => {
    const r = spawnSync("python3", ["-c", "import sys; compile(sys.stdin.read(), 'odoo-setup-integration.py', 'exec')"], { input: script, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("gives the user the integration group only and an rpc-scoped key, and sets both settings", () => {
    expect(script).toContain('env.ref("distribution_connector.group_connector_integration")');
    expect(script).toMatch(/"groups_id": \[\(6, 0, \[group\.id\]\)\]/);
    expect(script).toContain('_generate("rpc", KEY_NAME, None)');
    expect(script).toContain('"distribution_connector.sidecar_url"');
    expect(script).toContain('"distribution_connector.nudge_secret"');
    expect(script).toContain('print("ODOO_API_KEY=" + key)');
  });

  it("is what scripts/odoo-serve.sh runs, with no inline copy left there", () => {
    const serve = readFileSync(join(ROOT, "scripts/odoo-serve.sh"), "utf8");
    expect(serve).toContain('< "$ROOT/scripts/odoo-setup-integration.py"');
    expect(serve).not.toContain("_generate(");
    expect(serve).not.toContain("group_connector_integration");
  });
});
