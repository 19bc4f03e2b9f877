import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServeConfig, ServeReady } from "../simulator/serve.ts";
import type { AcceptedSummary } from "./accepted.ts";

/** Separate processes for tests and benchmarks that kill the sidecar: simulator and `odc serve`. */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** What the simulator's /control/progress answers: outbox rows by state, each partner's counts. */
export interface SimulatorProgress {
  outbox: Record<string, number> & { total: number };
  partners: Record<string, { requests: number; accepted: number; unique: number }>;
}

/** A partner as the simulator's /control/state shows it: what it accepted, and what it never got. */
export interface SimulatorPartnerState extends AcceptedSummary {
  requests: number;
  missing: number;
  missing_sample: string[];
}

/** A free loopback port (the sidecar needs a known port across restarts). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

export interface SimulatorProcess {
  ready: ServeReady;
  proc: ChildProcess;
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Starts test/simulator/serve.ts in its own process and waits for its ready line. */
export async function spawnSimulator(config: ServeConfig): Promise<SimulatorProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/simulator/serve.ts"), JSON.stringify(config)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = await new Promise<ServeReady>((resolveReady, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const nl = buffer.indexOf("\n");
      if (nl < 0) return;
      proc.stdout!.off("data", onData);
      try {
        resolveReady(JSON.parse(buffer.slice(0, nl)) as ServeReady);
      } catch (err) {
        reject(err);
      }
    };
    proc.stdout!.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`simulator exited (${code}) before it was ready`)));
  });
  proc.stdout!.resume();
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${ready.control}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}) });
    const answer = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  return {
    ready,
    proc,
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000).unref())]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    },
  };
}

export interface SidecarProcess {
  proc: ChildProcess;
  url: string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface SidecarProcessOptions {
  sim: ServeReady;
  port: number;
  dbPath: string;
  partnersFile: string;
  nudgeSecret: string;
  env?: Record<string, string>;
  /** File the sidecar's stdout and stderr are appended to (default: inherited). */
  logFile?: string;
  /** Arguments to node (default: bin/odc.mjs serve, the sources through tsx as `npm start` runs them). */
  command?: string[];
}

/** Starts `node bin/odc.mjs serve` and waits until /healthz answers. */
export async function spawnSidecar(options: SidecarProcessOptions, readyTimeoutMs = 30_000): Promise<SidecarProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ODOO_URL: options.sim.odoo.url,
    ODOO_DB: options.sim.odoo.db,
    ODOO_USER: options.sim.odoo.login,
    ODOO_API_KEY: options.sim.odoo.apiKey,
    ODC_NUDGE_SECRET: options.nudgeSecret,
    ODC_PARTNERS_FILE: options.partnersFile,
    ODC_DB_PATH: options.dbPath,
    ODC_HOST: "127.0.0.1",
    ODC_PORT: String(options.port),
    ODC_LOG_LEVEL: "warn",
    ...options.env,
  };
  const out = options.logFile ? openSync(options.logFile, "a") : "inherit";
  const proc = spawn(process.execPath, options.command ?? [join(ROOT, "bin/odc.mjs"), "serve"], { cwd: ROOT, env, stdio: ["ignore", out, out] });
  if (typeof out === "number") closeSync(out);
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const url = `http://127.0.0.1:${options.port}`;
  const until = Date.now() + readyTimeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`sidecar exited with ${proc.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      proc.kill("SIGKILL");
      throw new Error("sidecar did not become ready");
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    proc,
    url,
    exited,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      await exited;
    },
  };
}

/** Writes a partners file for one canonical partner whose secret comes from the environment. */
export function writePartnersFile(path: string, partners: Record<string, unknown>[]): void {
  writeFileSync(path, JSON.stringify({ partners }, null, 2));
}

/** VmRSS of a process, in bytes (Linux). */
export async function rssBytes(pid: number): Promise<number | null> {
  const { readFile } = await import("node:fs/promises");
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
