/**
 * Writes docs/partner-guide.md from contracts/v1 (schemas and examples) and the example
 * receiver in docs/examples/: `npm run docs`. `npm run docs -- --check` exits 1 when the
 * committed guide differs from what this generates (test/deploy/partner-guide.test.ts runs the
 * same comparison).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CONTRACTS = join(ROOT, "contracts/v1");
export const GUIDE_PATH = join(ROOT, "docs/partner-guide.md");

type Schema = Record<string, unknown>;
interface Doc {
  file: string;
  schema: Schema;
}

const docs = new Map<string, Schema>();
function loadDoc(file: string): Schema {
  let doc = docs.get(file);
  if (!doc) {
    doc = JSON.parse(readFileSync(file, "utf8")) as Schema;
    docs.set(file, doc);
  }
  return doc;
}

function resolveRef(ref: string, from: Doc): { schema: Schema; doc: Doc } {
  const [path, pointer = ""] = ref.split("#");
  const file = path ? resolve(dirname(from.file), path) : from.file;
  const doc: Doc = { file, schema: loadDoc(file) };
  let node: unknown = doc.schema;
  for (const part of pointer.split("/").filter(Boolean)) node = (node as Schema)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  if (!node || typeof node !== "object") throw new Error(`unresolved $ref ${ref} in ${from.file}`);
  return { schema: node as Schema, doc };
}

/** Follows `$ref`s and `[X, null]` unions to the schema that describes the value. */
function unwrap(schema: Schema, doc: Doc): { schema: Schema; doc: Doc; nullable: boolean; description?: string } {
  let nullable = false;
  let description = typeof schema.description === "string" ? schema.description : undefined;
  for (let hops = 0; hops < 20; hops++) {
    if (typeof schema.$ref === "string") {
      ({ schema, doc } = resolveRef(schema.$ref, doc));
      description ??= typeof schema.description === "string" ? schema.description : undefined;
      continue;
    }
    const union = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
    if (union) {
      const rest = union.filter((v) => v.type !== "null");
      if (rest.length === 1 && rest.length < union.length) {
        nullable = true;
        schema = rest[0]!;
        description ??= typeof schema.description === "string" ? schema.description : undefined;
        continue;
      }
    }
    break;
  }
  if (Array.isArray(schema.type) && schema.type.includes("null")) nullable = true;
  return { schema, doc, nullable, ...(description !== undefined ? { description } : {}) };
}

function typeName(schema: Schema, doc: Doc, nullable: boolean): string {
  let name: string;
  if ("const" in schema) name = `\`${JSON.stringify(schema.const)}\``;
  else if (Array.isArray(schema.enum)) name = `one of ${schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(", ")}`;
  else {
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t) => t && t !== "null") as string[];
    name = types.length ? types.join(" or ") : "any";
    if (types.includes("array") && schema.items) {
      const item = unwrap(schema.items as Schema, doc);
      name = `array of ${typeName(item.schema, item.doc, item.nullable)}`;
    }
    if (typeof schema.format === "string") name += ` (${schema.format})`;
  }
  return nullable ? `${name} or null` : name;
}

function constraints(schema: Schema): string[] {
  const out: string[] = [];
  if (typeof schema.pattern === "string") out.push(`pattern \`${schema.pattern}\``);
  if (typeof schema.minLength === "number") out.push(schema.minLength === 1 ? "not empty" : `at least ${schema.minLength} characters`);
  if (typeof schema.maxLength === "number") out.push(`at most ${schema.maxLength} characters`);
  if (typeof schema.minimum === "number") out.push(`≥ ${schema.minimum}`);
  if (typeof schema.exclusiveMinimum === "number") out.push(`> ${schema.exclusiveMinimum}`);
  if (typeof schema.maximum === "number") out.push(`≤ ${schema.maximum}`);
  if (typeof schema.minItems === "number" && schema.minItems > 0) out.push(`at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`);
  if (typeof schema.maxItems === "number") out.push(`at most ${schema.maxItems} items`);
  return out;
}

interface Row {
  path: string;
  type: string;
  required: boolean;
  notes: string;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n+/g, " ");

