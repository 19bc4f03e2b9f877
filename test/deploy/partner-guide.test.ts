import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderGuide, GUIDE_PATH } from "../../scripts/partner-guide.ts";
import { PARTNER_SECRET, demoLines, startStack, waitFor, type Stack } from "../support/harness.ts";
import { ROOT, freePort } from "../support/processes.ts";

/**
 * docs/partner-guide.md is generated from contracts/v1 (`npm run docs`): the committed copy
 * must be what the script writes now. Its receivers (docs/examples/webhook-receiver.mjs and
 * webhook_receiver.py, included word for word) run as a partner would run them, behind a
 * recording proxy, and take the real signed requests of a sidecar; the same request tampered
 * with, or unsigned, is refused.
 */

describe("docs/partner-guide.md", () => {
  it("is what scripts/partner-guide.ts generates from contracts/ (run npm run docs after changing them)", () => {
    const committed = readFileSync(GUIDE_PATH, "utf8");
    const generated = renderGuide();
    expect(committed === generated, "docs/partner-guide.md is out of date: run npm run docs").toBe(true);
  });

  it("documents every event type of contracts/v1 and includes both receivers word for word", () => {
    const guide = renderGuide();
    const types = readdirSync(join(ROOT, "contracts/v1/events")).map((f) => f.replace(/\.schema\.json$/, ""));
    expect(types.length).toBeGreaterThan(10);
    for (const t of types) {
      expect(guide).toContain(`### \`${t}\``);
      expect(guide).toContain(JSON.stringify(JSON.parse(readFileSync(join(ROOT, "contracts/v1/examples", `${t}.json`), "utf8")), null, 2));
    }
    expect(guide).toContain(readFileSync(join(ROOT, "docs/examples/webhook-receiver.mjs"), "utf8").trimEnd());
    expect(guide).toContain(readFileSync(join(ROOT, "docs/examples/webhook_receiver.py"), "utf8").trimEnd());
  });
});

interface Recorded {
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}

const RECEIVERS = [
  { language: "JavaScript", command: [process.execPath, join(ROOT, "docs/examples/webhook-receiver.mjs")], env: {} },
  // With a stand-in for the PyPI library, which this project's machines cannot install
  // (test/deploy/python-standin): what runs is the guide's receiver code, not the library.
  { language: "Python", command: ["python3", join(ROOT, "docs/examples/webhook_receiver.py")], env: { PYTHONPATH: join(ROOT, "test/deploy/python-standin") } },
];

describe.each(RECEIVERS)("the guide's $language receiver against a real sidecar", ({ command, env }) => {
  let stack: Stack | null = null;
  let receiver: ChildProcess | null = null;
  let proxy: Server | null = null;
  let receiverUrl = "";
  const printed: string[] = [];
  const recorded: Recorded[] = [];
  let stderr = "";

  beforeAll(async () => {
    const port = await freePort();
    receiverUrl = `http://127.0.0.1:${port}`;
    receiver = spawn(command[0]!, command.slice(1), {
      cwd: join(ROOT, "docs/examples"),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", WEBHOOK_SECRET: PARTNER_SECRET, PORT: String(port), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    receiver.stdout!.on("data", (chunk: Buffer) => printed.push(...chunk.toString("utf8").split("\n").filter(Boolean)));
    receiver.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    receiver.once("exit", (code) => {
      if (code) console.error(`receiver exited ${code}: ${stderr.slice(-2000)}`);
    });
    for (let i = 0; ; i++) {
      try {
        await (await fetch(receiverUrl, { method: "POST", body: "{}" })).body?.cancel();
        break;
      } catch {
        if (i > 400) throw new Error("the example receiver did not start");
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    // Records each request the sidecar sends, and passes it on unchanged.
    proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
      const answer = await fetch(`${receiverUrl}${req.url}`, { method: "POST", headers, body });
      await answer.body?.cancel();
      recorded.push({ headers: req.headers, body, status: answer.status });
      res.writeHead(answer.status).end();
    });
    await new Promise<void>((r) => proxy!.listen(0, "127.0.0.1", r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    stack = await startStack({ partnerOverrides: { endpoint: `${proxyUrl}/odoo` } });
  }, 30_000);

  afterAll(async () => {
    await stack?.stop();
    proxy?.close();
    receiver?.kill("SIGTERM");
  });

  it("verifies and takes the sidecar's signed deliveries, once per event", async () => {
    const s = stack!;
    const vendor = s.odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = [s.odoo.approve(s.odoo.addPurchaseOrder(vendor.id, demoLines()).id), s.odoo.approve(s.odoo.addPurchaseOrder(vendor.id, demoLines()).id)];
    await waitFor(() => rows.every((r) => r.state === "delivered"), "both events delivered and recorded");
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    expect(recorded.every((r) => r.status === 204)).toBe(true);
    await waitFor(() => printed.length >= 2, "the receiver to print both events");
    const seen = printed.map((l) => JSON.parse(l) as { id: string; type: string; ref: string });
    expect(seen.map((e) => e.id).sort()).toEqual(rows.map((r) => r.event_uuid).sort());
    expect(seen.every((e) => e.type === "purchase_order.confirmed")).toBe(true);
    // Every request carried the Standard Webhooks headers the guide lists.
    for (const r of recorded) {
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["webhook-signature"]).toMatch(/^v1,/);
      expect(r.headers["webhook-id"]).toBe((JSON.parse(r.body.toString("utf8")) as { id: string }).id);
    }
  });

  it("answers 2xx to a redelivery without taking the event twice, and 401 to a tampered one", async () => {
    const original = recorded[0]!;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(original.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
    const before = printed.length;
    const again = await fetch(receiverUrl, { method: "POST", headers, body: original.body });
    expect(again.status).toBe(204);
    const tampered = Buffer.from(original.body.toString("utf8").replace(/"sequence":\s*1/, '"sequence":2'));
    expect(tampered.equals(original.body)).toBe(false);
    const refused = await fetch(receiverUrl, { method: "POST", headers, body: tampered });
    expect(refused.status).toBe(401);
    const unsigned = await fetch(receiverUrl, { method: "POST", headers: { "content-type": "application/json" }, body: original.body });
    expect(unsigned.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(printed.length).toBe(before);
  });
});
