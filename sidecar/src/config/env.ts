import { z } from "zod";

/**
 * Everything the sidecar reads from its environment, validated once at start.
 * Each setting is documented in README.md ("Configuration"), with its default.
 */
const duration = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const envSchema = z
  .object({
    /** Address the HTTP server binds to. Default loopback: the sidecar sits next to Odoo. */
    ODC_HOST: z.string().min(1).default("127.0.0.1"),
    ODC_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
    /** SQLite file of the durable store. */
    ODC_DB_PATH: z.string().min(1).default(".data/odc.sqlite"),
    /**
     * PostgreSQL store shared by several replicas (postgres://user@host:port/db); unset: the
     * SQLite store at ODC_DB_PATH, one replica.
     */
    ODC_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "a postgres:// or postgresql:// URL")
      .optional(),
    /** Connections of this replica's PostgreSQL pool. */
    ODC_DATABASE_POOL: z.coerce.number().int().min(2).max(100).default(5),
    /** How long a delivery stays leased to the replica attempting it without a renewal (PostgreSQL; renewed every third of it). */
    ODC_DELIVERY_LEASE_SECONDS: z.coerce.number().int().min(2).max(3_600).default(30),
    /** Odoo base URL, e.g. http://127.0.0.1:8069 */
    ODOO_URL: z.url({ protocol: /^https?$/ }),
    ODOO_DB: z.string().min(1),
    /** Login of the integration user (member of the addon's integration group). */
    ODOO_USER: z.string().min(1),
    /** API key of that user (Odoo: Preferences > Account Security > New API Key). */
    ODOO_API_KEY: z.string().min(1),
    /** Calls in flight to Odoo at once. Odoo 18 answers 500 "pool is full" past its db_maxconn. */
    ODOO_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    ODOO_TIMEOUT_MS: duration(30_000),
    /** Shared secret of the after-commit nudge (same value as the addon's setting). */
    ODC_NUDGE_SECRET: z.string().min(16, "must be at least 16 characters"),
    /** JSON file describing partners; see README "Partners file". */
    ODC_PARTNERS_FILE: z.string().min(1),
    /** Safety-net poll when no nudge arrives. */
    ODC_POLL_INTERVAL_MS: duration(5_000),
    ODC_CLAIM_BATCH: z.coerce.number().int().min(1).max(5000).default(500),
    ODC_LEASE_SECONDS: z.coerce.number().int().min(10).max(86_400).default(120),
    /**
     * Stable identity of this replica when claiming (default: kept next to the store, made up
     * at its first start). A restarted replica takes back at once the rows it held.
     */
    ODC_CONSUMER_ID: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "1 to 128 letters, digits or . _ : -").optional(),
    ODC_RESULT_BATCH: z.coerce.number().int().min(1).max(5000).default(1000),
    /** Pending deliveries in the store past which claiming pauses (backpressure). */
    ODC_MAX_BACKLOG: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
    /** Bearer token for the admin API (dead letters, replay). Admin API is off when unset. */
    ODC_ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    /** Bearer (or `?token=`) of the read-only status page at `/`; the admin token also opens it. */
    ODC_READ_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    /** Business attention: a confirmed PO unacknowledged this long after its delivery, a dispatched shipment with no milestone this long. */
    ODC_ATTENTION_ACK_MS: duration(24 * 3_600_000),
    ODC_ATTENTION_MILESTONE_MS: duration(24 * 3_600_000),
    /** How long the audit trail of operators' actions (pause, resume, replay) is kept. */
    ODC_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
    /** How long the state changes of each delivery and inbound document are kept (dead letters and quarantined documents: until resolved). */
    ODC_HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
    /** How often Odoo's outbox is reconciled with the store; 0: only on demand (`odc reconcile`). */
    ODC_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).max(7 * 86_400_000).default(15 * 60_000),
    /** Inbound events per `connector.inbound.apply_events` call (the addon takes at most 200). */
    ODC_INBOUND_BATCH: z.coerce.number().int().min(1).max(200).default(100),
    /** apply_events calls in flight at once (they share ODOO_CONCURRENCY with the outbox). */
    ODC_INBOUND_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
    /** Longest wait between two attempts to apply inbound events while Odoo is unreachable. */
    ODC_INBOUND_RETRY_MAX_MS: duration(60_000),
    ODC_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Write each log line before going on (default: lines logged while a write is under way go out together). */
    ODC_LOG_SYNC: z.enum(["true", "false", "1", "0"]).default("false").transform((v) => v === "true" || v === "1"),
  })
  .strict();

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** Formats zod issues as "FIELD: problem" lines so an operator sees which setting is wrong. */
export function describeIssues(error: z.ZodError, prefix = ""): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const message = issue.code === "invalid_type" && /received undefined$/.test(issue.message) ? "required, but not set" : issue.message;
    return `${prefix}${path || "(root)"}: ${message}`;
  });
}

/** Picks the known keys out of a full process environment and validates them. */
export function loadEnv(source: Record<string, string | undefined>): Env {
  const known = Object.keys(envSchema.shape);
  const picked: Record<string, string> = {};
  for (const key of known) {
    const value = source[key];
    if (value !== undefined && value !== "") picked[key] = value;
  }
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  return parsed.data;
}