/** One row per field, nested objects and array items flattened into dotted paths. */
function rows(schema: Schema, doc: Doc, prefix: string, depth = 0, seen: string[] = []): Row[] {
  const out: Row[] = [];
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  for (const [name, raw] of Object.entries(properties)) {
    const path = prefix ? `${prefix}.${name}` : name;
    const u = unwrap(raw, doc);
    const limits = constraints(u.schema).join("; ");
    const notes = u.description ? (limits ? `${u.description} (${limits})` : u.description) : limits;
    out.push({ path, type: typeName(u.schema, u.doc, u.nullable), required: required.has(name), notes });
    const key = `${u.doc.file}#${path}`;
    if (depth > 8 || seen.includes(key)) continue;
    if (u.schema.properties) out.push(...rows(u.schema, u.doc, path, depth + 1, [...seen, key]));
    else if (u.schema.items) {
      const item = unwrap(u.schema.items as Schema, u.doc);
      if (item.schema.properties) out.push(...rows(item.schema, item.doc, `${path}[]`, depth + 1, [...seen, key]));
    }
  }
  return out;
}

function table(list: Row[]): string {
  return ["| field | type | required | meaning |", "|---|---|---|---|", ...list.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${r.required ? "yes" : "no"} | ${cell(r.notes)} |`)].join("\n");
}

interface EventType {
  type: string;
  title: string;
  description: string;
  model: string;
  data: Row[];
  example: string;
}

function eventTypes(): EventType[] {
  const dir = join(CONTRACTS, "events");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".schema.json"))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const schema = loadDoc(file);
      const doc: Doc = { file, schema };
      const props = schema.properties as Record<string, Schema>;
      const type = (props.type as { const: string }).const;
      const model = ((props.subject as Schema).properties as Record<string, { const: string }>).model!.const;
      const data = unwrap(props.data!, doc);
      const examplePath = join(CONTRACTS, "examples", `${type}.json`);
      return {
        type,
        title: String(schema.title ?? type),
        description: String(schema.description ?? ""),
        model,
        data: rows(data.schema, data.doc, "data"),
        example: JSON.stringify(JSON.parse(readFileSync(examplePath, "utf8")), null, 2),
      };
    });
}

/** Event types Odoo emits (partners receive them); the others are what partners send us. */
const OUTBOUND = /^(purchase_order|receipt|shipment|stock)\./;

export function renderGuide(): string {
  const envelopeFile = join(CONTRACTS, "envelope.schema.json");
  const envelope = loadDoc(envelopeFile);
  const envelopeRows = rows(envelope, { file: envelopeFile, schema: envelope }, "");
  const events = eventTypes();
  const outbound = events.filter((e) => OUTBOUND.test(e.type));
  const inbound = events.filter((e) => !OUTBOUND.test(e.type));
  const receiver = readFileSync(join(ROOT, "docs/examples/webhook-receiver.mjs"), "utf8").trimEnd();
  const python = readFileSync(join(ROOT, "docs/examples/webhook_receiver.py"), "utf8").trimEnd();

  const section = (e: EventType) =>
    [
      `### \`${e.type}\``,
      "",
      e.description,
      "",
      `Subject: \`${e.model}\` (\`subject.id\` is its id in Odoo, \`subject.ref\` its reference). Schema: [\`contracts/v1/events/${e.type}.schema.json\`](../contracts/v1/events/${e.type}.schema.json).`,
      "",
      table(e.data),
      "",
      "<details><summary>Example</summary>",
      "",
      "```json",
      e.example,
      "```",
      "",
      "</details>",
      "",
    ].join("\n");

  return `<!-- Generated by scripts/partner-guide.ts from contracts/v1 and docs/examples: edit those, then run npm run docs. -->
# Partner guide: integrating with the Odoo distribution connector

For suppliers, carriers and sales channels that exchange documents with a distributor running
Odoo with this connector. You receive what happens in Odoo (a purchase order confirmed,
changed or cancelled, a receipt validated, a shipment ready or dispatched, stock adjusted)
and you may send back your news (order acknowledgements, ship notices, tracking). Everything
here is also in machine-readable form in \`contracts/v1/\` (JSON Schema 2020-12, with
examples).

Contents: [Receiving events](#receiving-events) · [Verifying the signature](#verifying-the-signature) ·
[Answering, retries, order and duplicates](#answering-retries-order-and-duplicates) ·
[Event types](#event-types) · [Sending us documents](#sending-us-documents-inbound) · [Versioning](#versioning)

## Receiving events

You give the distributor an HTTPS URL; the connector \`POST\`s each event to it, one per
request, as JSON (the *canonical* format). Suppliers that speak cXML or Peppol UBL, and
EasyPost, receive those formats instead (see the distributor's README, "Partner formats");
this guide is about the canonical JSON, which every event type has.

Headers of every request ([Standard Webhooks](https://www.standardwebhooks.com/)):

| header | value |
|---|---|
| \`content-type\` | \`application/json\` |
| \`user-agent\` | \`odoo-distribution-connector/<version>\` |
| \`webhook-id\` | the event's \`id\` (a UUID): the same on every redelivery of the event. Deduplicate on it |
| \`webhook-timestamp\` | when this attempt was signed, Unix seconds |
| \`webhook-signature\` | \`v1,<base64 HMAC-SHA256>\`, space-separated when there are several (two during a secret rotation: accept the request if one matches) |

The body is the event exactly as Odoo wrote it. Every event has this envelope
([\`contracts/v1/envelope.schema.json\`](../contracts/v1/envelope.schema.json)):

${table(envelopeRows)}

A distributor may also agree with you on *batched* delivery: the body is then
\`{"events": [<event>, ...]}\` with at most one event per subject in one request, and
\`webhook-id\` is derived from the ids of the events it carries (deduplicate on each event's
\`id\`).

## Verifying the signature

The distributor gives you a secret \`whsec_<base64>\`. The signature is
\`base64(HMAC-SHA256(secret bytes, "<webhook-id>.<webhook-timestamp>.<body>"))\` over the
**raw body as received**: verify before parsing, never on re-serialised JSON. Refuse a
timestamp more than 5 minutes from your clock (the libraries do). Any Standard Webhooks
library verifies it.

JavaScript (Node 20, \`npm install standardwebhooks\`), a whole receiver: the project's tests
run this file against real signed requests of the connector, and check that a tampered
request is refused:

\`\`\`js
${receiver}
\`\`\`

Python (\`pip install standardwebhooks\`), the same receiver with the standard library's
HTTP server (the project's tests run it against real signed requests too):

\`\`\`python
${python}
\`\`\`

## Answering, retries, order and duplicates

- **Answer quickly** (within the agreed timeout, 10 s unless agreed otherwise) with any
  **2xx**: the event is taken. Store it and do the work afterwards.
- **Retried**: network errors, timeouts, **5xx**, **408**, **425** and **429**. The waits grow
  from seconds to hours (by default 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, with
  ±20 % jitter, for at most 3 days), and are at least what your \`Retry-After\` header asks.
  After that the event is dead and a person at the distributor is told.
- **Not retried**: any other **4xx** (the event is dead at once and your answer kept for the
  distributor's staff: say why in the body). **410 Gone** stops all deliveries to you until
  the distributor restarts the connector. An answer with the header
  \`X-Stop-Retrying: true\` ends the retries of that event.
- **Duplicates**: delivery is at least once. A crash or a lost answer can bring the same
  event again, always with the same \`webhook-id\` (= \`id\`): ignore one you have taken and
  answer 2xx. A person at the distributor may also send an event again (after a problem on
  your side, for instance): it carries the same id too, so if you had taken it, just answer 2xx.
- **Order**: events of one subject (one purchase order, one picking) reach you in the order
  of their \`sequence\` (1, 2, 3 ... per subject); a later one is never sent before an earlier
  one is taken or dead. The numbers can have gaps (an event the distributor cancelled, or one
  not meant for you, is never sent): never wait for a missing number. Events of different
  subjects may arrive in any order, and several at once (the distributor sets your rate
  limit and concurrency).
- **Pauses**: while you fail repeatedly the connector stops sending to you for a while, then
  tries one request; nothing is lost meanwhile. Deliveries can also be limited to a daily
  window agreed with you.

## Event types

${outbound.map(section).join("\n")}
## Sending us documents (inbound)

You post to \`https://<the distributor's connector>/inbound/<your partner code>\`; the
distributor tells you the host, your code and the secret. Each request is authenticated on
its raw bytes before anything reads it, deduplicated on your message id, stored, and answered
\`202\` (cXML: \`200\` with a cXML \`Response\`, \`Status\` \`201 Accepted\`); the distributor's
Odoo applies it afterwards, in order per order or shipment. Send the same message again as
often as you like: it is applied once (\`"duplicate": true\` in the answer).

| you are | you send | content type | authentication (scheme) | message id we deduplicate on |
|---|---|---|---|---|
| a cXML supplier | \`ConfirmationRequest\` (order acknowledgement), \`ShipNoticeRequest\` (ASN), \`StatusUpdateRequest\` | \`application/xml\` or \`text/xml\` | \`Header/Sender/Credential/SharedSecret\` (\`cxml_shared_secret\`) | \`cXML@payloadID\` |
| a Peppol / UBL supplier | \`OrderResponse\`, \`DespatchAdvice\` (UBL 2.1) | \`application/xml\` or \`text/xml\` | Standard Webhooks headers as above (\`standard_webhooks\`) | \`cbc:UUID\`, else \`cbc:ID\` |
| EasyPost | its \`Event\` webhooks (\`tracker.updated\`...) | \`application/json\` | \`X-Hmac-Signature: hmac-sha256-hex=<hex>\` (\`easypost_hmac\`) | the Event \`id\` |
| Shippo | \`track_updated\` webhooks | \`application/json\` | \`Shippo-Auth-Signature\` (\`shippo_hmac\`) or a \`?token=\` in the URL (\`url_token\`) | SHA-256 of the body |
| AfterShip | tracking webhooks | \`application/json\` | \`aftership-hmac-sha256\` (\`aftership_hmac\`) | the \`event_id\` |
| ShipEngine | tracking webhooks | \`application/json\` | a \`?token=\` in the URL (\`url_token\`) | SHA-256 of the body |
| any partner writing our JSON | the canonical events below | \`application/json\` | Standard Webhooks headers (\`standard_webhooks\`) | the event \`id\` |

**Registering the webhook URL** with a carrier, in its webhook settings (dashboard or API):
EasyPost: \`https://<host>/inbound/<code>\` with a webhook secret, which the distributor puts
in its configuration; Shippo: the URL, with \`?token=<secret>\` unless Shippo's HMAC signing
is enabled for the account; AfterShip: the URL, and the distributor uses the webhook secret
AfterShip shows; ShipEngine: the URL with \`?token=<secret>\` (at least 16 characters), as a
tracking webhook. Test-mode documents
(EasyPost \`mode: test\`, Shippo \`test: true\`, cXML \`deploymentMode="test"\`) of a production
partner are stored and never applied.

Answers: \`202 {"accepted": true, "document_id": 812, "event_id": null, "duplicate": false, "status": "received"}\`
(\`status\`: \`received\` for a carrier webhook, \`pending\` for a document decoded on arrival,
\`ignored\` for one with nothing to apply). Refusals change nothing and say why:
\`401\` (\`missing_signature\`, \`signature_mismatch\`, \`timestamp_out_of_tolerance\`,
\`malformed_signature\`), \`400\` (\`not_well_formed\`, \`unsafe_xml\`, \`not_json\`,
\`invalid_document\`, \`unknown_code\`, \`inconsistent_quantities\`, \`unsupported_document\`,
with where), \`404\` (unknown partner), \`413\` (larger than agreed, 1 MiB by default),
\`415\` (content type), \`429\` and \`503\` with \`Retry-After\` (send it again later).

### Canonical documents you may send

${inbound.map(section).join("\n")}
## Versioning

\`contracts/v1\` changes only by addition: new optional fields, new event types, new values
where a field says it may grow. Ignore fields and event types you do not know. A breaking
change would be a \`v2\`, served side by side with \`v1\` while partners move.
`;
}

function main(): number {
  const text = renderGuide();
  if (process.argv.includes("--check")) {
    const committed = readFileSync(GUIDE_PATH, "utf8");
    if (committed !== text) {
      process.stderr.write("docs/partner-guide.md is out of date: run npm run docs\n");
      return 1;
    }
    return 0;
  }
  writeFileSync(GUIDE_PATH, text);
  process.stdout.write(`wrote ${GUIDE_PATH}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
