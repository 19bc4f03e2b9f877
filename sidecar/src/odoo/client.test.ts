import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { odooRpcFixturesDir } from "../partners/test-support/fixtures.ts";
import { OdooClient } from "./client.ts";
import { OdooAccessError, OdooAuthError, OdooError, OdooMissingError, OdooProtocolError, OdooUnavailableError, OdooValidationError } from "./errors.ts";

const fixturesDir = odooRpcFixturesDir;

/** A loopback server that answers each call with whatever the current test sets. */
let server: Server;
let url = "";
let reply: (body: { id: number; params: { service: string; method: string; args: unknown[] } }) => { status: number; type: string; body: string } = () => ({ status: 200, type: "application/json", body: "{}" });
let requests = 0;
let inFlight = 0;
let maxInFlight = 0;
let delayMs = 0;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    requests++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const r = reply(JSON.parse(Buffer.concat(chunks).toString()));
    inFlight--;
    res.writeHead(r.status, { "content-type": r.type }).end(r.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function fixture(name: string): { response: { status: number; body: { result?: unknown; error?: unknown } } } {
  return JSON.parse(readFileSync(resolve(fixturesDir, name), "utf8"));
}

/** Answers authenticate with uid 2, and execute_kw with the captured answer (its id rewritten). */
function replayFixture(name: string) {
  const captured = fixture(name).response.body;
  reply = (req) => {
    if (req.params.method === "authenticate") return { status: 200, type: "application/json", body: JSON.stringify({ jsonrpc: "2.0", id: req.id, result: 2 }) };
    return { status: 200, type: "application/json", body: JSON.stringify({ ...captured, id: req.id }) };
  };
}

const client = (extra: Partial<ConstructorParameters<typeof OdooClient>[0]> = {}) => new OdooClient({ url, db: "db", login: "connector", apiKey: "k", retries: 0, ...extra });

describe("Odoo client against answers captured from a real Odoo 18", () => {
  it("returns the result of a successful call", async () => {
    replayFixture("search_read_ok.json");
    const rows = await client().execute<{ code: string }[]>("stock.picking.type", "search_read", [[]], { limit: 2 });
    expect(rows.map((r) => r.code)).toEqual(["incoming", "outgoing"]);
  });

  it.each([
    ["execute_kw_wrong_password.json", OdooAuthError, false],
    ["execute_kw_private_method.json", OdooAccessError, false],
    ["execute_kw_missing_record.json", OdooMissingError, false],
    ["execute_kw_validation_error.json", OdooValidationError, false],
    ["execute_kw_unknown_model.json", OdooValidationError, false],
    ["execute_kw_unknown_db.json", OdooUnavailableError, true],
  ] as const)("maps %s to %s (retryable: %s)", async (name, type, retryable) => {
    replayFixture(name);
    const err = (await client().execute("res.partner", "search_read", [[]]).catch((e: unknown) => e)) as OdooError;
    expect(err).toBeInstanceOf(type);
    expect(err.retryable).toBe(retryable);
    expect(err.message).toBe((fixture(name).response.body.error as { data: { message: string } }).data.message.slice(0, 500));
  });

  it("treats authenticate answering false (wrong API key) as an auth error", async () => {
    const captured = fixture("authenticate_bad_password.json").response.body;
    reply = (req) => ({ status: 200, type: "application/json", body: JSON.stringify({ ...captured, id: req.id }) });
    await expect(client().execute("res.partner", "search_read")).rejects.toBeInstanceOf(OdooAuthError);
  });

  it("treats the HTML 500 'pool is full' page as retryable and retries it", async () => {
    const html = readFileSync(resolve(fixturesDir, "pool_full_500.html"), "utf8");
    let calls = 0;
    reply = (req) => {
      if (req.params.method === "authenticate") return { status: 200, type: "application/json", body: JSON.stringify({ jsonrpc: "2.0", id: req.id, result: 2 }) };
      calls++;
      return calls < 3 ? { status: 500, type: "text/html", body: html } : { status: 200, type: "application/json", body: JSON.stringify({ jsonrpc: "2.0", id: req.id, result: 42 }) };
    };
    expect(await client({ retries: 3 }).execute("x.y", "z")).toBe(42);
    expect(calls).toBe(3);
    calls = -100;
    const err = (await client({ retries: 1 }).execute("x.y", "z").catch((e: unknown) => e)) as OdooError;
    expect(err).toBeInstanceOf(OdooUnavailableError);
    expect(err.message).toContain("HTML");
  });
});

describe("Odoo client: malformed, hostile and oversized answers", () => {
  const authThen = (body: string, type = "application/json", status = 200) => {
    reply = (req) => (req.params.method === "authenticate" ? { status: 200, type: "application/json", body: JSON.stringify({ jsonrpc: "2.0", id: req.id, result: 2 }) } : { status, type, body });
  };

  it.each([
    ["not JSON", "<html>login</html>", "text/html"],
    ["truncated JSON", '{"jsonrpc":"2.0","id":', "application/json"],
    ["a JSON array", "[1,2,3]", "application/json"],
    ["JSON without jsonrpc", '{"result":1}', "application/json"],
    ["a string error", '{"jsonrpc":"2.0","id":2,"error":"boom"}', "application/json"],
  ])("refuses %s with a protocol error", async (_name, body, type) => {
    authThen(body, type);
    await expect(client().execute("a.b", "c")).rejects.toBeInstanceOf(OdooProtocolError);
  });

  it("reads an answer without result as null, as Odoo 18 answers a method that returns None", async () => {
    reply = (req) => (req.params.method === "authenticate" ? { status: 200, type: "application/json", body: JSON.stringify({ jsonrpc: "2.0", id: req.id, result: 2 }) } : { status: 200, type: "application/json", body: JSON.stringify({ jsonrpc: "2.0", id: req.id }) });
    expect(await client().execute("purchase.order", "button_cancel", [[1]])).toBeNull();
  });

  it("refuses an answer over the size limit", async () => {
    authThen(JSON.stringify({ jsonrpc: "2.0", id: 2, result: "x".repeat(200_000) }));
    await expect(client({ maxResponseBytes: 100_000 }).execute("a.b", "c")).rejects.toThrow(/size limit/);
  });

  it("reports an unreachable Odoo as retryable", async () => {
    const err = await new OdooClient({ url: "http://127.0.0.1:1", db: "d", login: "l", apiKey: "k", retries: 0 }).execute("a.b", "c").catch((e) => e);
    expect(err).toBeInstanceOf(OdooUnavailableError);
  });

  it("never has more calls in flight than its concurrency", async () => {
    maxInFlight = 0;
    delayMs = 20;
    reply = (req) => ({ status: 200, type: "application/json", body: JSON.stringify({ jsonrpc: "2.0", id: req.id, result: req.params.method === "authenticate" ? 2 : 1 }) });
    const c = client({ concurrency: 3 });
    await c.authenticate();
    maxInFlight = 0;
    await Promise.all(Array.from({ length: 20 }, () => c.execute("a.b", "c")));
    delayMs = 0;
    expect(maxInFlight).toBe(3);
  });
});
