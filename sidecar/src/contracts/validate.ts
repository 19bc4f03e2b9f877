import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { projectRoot } from "../lib/paths.ts";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export const contractsDir = join(projectRoot, "contracts/v1");

let ajv: Ajv2020 | null = null;
/** Schema id per event type; compiled on first use (each compiled schema costs code space). */
const schemaIds = new Map<string, string>();
const validators = new Map<string, ValidateFunction>();
let envelope: ValidateFunction | null = null;

function load(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ allErrors: false, strict: false });
  addFormats(ajv);
  ajv.addSchema(JSON.parse(readFileSync(join(contractsDir, "envelope.schema.json"), "utf8")));
  // Add every schema before compiling any: schemas refer to each other's $defs.
  for (const file of readdirSync(join(contractsDir, "events")).sort()) {
    if (!file.endsWith(".schema.json")) continue;
    const schema = JSON.parse(readFileSync(join(contractsDir, "events", file), "utf8"));
    ajv.addSchema(schema);
    schemaIds.set(file.replace(/\.schema\.json$/, ""), schema.$id);
  }
  envelope = ajv.getSchema("https://odoo-distribution-connector.local/contracts/v1/envelope.schema.json")!;
  return ajv;
}

function validatorFor(type: unknown): ValidateFunction {
  const a = load();
  if (typeof type !== "string") return envelope!;
  let v = validators.get(type);
  if (!v) {
    const id = schemaIds.get(type);
    if (!id) return envelope!;
    v = a.getSchema(id)!;
    validators.set(type, v);
  }
  return v;
}

export type ContractCheck = { ok: true } | { ok: false; reason: string };

function describe(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return "does not match the contract";
  return `${first.instancePath || "(root)"} ${first.message ?? "is invalid"}`;
}

/**
 * Checks an event against contracts/v1: its type's schema when one exists, the envelope
 * otherwise. The same schema files are what the addon's tests validate against.
 */
export function checkEvent(event: unknown): ContractCheck {
  const type = typeof event === "object" && event !== null ? (event as { type?: unknown }).type : undefined;
  const validate = validatorFor(type);
  return validate(event) ? { ok: true } : { ok: false, reason: describe(validate.errors) };
}

/**
 * Reads every schema and compiles the envelope now, so a missing or unreadable contracts
 * folder stops the start; `compileAll` also compiles each event type (tests do).
 */
export function loadContracts(compileAll = false): void {
  load();
  if (compileAll) for (const type of schemaIds.keys()) validatorFor(type);
}

export function knownEventTypes(): string[] {
  load();
  return [...schemaIds.keys()].sort();
}
