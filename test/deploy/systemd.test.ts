import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/processes.ts";

/** deploy/odc.service: systemd supervises node itself, so its SIGTERM reaches the sidecar. */

function unitSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw new Error(`not a setting: ${line}`);
    const key = `${section}.${line.slice(0, eq)}`;
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

describe("deploy/odc.service", () => {
  const text = readFileSync(join(ROOT, "deploy/odc.service"), "utf8");
  const unit = unitSettings(text);
  const one = (key: string) => {
    const values = unit.get(key) ?? [];
    expect(values, key).toHaveLength(1);
    return values[0]!;
  };

  it("runs node directly on the bundle (no npm, no shell between systemd and the sidecar)", () => {
    const exec = one("Service.ExecStart").split(/\s+/);
    expect(exec[0]).toMatch(/^\/.*\/node$/);
    expect(exec.slice(-2)).toEqual(["/opt/odc/dist/odc.mjs", "serve"]);
    expect(exec.some((w) => /npm|npx|sh$|tsx/.test(w))).toBe(false);
    expect(one("Service.Type")).toBe("simple");
  });

  it("stops with SIGTERM and waits longer than the sidecar's grace", () => {
    expect(one("Service.KillSignal")).toBe("SIGTERM");
    expect(Number(one("Service.TimeoutStopSec"))).toBeGreaterThan(5);
  });

  it("runs unprivileged, its store in the state directory, secrets from a file", () => {
    expect(one("Service.User")).not.toBe("root");
    expect(one("Service.StateDirectory")).toBe("odc");
    expect(unit.get("Service.Environment")).toContain("ODC_DB_PATH=/var/lib/odc/odc.sqlite");
    expect(one("Service.EnvironmentFile")).toBe("/etc/odc/odc.env");
    // A configuration error (exit 2) is not restarted in a loop.
    expect(one("Service.RestartPreventExitStatus")).toBe("2");
    expect(one("Install.WantedBy")).toBe("multi-user.target");
  });

  it("passes systemd-analyze verify where systemd is installed", () => {
    const probe = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
    if (probe.error) return; // no systemd on this machine: the checks above still ran
    const result = spawnSync("systemd-analyze", ["verify", join(ROOT, "deploy/odc.service")], { encoding: "utf8" });
    expect(result.stderr.split("\n").filter((l) => l.includes("odc.service"))).toEqual([]);
    expect(result.status).toBe(0);
  });
});
