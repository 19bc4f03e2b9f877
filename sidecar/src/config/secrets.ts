import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "./env.ts";

/**
 * Secrets in the partners file are references (`env:NAME` or `file:/path`), resolved at
 * start, so the file itself can be committed to a deployment repository without leaking anything.
 */
export const secretRef = z
  .string()
  .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/, "must be a reference: env:NAME or file:/path");

export function resolveSecret(ref: string, field: string, env: Record<string, string | undefined>): string {
  if (ref.startsWith("env:")) {
    const value = env[ref.slice(4)];
    if (!value) throw new ConfigError([`${field}: environment variable ${ref.slice(4)} is not set`]);
    return value;
  }
  try {
    return readFileSync(ref.slice(5), "utf8").trim();
  } catch {
    throw new ConfigError([`${field}: cannot read secret file ${ref.slice(5)}`]);
  }
}
