/**
 * Writes contracts/openapi.json, the OpenAPI 3.1 description of the sidecar's HTTP API, which
 * the sidecar serves at GET /openapi.json: `npm run openapi` (`-- --check` exits 1 when the
 * committed file differs). test/deploy/openapi.test.ts compares it with the running app: the
 * same routes both ways, and real answers valid against the schemas here.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const OPENAPI_PATH = join(ROOT, "contracts/openapi.json");

type Json = Record<string, unknown>;

const error: Json = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "request_id"],
      properties: { code: { type: "string" }, message: { type: "string" }, request_id: { type: "string" } },
    },
  },
};
const errorResponse = (description: string): Json => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
const json = (description: string, schema: Json, headers?: Json): Json => ({ description, content: { "application/json": { schema } }, ...(headers ? { headers } : {}) });
const retryAfter = { "Retry-After": { schema: { type: "string" }, description: "seconds to wait before sending again" } };
const isoDateTime = { type: "string", format: "date-time" };
const nullable = (schema: Json): Json => ({ oneOf: [schema, { type: "null" }] });

const deadLetter: Json = {
  type: "object",
  required: ["delivery_id", "event_id", "event_type", "subject", "partner", "attempts", "error_class", "reason", "last_status", "created_at"],
  properties: {
    delivery_id: { type: "integer" },
    event_id: { type: "string", format: "uuid" },
    event_type: { type: "string" },
    subject: { type: "string", description: "model/id of the event's subject" },
    partner: { type: "string" },
    attempts: { type: "integer" },
    error_class: { type: ["string", "null"] },
    reason: { type: ["string", "null"], description: "the last error, with the partner's answer" },
    last_status: { type: ["integer", "null"], description: "HTTP status of the last answer" },
    created_at: isoDateTime,
  },
};
const inboundDocument: Json = {
  type: "object",
  required: ["document_id", "partner", "format", "message_id", "status"],
  properties: {
    document_id: { type: "integer" },
    partner: { type: "string" },
    type: { type: ["string", "null"], description: "canonical event type, once decoded" },
    format: { type: "string" },
    message_id: { type: "string", description: "what the document is deduplicated on" },
    event_id: { type: ["string", "null"] },
    subject_ref: { type: ["string", "null"] },
    status: { type: "string", enum: ["received", "pending", "applied", "stale", "exception", "unknown_reference", "rejected", "coalesced", "test_skipped", "ignored"] },
    detail: { type: ["string", "null"], description: "Odoo's detail, or why it was rejected" },
    record: { description: "the Odoo record it was applied to" },
    duplicate_in_odoo: { type: "boolean" },
    coalesced_into: { type: ["integer", "null"] },
    test_mode: { type: "boolean" },
    receipts: { type: "integer", description: "times the partner sent it" },
    attempts: { type: "integer" },
    last_error: { type: ["string", "null"] },
    verification: { type: "object", properties: { scheme: { type: ["string", "null"] }, key_index: { type: ["integer", "null"] } } },
    content_type: { type: ["string", "null"] },
    body_bytes: { type: "integer" },
  },
};
const documentList: Json = {
  type: "object",
  required: ["documents", "next_before_id"],
  properties: { documents: { type: "array", items: { $ref: "#/components/schemas/InboundDocument" } }, next_before_id: { type: ["integer", "null"], description: "pass as before_id for the next page" } },
};
const pauseState: Json = {
  type: "object",
  required: ["partner", "paused", "paused_at", "paused_by", "reason"],
  properties: { partner: { type: "string" }, paused: { type: "boolean" }, paused_at: nullable(isoDateTime), paused_by: { type: ["string", "null"] }, reason: { type: ["string", "null"] }, changed: { type: "boolean" } },
};
const inboundAccepted: Json = {
  type: "object",
  required: ["accepted", "document_id", "event_id", "duplicate", "status"],
  properties: {
    accepted: { const: true },
    document_id: { type: "integer" },
    event_id: { type: ["string", "null"], description: "null for a carrier webhook until it is decoded" },
    duplicate: { type: "boolean", description: "true for a message already received: counted, not applied again" },
    status: { type: "string", description: "received (carrier webhook), pending, test_skipped, ignored; for a duplicate, where it is or how it ended" },
  },
};

const historyEntry: Json = {
  type: "object",
  required: ["at", "scope", "delivery_id", "partner", "from", "to", "cause", "actor", "attempts", "next_attempt_at"],
  properties: {
    at: isoDateTime,
    scope: { type: "string", enum: ["event", "delivery", "partner", "document"] },
    delivery_id: { type: ["integer", "null"] },
    partner: { type: ["string", "null"] },
    from: { type: ["string", "null"] },
    to: { type: "string" },
    cause: { type: ["string", "null"], description: "the partner's answer, the replay, the repair" },
    actor: { type: "string", description: "sidecar, odoo (staff Retry), the admin token and the CLI's user, reconcile (...)" },
    attempts: { type: ["integer", "null"] },
    next_attempt_at: nullable(isoDateTime),
  },
};

const admin = [{ bearerAdmin: [] }];
const query = (name: string, description: string, schema: Json = { type: "string" }): Json => ({ name, in: "query", required: false, description, schema });
const path = (name: string, description: string, schema: Json = { type: "string" }): Json => ({ name, in: "path", required: true, description, schema });
const listQuery = [
  query("partner", "partner code"),
  query("since", "ISO 8601 date-time", isoDateTime),
  query("until", "ISO 8601 date-time", isoDateTime),
  query("before_id", "page: documents with a smaller id", { type: "integer", minimum: 1 }),
  query("limit", "1-1000 (default 100)", { type: "integer", minimum: 1, maximum: 1000 }),
];
const unauthorized = errorResponse("missing or wrong bearer token");
const partnerPath = path("code", "partner code of the partners file");
const pauseBody: Json = {
  required: false,
  content: { "application/json": { schema: { type: "object", additionalProperties: false, properties: { reason: { type: "string", maxLength: 200 } } } } },
};

export function buildOpenApi(): Json {
  const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  return {
    openapi: "3.1.0",
    info: {
      title: "Odoo distribution connector: sidecar HTTP API",
      version,
      description:
        "Health and metrics for orchestrators and Prometheus, the after-commit nudge from Odoo, partners' inbound documents, and the admin API (bearer ODC_ADMIN_TOKEN; off when unset). Generated by scripts/openapi.ts; README.md and docs/operations.md describe each route in prose, docs/partner-guide.md what partners send.",
      license: { name: "LGPL-3.0-only", identifier: "LGPL-3.0-only" },
    },
    servers: [{ url: "http://127.0.0.1:8787", description: "default ODC_HOST and ODC_PORT" }],
    tags: [
      { name: "ops", description: "health, readiness, metrics, status" },
      { name: "odoo", description: "called by the addon" },
      { name: "inbound", description: "called by partners" },
      { name: "admin", description: "bearer ODC_ADMIN_TOKEN" },
    ],
    paths: {
      "/healthz": {
        get: {
          tags: ["ops"],
          summary: "Liveness and state",
          description: "Odoo reachability, claiming, deliveries by state, results waiting, each partner's circuit, inbound documents by status.",
          responses: { "200": json("alive", { $ref: "#/components/schemas/Health" }), "503": json("not healthy", { $ref: "#/components/schemas/Health" }) },
        },
      },
      "/readyz": {
        get: {
          tags: ["ops"],
          summary: "Readiness",
          description: "200 when the store takes a write, every migration is applied and Odoo logs the integration user in; 503 with the first failed check.",
          responses: { "200": json("ready", { $ref: "#/components/schemas/Readiness" }), "503": json("not ready", { $ref: "#/components/schemas/Readiness" }) },
        },
      },
      "/metrics": {
        get: { tags: ["ops"], summary: "Prometheus metrics", responses: { "200": { description: "Prometheus text exposition", content: { "text/plain": { schema: { type: "string" } } } } } },
      },
      "/openapi.json": {
        get: { tags: ["ops"], summary: "This document", responses: { "200": json("OpenAPI 3.1", { type: "object" }) } },
      },
      "/": {
        get: {
          tags: ["ops"],
          summary: "Status page (HTML)",
          description: "Mounted when ODC_READ_TOKEN or ODC_ADMIN_TOKEN is set; either token, as a bearer or ?token=.",
          security: [{ bearerRead: [] }, { bearerAdmin: [] }, { tokenQuery: [] }],
          responses: { "200": { description: "the status page", content: { "text/html": { schema: { type: "string" } } } }, "401": unauthorized },
        },
      },
      "/nudge": {
        post: {
          tags: ["odoo"],
          summary: "After-commit nudge from the addon",
          description: "Wakes the outbox drain. Signed: X-Connector-Signature: t=<unix>,v1=<hex HMAC-SHA256(ODC_NUDGE_SECRET, \"<t>.\" + body)>, 5 minutes tolerance.",
          parameters: [{ name: "X-Connector-Signature", in: "header", required: true, schema: { type: "string" } }],
          requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } },
          responses: {
            "202": json("taken", { type: "object", required: ["accepted"], properties: { accepted: { const: true } } }),
            "401": errorResponse("bad or missing signature: nothing happens"),
            "413": errorResponse("body too large"),
          },
        },
      },
      "/inbound/{partner}": {
        post: {
          tags: ["inbound"],
          summary: "A partner's document",
          description:
            "Verified on the raw bytes (the partner's inbound verification scheme), deduplicated on the partner's message id, stored, and answered before Odoo applies it. cXML partners get 200 with a cXML Response (Status 201 Accepted, or the refusal's 4xx).",
          parameters: [path("partner", "the partner's code in the partners file")],
          requestBody: {
            required: true,
            content: { "application/json": { schema: {} }, "application/xml": { schema: { type: "string" } }, "text/xml": { schema: { type: "string" } } },
          },
          responses: {
            "202": json("verified and stored", { $ref: "#/components/schemas/InboundAccepted" }),
            "200": { description: "cXML partners: a cXML Response", content: { "text/xml": { schema: { type: "string" } } } },
            "400": errorResponse("not a document of the partner's format (not_json, not_well_formed, unsafe_xml, invalid_document, unknown_code, inconsistent_quantities, unsupported_document, empty body)"),
            "401": errorResponse("missing_signature, signature_mismatch, timestamp_out_of_tolerance, malformed_signature"),
            "404": errorResponse("unknown or disabled partner"),
            "413": errorResponse("larger than the partner's max_body_bytes"),
            "415": errorResponse("content type not of the partner's format"),
            "429": { ...errorResponse("above the partner's rate"), headers: retryAfter },
            "503": { ...errorResponse("the store cannot write, or backlog_full"), headers: retryAfter },
          },
        },
      },
      "/admin/status": {
        get: { tags: ["admin"], summary: "Status document (what the status page and odc status show)", security: admin, responses: { "200": json("status", { type: "object" }), "401": unauthorized } },
      },
      "/admin/audit": {
        get: {
          tags: ["admin"],
          summary: "Operators' actions (pause, resume, replay, reconcile), newest first",
          security: admin,
          parameters: [
            query("since", "ISO 8601 date-time", isoDateTime),
            query("action", "one action", { type: "string", enum: ["partner.pause", "partner.resume", "dead_letters.replay", "outbox.reconcile"] }),
            query("before_id", "page: entries with a smaller id", { type: "integer", minimum: 1 }),
            query("limit", "1-1000 (default 100)", { type: "integer", minimum: 1, maximum: 1000 }),
          ],
          responses: {
            "200": json("a page of entries", {
              type: "object",
              required: ["entries", "next_before_id"],
              properties: { entries: { type: "array", items: { $ref: "#/components/schemas/AuditEntry" } }, next_before_id: { type: ["integer", "null"], description: "pass as before_id for the next page" } },
            }),
            "400": errorResponse("bad query"),
            "401": unauthorized,
          },
        },
      },
      "/admin/events/{id}/history": {
        get: {
          tags: ["admin"],
          summary: "Every state change of an event's deliveries, its result in Odoo, repairs, and its partners' pauses",
          security: admin,
          parameters: [path("id", "event id", { type: "string", format: "uuid" })],
          responses: { "200": json("the event, its deliveries and their history, oldest first", { $ref: "#/components/schemas/EventHistory" }), "400": errorResponse("not a UUID"), "401": unauthorized, "404": errorResponse("no such event in the store") },
        },
      },
      "/admin/inbound/documents/{id}/history": {
        get: {
          tags: ["admin"],
          summary: "Every state change of an inbound document",
          security: admin,
          parameters: [path("id", "document id", { type: "integer", minimum: 1 })],
          responses: { "200": json("the document and its history, oldest first", { $ref: "#/components/schemas/DocumentHistory" }), "400": errorResponse("not a document id"), "401": unauthorized, "404": errorResponse("no such document") },
        },
      },
      "/admin/reconcile": {
        post: {
          tags: ["admin"],
          summary: "Compare Odoo's outbox with the store now; repair what is safe (dry_run: only report)",
          security: admin,
          parameters: [{ name: "X-Odc-Actor", in: "header", required: false, description: "who asked, for the audit trail and the histories", schema: { type: "string" } }],
          requestBody: { required: false, content: { "application/json": { schema: { type: "object", additionalProperties: false, properties: { dry_run: { type: "boolean", default: false } } } } } },
          responses: { "200": json("what the run found, repaired and left", { $ref: "#/components/schemas/ReconcileReport" }), "400": errorResponse("bad body"), "401": unauthorized, "413": errorResponse("body over 4 KiB") },
        },
      },
      "/admin/dead-letters": {
        get: {
          tags: ["admin"],
          summary: "Dead deliveries with their reason",
          security: admin,
          parameters: [query("partner", "partner code"), query("since", "ISO 8601 date-time", isoDateTime), query("until", "ISO 8601 date-time", isoDateTime), query("limit", "1-1000 (default 100)", { type: "integer", minimum: 1, maximum: 1000 })],
          responses: {
            "200": json("dead letters, newest first", { type: "object", required: ["dead_letters"], properties: { dead_letters: { type: "array", items: { $ref: "#/components/schemas/DeadLetter" } } } }),
            "400": errorResponse("bad filter"),
            "401": unauthorized,
          },
        },
      },
      "/admin/replay": {
        post: {
          tags: ["admin"],
          summary: "Re-open dead deliveries",
          security: admin,
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  additionalProperties: false,
                  minProperties: 1,
                  properties: {
                    delivery_ids: { type: "array", maxItems: 10000, items: { type: "integer", minimum: 1 } },
                    event_ids: { type: "array", maxItems: 10000, items: { type: "string", format: "uuid" } },
                    partner: { type: "string", minLength: 1, maxLength: 64 },
                    since: isoDateTime,
                    until: isoDateTime,
                  },
                },
              },
            },
          },
          responses: { "202": json("re-opened", { type: "object", required: ["replayed"], properties: { replayed: { type: "integer", minimum: 0 } } }), "400": errorResponse("bad filter"), "401": unauthorized },
        },
      },
      "/admin/partners/paused": {
        get: { tags: ["admin"], summary: "Partners paused by an operator", security: admin, responses: { "200": json("paused partners", { type: "object", required: ["paused"], properties: { paused: { type: "array", items: { $ref: "#/components/schemas/PauseState" } } } }), "401": unauthorized } },
      },
      "/admin/partners/{code}/pause": {
        post: {
          tags: ["admin"],
          summary: "Pause a partner: nothing is sent to it until resumed (persisted)",
          security: admin,
          parameters: [partnerPath, { name: "X-Odc-Actor", in: "header", required: false, description: "who paused it", schema: { type: "string" } }],
          requestBody: pauseBody,
          responses: { "200": json("paused", { $ref: "#/components/schemas/PauseState" }), "400": errorResponse("bad body"), "401": unauthorized, "404": errorResponse("unknown partner"), "413": errorResponse("body over 4 KiB") },
        },
      },
      "/admin/partners/{code}/resume": {
        post: {
          tags: ["admin"],
          summary: "Resume a paused partner",
          security: admin,
          parameters: [partnerPath],
          requestBody: pauseBody,
          responses: { "200": json("resumed", { $ref: "#/components/schemas/PauseState" }), "400": errorResponse("bad body"), "401": unauthorized, "404": errorResponse("unknown partner"), "413": errorResponse("body over 4 KiB") },
        },
      },
      "/admin/inbound/quarantine": {
        get: {
          tags: ["admin"],
          summary: "Inbound documents a person has to look at (unknown_reference, rejected), newest first",
          security: admin,
          parameters: listQuery,
          responses: { "200": json("a page of documents", { $ref: "#/components/schemas/InboundDocumentList" }), "400": errorResponse("bad query"), "401": unauthorized },
        },
      },
      "/admin/inbound/documents": {
        get: {
          tags: ["admin"],
          summary: "Inbound documents, newest first",
          security: admin,
          parameters: [query("status", "comma-separated statuses"), ...listQuery],
          responses: { "200": json("a page of documents", { $ref: "#/components/schemas/InboundDocumentList" }), "400": errorResponse("bad query"), "401": unauthorized },
        },
      },
      "/admin/inbound/documents/{id}/body": {
        get: {
          tags: ["admin"],
          summary: "The stored body as received (cXML with its SharedSecret redacted)",
          security: admin,
          parameters: [path("id", "document id", { type: "integer", minimum: 1 })],
          responses: { "200": { description: "the body, with the content type it came with", content: { "*/*": { schema: { type: "string", format: "binary" } } } }, "401": unauthorized, "404": errorResponse("no such document") },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAdmin: { type: "http", scheme: "bearer", description: "ODC_ADMIN_TOKEN" },
        bearerRead: { type: "http", scheme: "bearer", description: "ODC_READ_TOKEN" },
        tokenQuery: { type: "apiKey", in: "query", name: "token", description: "ODC_READ_TOKEN or ODC_ADMIN_TOKEN" },
      },
      schemas: {
        Error: error,
        Health: { type: "object", required: ["ok"], properties: { ok: { type: "boolean" }, odoo: { type: "object" }, deliveries: { type: "object" }, partners: { type: "object" }, inbound: { type: "object" } } },
        Readiness: { type: "object", required: ["ready", "reason"], properties: { ready: { type: "boolean" }, reason: { type: ["string", "null"] }, checks: { type: "object" } } },
        DeadLetter: deadLetter,
        InboundDocument: inboundDocument,
        InboundDocumentList: documentList,
        InboundAccepted: inboundAccepted,
        PauseState: pauseState,
        HistoryEntry: historyEntry,
        EventHistory: {
          type: "object",
          required: ["event", "deliveries", "history"],
          properties: {
            event: { type: "object", required: ["id", "outbox_id", "type", "subject", "sequence", "claimed_at", "final_state"], properties: { id: { type: "string" }, outbox_id: { type: "integer" }, type: { type: "string" }, subject: { type: "string" }, sequence: { type: "integer" }, claimed_at: isoDateTime, final_state: { type: ["string", "null"] }, final_error: { type: ["string", "null"] }, result_waiting_for_odoo: { type: "boolean" }, recorded_in_odoo_at: nullable(isoDateTime) } },
            deliveries: { type: "array", items: { type: "object", required: ["delivery_id", "partner", "state", "attempts"], properties: { delivery_id: { type: "integer" }, partner: { type: "string" }, state: { type: "string" }, attempts: { type: "integer" }, next_attempt_at: nullable(isoDateTime), last_error: { type: ["string", "null"] }, delivered_at: nullable(isoDateTime) } } },
            history: { type: "array", items: { $ref: "#/components/schemas/HistoryEntry" } },
          },
        },
        DocumentHistory: {
          type: "object",
          required: ["document", "history"],
          properties: {
            document: { type: "object", required: ["document_id", "partner", "type", "status", "received_at"], properties: { document_id: { type: "integer" }, partner: { type: "string" }, type: { type: "string" }, status: { type: "string" }, event_id: { type: ["string", "null"] }, subject_ref: { type: ["string", "null"] }, received_at: isoDateTime, receipts: { type: "integer" }, attempts: { type: "integer" }, detail: { type: ["string", "null"] } } },
            history: { type: "array", items: { $ref: "#/components/schemas/HistoryEntry" } },
          },
        },
        ReconcileReport: {
          type: "object",
          required: ["ran_at", "dry_run", "actor", "kinds", "notes", "error"],
          properties: {
            ran_at: isoDateTime,
            dry_run: { type: "boolean" },
            actor: { type: "string" },
            kinds: {
              type: "object",
              required: ["leased_unknown", "finished_unrecorded", "lease_expired", "failed_delivered", "inbound_stuck"],
              additionalProperties: {
                type: "object",
                required: ["found", "repaired", "left", "sample"],
                properties: { found: { type: "integer", minimum: 0 }, repaired: { type: "integer", minimum: 0 }, left: { type: "integer", minimum: 0 }, sample: { type: "array", maxItems: 20, items: { type: "string" } } },
              },
            },
            notes: { type: "array", items: { type: "string" } },
            error: { type: ["string", "null"], description: "the run failed (Odoo unreachable)" },
          },
        },
        AuditEntry: {
          type: "object",
          required: ["id", "at", "actor", "action", "subject", "detail"],
          properties: { id: { type: "integer" }, at: isoDateTime, actor: { type: "string" }, action: { type: "string" }, subject: { type: ["string", "null"] }, detail: { description: "what the action did, secrets scrubbed" } },
        },
      },
    },
  };
}

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}

function main(): number {
  const text = renderOpenApi();
  if (process.argv.includes("--check")) {
    if (readFileSync(OPENAPI_PATH, "utf8") !== text) {
      process.stderr.write("contracts/openapi.json is out of date: run npm run openapi\n");
      return 1;
    }
    return 0;
  }
  writeFileSync(OPENAPI_PATH, text);
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
