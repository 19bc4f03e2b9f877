import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the test inputs live. Real partner documents come from the shared fixtures folder
 * next to the project (../shared/fixtures/partners from the project root); our own
 * synthetic documents live next to this file.
 */
const here = dirname(fileURLToPath(import.meta.url));
export const projectRoot = resolve(here, "../../../..");
export const partnerFixturesDir = resolve(projectRoot, "../shared/fixtures/partners");
export const haveSharedFixtures = existsSync(partnerFixturesDir);
export const SKIP_MESSAGE = `shared partner fixtures not found at ${partnerFixturesDir}: fixture tests skipped`;
export const documentsDir = join(here, "documents");
export const contractsDir = join(projectRoot, "contracts/v1");

if (!haveSharedFixtures) console.warn(SKIP_MESSAGE);

/** Every fixture file, as a path relative to the fixtures folder (`cxml/x.xml`), SOURCES.md excluded. */
export function listPartnerFixtures(): string[] {
  if (!haveSharedFixtures) return [];
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

export function readDocument(name: string): Buffer {
  return readFileSync(join(documentsDir, name));
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
