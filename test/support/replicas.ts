import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import type { Partner } from "../../sidecar/src/config/partners.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { openSidecar, type Sidecar } from "../../sidecar/src/service.ts";
import type { OdooSimulator } from "../simulator/odoo.ts";
import { NUDGE_SECRET } from "./harness.ts";

export interface StartedReplica {
  name: string;
  sidecar: Sidecar;
  url: string;
  /** The replica's own SQLite file (its consumer identity is kept beside it). */
  dbPath: string;
}

/**
 * Sidecars in this process on one shared PostgreSQL store, each with its own folder under
 * `dir` and consumer id `replica-<name>`, polling rarely (a nudge or the test drives them),
 * silent, with an admin token; `env` adds or overrides settings. Started, in order.
 */
export async function startReplicas(options: { odoo: OdooSimulator; databaseUrl: string; dir: string; partners: Partner[]; adminToken: string; env?: Record<string, string>; names?: readonly string[] }): Promise<StartedReplica[]> {
  const replicas: StartedReplica[] = [];
  for (const name of options.names ?? ["A", "B"]) {
    mkdirSync(join(options.dir, name), { recursive: true });
    const dbPath = join(options.dir, name, "odc.sqlite");
    const env = loadEnv(
      options.odoo.sidecarSettings(NUDGE_SECRET, dbPath, {
        ODC_DATABASE_URL: options.databaseUrl,
        ODC_DATABASE_POOL: "3",
        ODC_CONSUMER_ID: `replica-${name}`,
        ODC_POLL_INTERVAL_MS: "60000",
        ODC_LOG_LEVEL: "silent",
        ODC_ADMIN_TOKEN: options.adminToken,
        ...options.env,
      }),
    );
    const sidecar = await openSidecar({ env, partners: options.partners, log: createLogger("silent") });
    const port = await sidecar.start();
    replicas.push({ name, sidecar, url: `http://127.0.0.1:${port}`, dbPath });
  }
  return replicas;
}
