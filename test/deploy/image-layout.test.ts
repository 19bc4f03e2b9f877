import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, freePort, spawnSimulator, type SimulatorProcess } from "../support/processes.ts";

/**
 * The image's runtime stage without Docker: a folder holding exactly what the Dockerfile's
 * final stage copies to /app (package.json, dist/ built by the package's build script, bin/,
 * contracts/, sidecar/migrations/; node_modules linked, not pruned), started as its CMD with
 * its ENV from that folder, against the Odoo simulator. It must become ready by its own
 * HEALTHCHECK command and stop with exit 0 on SIGTERM: a file the bundle reads at run time and
 * the image lacks fails here.
 */

const PARTNER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NUDGE_SECRET = "nudge-secret-for-image-tests-0123456789";
const BOUND_MS = 30_000;

function runtimeStage(): { copies: [string, string][]; env: Record<string, string>; cmd: string[]; health: string[]; workdir: string } {
  const text = readFileSync(join(ROOT, "Dockerfile"), "utf8").replace(/\\\n\s*/g, " ");
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const last = lines.map((l, i) => (l.startsWith("FROM ") ? i : -1)).filter((i) => i >= 0).at(-1)!;
  const stage = lines.slice(last + 1);
  const copies = stage.filter((l) => l.startsWith("COPY --from=build ")).map((l) => {
    const [src, dst] = l.replace("COPY --from=build ", "").split(/\s+/) as [string, string];
    return [src.replace(/^\/app\//, ""), dst.replace(/^\.\//, "")] as [string, string];
  });
  const env: Record<string, string> = {};
  for (const l of stage.filter((x) => x.startsWith("ENV "))) for (const m of l.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"|"$/g, "");
  const cmd = JSON.parse(stage.find((l) => l.startsWith("CMD "))!.slice(4)) as string[];
  const hc = stage.find((l) => l.startsWith("HEALTHCHECK "))!;
  const health = JSON.parse(hc.slice(hc.indexOf("CMD ") + 4)) as string[];
  const workdir = stage.find((l) => l.startsWith("WORKDIR "))!.slice(8);
  return { copies, env, cmd, health, workdir };
}

describe("the image's runtime stage, laid out without Docker", () => {
  let dir = "";
  let sim: SimulatorProcess | null = null;
  let proc: ChildProcess | null = null;

  afterAll(async () => {
    if (proc && proc.exitCode === null) proc.kill("SIGKILL");
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has everything the bundle reads: ready by its HEALTHCHECK, delivers, exits 0 on SIGTERM", async () => {
    const stage = runtimeStage();
    expect(stage.workdir).toBe("/app");
    dir = mkdtempSync(join(tmpdir(), "odc-image-"));
    const app = join(dir, "app");
    mkdirSync(app);
    const build = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.build!;
    for (const [src, dst] of stage.copies) {
      if (src === "node_modules") symlinkSync(join(ROOT, "node_modules"), join(app, dst));
      else if (src === "dist") {
        const args = build.replace(/^esbuild\s+/, "").replace("--outfile=dist/odc.mjs", `--outfile=${join(app, "dist/odc.mjs")}`).split(/\s+/);
        execFileSync(join(ROOT, "node_modules/.bin/esbuild"), args, { cwd: ROOT, stdio: "inherit" });
      } else cpSync(join(ROOT, src), join(app, dst), { recursive: true });
    }
    expect(stage.copies.map(([, d]) => d).sort()).toEqual(["bin", "contracts", "dist", "node_modules", "package.json", "sidecar/migrations", "sidecar/migrations-pg"]);

    const port = await freePort();
    sim = await spawnSimulator({ odoo: { nudgeSecret: NUDGE_SECRET, sidecarUrl: `http://127.0.0.1:${port}` }, partners: [{ code: "WOODCORNER", secrets: [PARTNER_SECRET] }] });
    mkdirSync(join(dir, "config"));
    mkdirSync(join(dir, "data"));
    writeFileSync(
      join(dir, "config/partners.json"),
      JSON.stringify({ partners: [{ code: "WOODCORNER", endpoint: `${sim.ready.partners.WOODCORNER}/webhooks`, signing_secrets: ["env:PARTNER_SECRET"], subscriptions: { event_types: ["purchase_order.confirmed"] } }] }),
    );
    // The image's ENV, with its absolute /data and /config moved into the temporary folder and
    // loopback instead of 0.0.0.0; the rest (.env's part) as compose's env_file gives it.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      ...stage.env,
      ODC_HOST: "127.0.0.1",
      ODC_PORT: String(port),
      ODC_DB_PATH: stage.env.ODC_DB_PATH!.replace(/^\/data\//, `${join(dir, "data")}/`),
      ODC_PARTNERS_FILE: stage.env.ODC_PARTNERS_FILE!.replace(/^\/config\//, `${join(dir, "config")}/`),
      ODOO_URL: sim.ready.odoo.url,
      ODOO_DB: sim.ready.odoo.db,
      ODOO_USER: sim.ready.odoo.login,
      ODOO_API_KEY: sim.ready.odoo.apiKey,
      ODC_NUDGE_SECRET: NUDGE_SECRET,
      PARTNER_SECRET,
      ODC_LOG_LEVEL: "warn",
    };
    expect(env.ODC_DB_PATH).not.toBe(stage.env.ODC_DB_PATH);
    expect(stage.cmd[0]).toBe("node");
    proc = spawn(process.execPath, stage.cmd.slice(1), { cwd: app, env, stdio: ["ignore", "inherit", "inherit"] });
    const exit = new Promise<number | null>((r) => proc!.once("exit", (code) => r(code)));

    const healthcheck = () => spawnSync(process.execPath, stage.health.slice(1), { env: { ODC_PORT: String(port) } }).status;
    const until = Date.now() + BOUND_MS;
    while (healthcheck() !== 0) {
      if (proc.exitCode !== null) throw new Error(`exited with ${proc.exitCode} before it was healthy`);
      if (Date.now() > until) throw new Error("never healthy");
      await new Promise((r) => setTimeout(r, 100));
    }

    const { outbox_ids } = await sim.post<{ outbox_ids: number[] }>("/control/approve", { vendorCode: "WOODCORNER", count: 2 });
    expect(outbox_ids).toHaveLength(2);
    for (;;) {
      const p = await sim.get<{ outbox: Record<string, number> }>("/control/progress");
      if ((p.outbox.delivered ?? 0) === 2) break;
      if (Date.now() > until) throw new Error(`not delivered: ${JSON.stringify(p.outbox)}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    proc.kill("SIGTERM");
    expect(await Promise.race([exit, new Promise((r) => setTimeout(() => r("hung"), BOUND_MS))])).toBe(0);
  }, 90_000);
});
