import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../sidecar/src/config/env.ts";
import { ROOT } from "../support/processes.ts";

/** The user-facing documents: links that resolve, one complete configuration table, no benchmark figures. */

const README = readFileSync(join(ROOT, "README.md"), "utf8");

function relativeLinks(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8").replace(/```[\s\S]*?```/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l) && !l.startsWith("#"));
}

describe("README.md and the docs it links", () => {
  for (const file of ["README.md", "docs/internals.md", "docs/partner-guide.md"]) {
    it(`${file}: every relative link names a file of the repository`, () => {
      const links = relativeLinks(file);
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) expect(existsSync(resolve(dirname(join(ROOT, file)), link.split("#")[0]!)), `${file} -> ${link}`).toBe(true);
    });
  }

  it("has one configuration table naming every environment variable the sidecar reads", () => {
    const section = README.slice(README.indexOf("## Configuration"), README.indexOf("## Partners file"));
    const documented = new Set([...section.matchAll(/^\| `([A-Z_]+)`(?: \/ `([A-Z_]+)`)? \|/gm)].flatMap((m) => [m[1]!, m[2]].filter(Boolean) as string[]));
    expect(Object.keys(envSchema.shape).filter((k) => !documented.has(k))).toEqual([]);
    expect([...documented].filter((k) => !(k in envSchema.shape))).toEqual([]);
  });

  it("carries no measured figure (they live in bench/README.md)", () => {
    const figures = README.match(/\d[\d.,]*\s?(µs|us\b|req\/s|ops\/s|documents\/s|MB\b|GB\b|% of)|\d+(\.\d+)?k (a|per) second|~\d+(\.\d+)? s\b/g) ?? [];
    expect(figures).toEqual([]);
  });

  it("documents the production run, the one-command setup and the troubleshooting symptoms", () => {
    for (const needle of [
      "node dist/odc.mjs serve",
      "deploy/odc.service",
      "scripts/odoo-setup-integration.py",
      "connector_partner_code",
      "POs stay pending",
      "Partner gets 401",
      "pool is full",
      "ship_from.street",
      "docs/operations.md",
      "docs/partner-guide.md",
      "```mermaid",
    ]) expect(README, needle).toContain(needle);
  });
});
