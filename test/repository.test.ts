import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The repository stands alone: a fresh clone with nothing beside it is the whole project.
 * No tracked file may name the team folder that sits beside the checkout, nor walk with
 * `..` above the project root.
 */
const root = resolve(import.meta.dirname, "..");
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
  .split("\0")
  .filter((f) => f && f !== "package-lock.json" && !f.startsWith("test/fixtures/") && !/\.(png|jpe?g|ico|sqlite)$/.test(f));

const SELF_CHECKS = ["test/repository.test.ts", "test/architecture.test.ts"];
// Spelled in two pieces so that this file does not match itself.
const SHARED = ["..", "shared"].join("/");
// A run of `..` segments standing on its own (not the tail of a longer path such as `$X/..`).
const CLIMB = /(?<![\w.\/$}])((?:\.\.\/)*\.\.)(?=[\/"'`])/g;

/** Where each `..` run in a file leads, relative to that file's folder, when it leaves the root. */
export function climbsOutOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(CLIMB)) {
    const target = resolve(root, dirname(file), m[1]!);
    const rel = relative(root, target);
    if (rel.startsWith("..") || isAbsolute(rel)) out.push(`${file}: "${m[1]}" leads to ${target}`);
  }
  return out;
}

describe("the repository is self-contained", () => {
  it("lists its tracked files (the check below has something to read)", () => {
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked).toContain("README.md");
  });

  it(`no tracked file refers to ${SHARED}`, () => {
    const offenders = tracked.filter((f) => readFileSync(join(root, f), "utf8").includes(SHARED));
    expect(offenders).toEqual([]);
  });

  it("no tracked file walks with .. above the project root", () => {
    // Examples of paths that climb out, on purpose: this file's own, and the import-graph test's
    // (relative to sidecar/src, where a demo's import of test/simulator climbs two folders).
    const offenders = tracked.filter((f) => !SELF_CHECKS.includes(f)).flatMap((f) => climbsOutOf(f, readFileSync(join(root, f), "utf8")));
    expect(offenders).toEqual([]);
  });

  it("the check finds a climb out of the root and lets one inside pass", () => {
    expect(climbsOutOf("test/inbound/x.ts", `readFileSync(join(here, "../../../elsewhere/a.xml"))`)).toHaveLength(1);
    expect(climbsOutOf("sidecar/src/partners/test-support/x.ts", `resolve(here, "../../../..")`)).toEqual([]);
    expect(climbsOutOf("sidecar/src/partners/test-support/x.ts", `resolve(here, "../../../../..")`)).toHaveLength(1);
    expect(climbsOutOf("test/x.ts", `import { a } from "../sidecar/src/a.ts";`)).toEqual([]);
    expect(climbsOutOf("bench/x.ts", `const f = "../../x";`)).toHaveLength(1);
  });

  it("every real fixture folder says where its files came from", () => {
    for (const dir of ["test/fixtures/partners", "test/fixtures/odoo-jsonrpc"]) {
      expect(readFileSync(join(root, dir, "SOURCES.md"), "utf8")).toMatch(/come from/);
    }
  });
});
