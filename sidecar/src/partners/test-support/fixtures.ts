import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the test inputs live, all inside the repository. Real partner documents and real
 * Odoo 18 answers are under test/fixtures/ (each folder's SOURCES.md says where every file
 * came from); our own synthetic documents live next to this file. A missing file is a
 * failing test, never a skipped one.
 */
const here = dirname(fileURLToPath(import.meta.url));
export const projectRoot = resolve(here, "../../../..");
export const fixturesDir = join(projectRoot, "test/fixtures");
export const partnerFixturesDir = join(fixturesDir, "partners");
export const odooRpcFixturesDir = join(fixturesDir, "odoo-jsonrpc");
export const documentsDir = join(here, "documents");
export const contractsDir = join(projectRoot, "contracts/v1");

/** Every fixture file, as a path relative to the fixtures folder (`cxml/x.xml`), SOURCES.md excluded. */
export function listPartnerFixtures(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name !== "SOURCES.md") out.push(relative(partnerFixturesDir, full));
    }
  };
  walk(partnerFixturesDir);
  return out;
}

export function readFixture(relativePath: string): Buffer {
  return readFileSync(join(partnerFixturesDir, relativePath));
}

/** A captured Odoo 18 answer (`{request, response}`) or the pool-full page, by file name. */
export function readOdooFixture(name: string): string {
  return readFileSync(join(odooRpcFixturesDir, name), "utf8");
}

export function readDocument(name: string): Buffer {
  return readFileSync(join(documentsDir, name));
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
