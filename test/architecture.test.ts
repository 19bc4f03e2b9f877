import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The sidecar's import graph, read with TypeScript's own pre-processor: one mechanism each,
 * each feature behind its front door, and the folders in one direction.
 *
 * - The partner adapters (`partners/`) are reached only through `partners/registry.ts`.
 * - The features `delivery/`, `inbound/` and `outbox/` are reached only through their
 *   `index.ts`; `store/` offers only the connection (`db.ts`) and the schema (`schema.ts`), and
 *   the same of its PostgreSQL dialect (`pg/db.ts`, `pg/schema.ts`).
 * - The lower folders (`lib/`, `partners/`, `contracts/`, `http/`, `odoo/`, `store/`,
 *   `config/`) import no feature.
 * - No two folders import each other, directly or round a longer loop.
 *
 * Tests, test support and the composition root (`service.ts`, `cli.ts`, `main.ts`) are not
 * held to the front doors; the demo alone may use the test simulators.
 */
const root = resolve(import.meta.dirname, "../sidecar/src");
const FRONT_DOORS: Record<string, readonly string[]> = {
  partners: ["registry.ts"],
  delivery: ["index.ts"],
  inbound: ["index.ts"],
  outbox: ["index.ts"],
  store: ["db.ts", "schema.ts", "pg/db.ts", "pg/schema.ts"],
};
const FEATURES = new Set(["delivery", "inbound", "outbox"]);
const LOWER = new Set(["lib", "partners", "contracts", "http", "odoo", "store", "config"]);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === "test-support" ? [] : sources(full);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [full] : [];
  });
}

interface Edge {
  from: string;
  to: string;
}

/** Every relative import of every source file, as paths under sidecar/src (or `../...` outside it). */
export function importsOf(files: readonly string[], read: (f: string) => string = (f) => readFileSync(f, "utf8")): Edge[] {
  return files.flatMap((file) =>
    ts
      .preProcessFile(read(file), true, true)
      .importedFiles.map((i) => i.fileName)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => ({ from: relative(root, file), to: relative(root, resolve(dirname(file), spec)) })),
  );
}

const folderOf = (path: string) => (path.includes("/") ? path.split("/")[0]! : null);

/** The rules above, as the list of edges that break them (empty: the graph is sound). */
export function violations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (to.startsWith("..")) {
      if (a !== "demo") out.push(`${from} imports ${to}, outside the sidecar`);
      continue;
    }
    if (a === b || b === null || a === null) continue;
    const doors = FRONT_DOORS[b];
    if (doors && !doors.includes(to.slice(b.length + 1))) out.push(`${from} imports ${to}: outside ${b}/, use ${doors.map((d) => `${b}/${d}`).join(" or ")}`);
    if (LOWER.has(a) && FEATURES.has(b)) out.push(`${from} imports ${to}: ${a}/ is below the features and must not reach ${b}/`);
  }
  // Folder cycles: a depth-first search over the folder graph.
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = to.startsWith("..") ? null : folderOf(to);
    if (a && b && a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b));
  }
  const state = new Map<string, "open" | "done">();
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === "done") return;
    if (state.get(node) === "open") {
      out.push(`folder cycle: ${[...path.slice(path.indexOf(node)), node].join(" -> ")}`);
      return;
    }
    state.set(node, "open");
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    state.set(node, "done");
  };
  for (const node of graph.keys()) visit(node, []);
  return out;
}

describe("the sidecar's import graph", () => {
  const files = sources(root).filter((f) => !["service.ts", "cli.ts", "main.ts"].includes(relative(root, f)));
  const edges = importsOf(files);

  it("reads the imports of every source file (the rules below have something to check)", () => {
    expect(files.length).toBeGreaterThan(80);
    expect(edges.some((e) => e.from === "inbound/admit.ts" && e.to === "partners/registry.ts")).toBe(true);
  });

  it("keeps each feature behind its front door, the lower folders below the features, and no folder cycles", () => {
    expect(violations(edges)).toEqual([]);
  });

  it("finds each kind of break it guards against", () => {
    expect(violations([{ from: "inbound/admit.ts", to: "partners/cxml/index.ts" }])).toEqual(["inbound/admit.ts imports partners/cxml/index.ts: outside partners/, use partners/registry.ts"]);
    expect(violations([{ from: "odoo/outbox.ts", to: "delivery/index.ts" }])).toContainEqual("odoo/outbox.ts imports delivery/index.ts: odoo/ is below the features and must not reach delivery/");
    expect(violations([{ from: "outbox/drain.ts", to: "store/deliveries.ts" }])).toHaveLength(1);
    expect(violations([{ from: "inbound/index.ts", to: "delivery/index.ts" }, { from: "delivery/dispatcher.ts", to: "inbound/index.ts" }])).toContainEqual("folder cycle: inbound -> delivery -> inbound");
    expect(violations([{ from: "inbound/door.ts", to: "../../test/simulator/odoo.ts" }])).toHaveLength(1);
    expect(violations([{ from: "delivery/dispatcher.ts", to: "delivery/wire.ts" }, { from: "demo/index.ts", to: "../../test/simulator/odoo.ts" }])).toEqual([]);
  });
});
