import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { contractsDir } from "./fixtures.ts";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let validators: Map<string, ValidateFunction> | null = null;

/** The contracts/v1 event schemas, compiled once (test helper; the sidecar has its own validator). */
function load(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema(JSON.parse(readFileSync(join(contractsDir, "envelope.schema.json"), "utf8")));
  const schemas: { type: string; id: string }[] = [];
  for (const file of readdirSync(join(contractsDir, "events"))) {
    if (!file.endsWith(".schema.json")) continue;
    const schema = JSON.parse(readFileSync(join(contractsDir, "events", file), "utf8"));
    ajv.addSchema(schema);
    schemas.push({ type: file.replace(/\.schema\.json$/, ""), id: schema.$id });
  }
  validators = new Map(schemas.map((s) => [s.type, ajv.getSchema(s.id)!]));
  return validators;
}

/** Validates a full envelope against its type's schema; returns the error list ([] when valid). */
export function contractErrors(event: { type: string }): string[] {
  const validate = load().get(event.type);
  if (!validate) return [`no schema for ${event.type}`];
  if (validate(event)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}
