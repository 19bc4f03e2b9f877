import { afterEach, describe, expect, it } from "vitest";
import type { Readiness } from "../../sidecar/src/ops/readiness.ts";
import { startOpsStack, type OpsStack } from "./support.ts";

let stack: OpsStack | null = null;
afterEach(async () => {
  await stack?.stop();
  stack = null;
});

const readyz = async (s: OpsStack) => {
  const res = await fetch(`${s.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
};

describe("GET /readyz beside /healthz", () => {
  it("is 200 when the store is writable, migrations applied and Odoo logs the integration user in", async () => {
    stack = await startOpsStack();
    const r = await readyz(stack);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ready: true, reason: null, checks: { store: { ok: true }, migrations: { ok: true }, odoo: { ok: true } } });
    // The rolled-back probe write leaves nothing behind.
    expect(stack.sidecar.db.$client.prepare("SELECT count(*) AS n FROM partner_pauses").get()).toEqual({ n: 0 });
  });

  it("is 503 with the reason when Odoo is down, while /healthz stays 200", async () => {
    stack = await startOpsStack();
    stack.odoo.down = true;
    const r = await readyz(stack);
    expect(r.status).toBe(503);
    expect(r.body.ready).toBe(false);
    expect(r.body.checks.odoo.ok).toBe(false);
    expect(r.body.reason).toMatch(/^odoo: /);
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
  });

  it("is 503 when Odoo refuses the API key, without showing it", async () => {
    stack = await startOpsStack({ env: { ODOO_API_KEY: "a-wrong-api-key-0123456789" } });
    const res = await fetch(`${stack.url}/readyz`);
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(text).toContain("refused login");
    expect(text).not.toContain("a-wrong-api-key-0123456789");
  });

  it("is 503 when the store is not writable and when a migration is missing", async () => {
    stack = await startOpsStack();
    const db = stack.sidecar.db.$client;
    expect(db.prepare("DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)").run().changes).toBe(1);
    let r = await readyz(stack);
    expect(r.status).toBe(503);
    expect(r.body.checks.migrations).toMatchObject({ ok: false, reason: expect.stringMatching(/of \d+ applied/) });
    db.pragma("query_only = ON");
    r = await readyz(stack);
    expect(r.body.checks.store).toMatchObject({ ok: false, reason: expect.stringContaining("store not writable") });
    db.pragma("query_only = OFF");
  });
});
