import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export const contractsDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../../contracts/v1");

let ajv: Ajv2020 | null = null;
const validators = new Map<string, ValidateFunction>();
let envelope: ValidateFunction | null = null;

function load(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ allErrors: false, strict: false });
  addFormats(ajv);
  ajv.addSchema(JSON.parse(readFileSync(join(contractsDir, "envelope.schema.json"), "utf8")));
  // Add every schema before compiling any: schemas refer to each other's $defs.
  const added: [string, string][] = [];
  for (const file of readdirSync(join(contractsDir, "events")).sort()) {
    if (!file.endsWith(".schema.json")) continue;
    const schema = JSON.parse(readFileSync(join(contractsDir, "events", file), "utf8"));
    ajv.addSchema(schema);
    added.push([file.replace(/\.schema\.json$/, ""), schema.$id]);
  }
  for (const [type, id] of added) validators.set(type, ajv.getSchema(id)!);
  envelope = ajv.getSchema("https://odoo-distribution-connector.local/contracts/v1/envelope.schema.json")!;
  return ajv;
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
  load();
  const type = typeof event === "object" && event !== null ? (event as { type?: unknown }).type : undefined;
  const validate = (typeof type === "string" && validators.get(type)) || envelope!;
  return validate(event) ? { ok: true } : { ok: false, reason: describe(validate.errors) };
}

/** Loads and compiles every schema now, so a broken contracts folder stops the start. */
export function loadContracts(): void {
  load();
}

export function knownEventTypes(): string[] {
  load();
  return [...validators.keys()].sort();
}
