import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { Sidecar } from "../../sidecar/src/service.ts";
import { OdooSimulator } from "../simulator/odoo.ts";
import { PartnerReceiver, type PartnerFault } from "../simulator/partner.ts";
import { NUDGE_SECRET, PARTNER_SECRET } from "../support/harness.ts";
import { ROOT } from "../support/processes.ts";

export const ADMIN_TOKEN = "admin-token-for-ops-tests-0123456789";
export const READ_TOKEN = "read-token-for-ops-tests-0123456789";

/**
 * The Odoo simulator, two canonical partners on loopback (WOODCORNER and a control partner
 * CONTROL subscribed to the same events) and a real sidecar that can be restarted on the same
 * store.
 */
export interface OpsStack {
  odoo: OdooSimulator;
  wood: PartnerReceiver;
  control: PartnerReceiver;
  sidecar: Sidecar;
  url: string;
  dir: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
  admin(path: string, init?: RequestInit, token?: string): Promise<Response>;
}

export async function startOpsStack(
  options: { env?: Record<string, string>; woodFault?: (n: number, id: string) => PartnerFault | null; woodOverrides?: Record<string, unknown>; /** Without the CONTROL partner. */ noControl?: boolean; /** More partners, with the secrets their references name. */ extraPartners?: unknown[]; secrets?: Record<string, string>; /** Collects the sidecar's log lines (level info). */ logLines?: string[] } = {},
): Promise<OpsStack> {
  const dir = mkdtempSync(join(tmpdir(), "odc-ops-"));
  const odoo = new OdooSimulator({ nudgeSecret: NUDGE_SECRET });
  await odoo.start();
  const wood = new PartnerReceiver([PARTNER_SECRET], options.woodFault);
  await wood.start();
  const control = new PartnerReceiver([PARTNER_SECRET]);
  await control.start();
  const env = loadEnv(
    odoo.sidecarSettings(NUDGE_SECRET, join(dir, "store.sqlite"), { ODC_POLL_INTERVAL_MS: "60000", ODC_LOG_LEVEL: "silent", ODC_ADMIN_TOKEN: ADMIN_TOKEN, ODC_READ_TOKEN: READ_TOKEN, ...options.env }),
  );
  const partners = parsePartners(
    {
      partners: [
        { code: "WOODCORNER", name: "Wood Corner", endpoint: `${wood.url}/webhooks`, signing_secrets: ["env:PARTNER_SECRET"], subscriptions: { event_types: ["purchase_order.confirmed"] }, ...options.woodOverrides },
        ...(options.noControl
          ? []
          : [{ code: "CONTROL", name: "Control", endpoint: `${control.url}/webhooks`, signing_secrets: ["env:PARTNER_SECRET"], subscriptions: { event_types: ["purchase_order.confirmed"], partner_codes: ["*"] } }]),
        ...(options.extraPartners ?? []),
      ],
    },
    { PARTNER_SECRET, ...options.secrets },
  );
  const make = async () => {
    const lines = options.logLines;
    const log = lines ? createLogger("info", { write: (line: string) => void lines.push(line) }) : createLogger(env.ODC_LOG_LEVEL);
    const sidecar = new Sidecar({ env, partners, log });
    const port = await sidecar.start();
    odoo.sidecarUrl = `http://127.0.0.1:${port}`;
    return { sidecar, url: odoo.sidecarUrl };
  };
  const stack: OpsStack = {
    odoo,
    wood,
    control,
    dir,
    ...(await make()),
    async restart() {
      await stack.sidecar.stop(1_000);
      Object.assign(stack, await make());
    },
    async stop() {
      await stack.sidecar.stop(1_000);
      await wood.stop();
      await control.stop();
      await odoo.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    admin(path, init = {}, token = ADMIN_TOKEN) {
      return fetch(`${stack.url}/admin${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers ?? {}) } });
    },
  };
  return stack;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real `odc` process (async: the sidecar under test runs in this process and must answer). */
export function odc(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, "bin/odc.mjs"), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `odc status` as IT runs it against this stack's admin API. */
export const odcStatus = (url: string): Promise<Run> => odc(["status"], { ODC_ADMIN_URL: url, ODC_ADMIN_TOKEN: ADMIN_TOKEN });
