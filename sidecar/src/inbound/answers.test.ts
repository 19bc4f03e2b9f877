import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type AppEnv } from "../http/app.ts";
import { createLogger } from "../lib/logger.ts";
import { acceptedAnswer, refusedAnswer, send } from "./answers.ts";
import { HttpError } from "../http/errors.ts";

const lines: Record<string, unknown>[] = [];
const inbound = new Hono<AppEnv>();
inbound.post("/ok", (c) => send(c, acceptedAnswer("easypost", { documentId: 7, eventId: "e", duplicate: false, status: "pending", detail: null })));
inbound.post("/cxml", (c) => send(c, acceptedAnswer("cxml", { documentId: 8, eventId: null, duplicate: true, status: "applied", detail: null })));
inbound.post("/no", (c) => send(c, refusedAnswer("shippo", new HttpError(429, "rate_limited", "slow down", { "retry-after": "3" }), c.get("requestId"))));
const app = createApp({ log: createLogger("info", { write: (l: string) => void lines.push(JSON.parse(l)) }), mounts: [["/inbound", inbound]] });
let server: ReturnType<typeof serve>;
let url = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
      url = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("answers", () => {
  it("written straight to Node's response: status, headers, length and the request log agree", async () => {
    const ok = await fetch(`${url}/inbound/ok`, { method: "POST", headers: { "x-request-id": "rid-1" }, body: "x" });
    expect(ok.status).toBe(202);
    expect(ok.headers.get("content-type")).toBe("application/json");
    expect(ok.headers.get("x-request-id")).toBe("rid-1");
    const text = await ok.text();
    expect(ok.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text)).toEqual({ accepted: true, document_id: 7, event_id: "e", duplicate: false, status: "pending" });

    const no = await fetch(`${url}/inbound/no`, { method: "POST", body: "x" });
    expect(no.status).toBe(429);
    expect(no.headers.get("retry-after")).toBe("3");
    const rid = no.headers.get("x-request-id");
    expect(rid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await no.json()).toEqual({ error: { code: "rate_limited", message: "slow down", request_id: rid } });

    const cxml = await fetch(`${url}/inbound/cxml`, { method: "POST", body: "x" });
    expect(cxml.status).toBe(200);
    expect(cxml.headers.get("content-type")).toBe("text/xml; charset=utf-8");
    expect(await cxml.text()).toContain('<Status code="201" text="Accepted">already received as document 8</Status>');

    const logged = lines.filter((l) => l.msg === "request");
    expect(logged.find((l) => l.request_id === "rid-1")).toMatchObject({ status: 202, path: "/inbound/ok" });
    expect(logged.find((l) => l.request_id === rid)).toMatchObject({ status: 429 });
  });

  it("the same bytes through app.request() (no Node response to write to)", async () => {
    const res = await app.request("/inbound/no", { method: "POST", body: "x", headers: { "x-request-id": "rid-2" } });
    expect(res.status).toBe(429);
    expect(res.headers.get("x-request-id")).toBe("rid-2");
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toEqual({ error: { code: "rate_limited", message: "slow down", request_id: "rid-2" } });
  });
});
