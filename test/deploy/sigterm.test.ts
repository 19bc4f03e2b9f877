import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, freePort, spawnSidecar, spawnSimulator, writePartnersFile, type SidecarProcess, type SimulatorProcess } from "../support/processes.ts";

/**
 * What a supervisor does (systemd's `systemctl stop`, `docker stop`): SIGTERM to the PID it
 * started, which in production is `node dist/odc.mjs serve` itself (deploy/odc.service, the
 * Dockerfile's CMD). The bundle is built with the package's own build script (to a private
 * file, so a parallel `npm run build` is not disturbed), started against the Odoo simulator in
 * its own process, and sent SIGTERM while it is still delivering. It must exit 0 by itself,
 * and every event the partner took must be recorded delivered in Odoo.
 */

const PARTNER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NUDGE_SECRET = "nudge-secret-for-sigterm-tests-0123456789";
const EVENTS = 300;
/** Bounds the waits only (no assertion on duration): a hang fails instead of blocking CI. */
const EXIT_BOUND_MS = 20_000;

interface Progress {
  outbox: Record<string, number> & { total: number };
  partners: Record<string, { requests: number; accepted: number; unique: number }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SIGTERM to the production process (node dist/odc.mjs serve)", () => {
  let dir = "";
  let bundle = "";
  let sim: SimulatorProcess | null = null;
  let sidecar: SidecarProcess | null = null;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "odc-sigterm-"));
    const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const build = scripts.build!;
    expect(build).toContain("--outfile=dist/odc.mjs");
    // The build script, word for word, but to a file of this run (inside dist/ so that node
    // resolves the external packages from the project's node_modules, as dist/odc.mjs does).
    bundle = join(ROOT, "dist", `sigterm-test-${process.pid}`, "odc.mjs");
    const args = build.replace(/^esbuild\s+/, "").replace("--outfile=dist/odc.mjs", `--outfile=${relative(ROOT, bundle)}`).split(/\s+/);
    execFileSync(join(ROOT, "node_modules/.bin/esbuild"), args, { cwd: ROOT, stdio: "inherit" });
    expect(existsSync(bundle)).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await sidecar?.kill("SIGKILL");
    await sim?.stop();
    if (bundle) rmSync(join(bundle, ".."), { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("exits 0 on SIGTERM mid-drain, with what it delivered recorded in Odoo and logged as stopped", async () => {
    const port = await freePort();
    sim = await spawnSimulator({
      odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl: `http://127.0.0.1:${port}` },
      partners: [{ code: "WOODCORNER", secrets: [PARTNER_SECRET] }],
    });
    const partnersFile = join(dir, "partners.json");
    // A slow partner (20 requests a second) so that the signal lands while work is under way.
    writePartnersFile(partnersFile, [
      {
        code: "WOODCORNER",
        endpoint: `${sim.ready.partners.WOODCORNER}/webhooks`,
        signing_secrets: ["env:PARTNER_SECRET"],
        subscriptions: { event_types: ["purchase_order.confirmed"] },
        limits: { concurrency: 4, rate: { requests: 20, per_ms: 1_000 } },
      },
    ]);
    const logFile = join(dir, "sidecar.log");
    sidecar = await spawnSidecar({
      sim: sim.ready,
      port,
      dbPath: join(dir, "store.sqlite"),
      partnersFile,
      nudgeSecret: NUDGE_SECRET,
      logFile,
      env: { PARTNER_SECRET, ODC_LOG_LEVEL: "info", ODC_POLL_INTERVAL_MS: "500" },
      command: [bundle, "serve"],
    });
    const proc = sidecar.proc;
    await sim.post("/control/seed", { vendorCode: "WOODCORNER", count: EVENTS, subjects: EVENTS });
    const until = Date.now() + EXIT_BOUND_MS;
    for (;;) {
      const p = await sim.get<Progress>("/control/progress");
      if ((p.partners.WOODCORNER?.unique ?? 0) >= 10) break;
      if (Date.now() > until) throw new Error("the partner received nothing");
      await sleep(20);
    }

    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once("exit", (code, signal) => r({ code, signal })));
    expect(process.kill(proc.pid!, "SIGTERM")).toBe(true);
    const result = await Promise.race([exit, sleep(EXIT_BOUND_MS).then(() => null)]);
    if (result === null) proc.kill("SIGKILL");
    sidecar = null;
    expect(result).toEqual({ code: 0, signal: null });

    const after = await sim.get<Progress>("/control/progress");
    const delivered = after.outbox.delivered ?? 0;
    const partnerTook = after.partners.WOODCORNER!.unique;
    // It was stopped mid-drain, and nothing the partner took is left unrecorded in Odoo.
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(EVENTS);
    expect(delivered).toBe(partnerTook);
    // The rest waits in Odoo (pending or leased) for the next start: nothing is dead or lost.
    expect(after.outbox.total).toBe(EVENTS);
    expect(after.outbox.dead ?? 0).toBe(0);

    const messages = readFileSync(logFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => (JSON.parse(l) as { msg?: string; signal?: string }));
    expect(messages).toContainEqual(expect.objectContaining({ msg: "stopping", signal: "SIGTERM" }));
    expect(messages.map((m) => m.msg)).toContain("sidecar stopped");
  }, 60_000);
});
