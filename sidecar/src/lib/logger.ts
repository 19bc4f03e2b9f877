import pino, { type Logger } from "pino";

/**
 * JSON logs. Anything that could carry a secret is redacted by path, wherever it appears,
 * so a careless `log.info({ headers })` cannot leak a signature or an API key.
 */
export const REDACT_PATHS = [
  "apiKey",
  "api_key",
  "password",
  "secret",
  "secrets",
  "signingSecrets",
  "*.apiKey",
  "*.api_key",
  "*.password",
  "*.secret",
  "*.signingSecrets",
  "headers.authorization",
  "headers.cookie",
  "headers[\"webhook-signature\"]",
  "headers[\"x-connector-signature\"]",
  "headers[\"x-hmac-signature\"]",
  "headers[\"aftership-hmac-sha256\"]",
  "headers[\"shippo-auth-signature\"]",
  "*.headers.authorization",
  "*.headers[\"webhook-signature\"]",
];

const CENSOR = "[redacted]";
// The `*.` paths, done by hand: pino's redaction of wildcard paths cost two thirds of a log
// line, paid by every request (bench/README.md); the exact paths stay with pino.
const WILDCARD_KEYS = new Set(REDACT_PATHS.filter((p) => p.startsWith("*.") && !p.startsWith("*.headers")).map((p) => p.slice(2)));
const WILDCARD_HEADERS = new Set(REDACT_PATHS.filter((p) => p.startsWith("*.headers")).map((p) => p.slice("*.headers".length).replace(/^\./, "").replace(/^\["(.*)"\]$/, "$1")));

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Error);

/** `*.<key>` and `*.headers.<name>` of REDACT_PATHS, without changing the caller's objects. */
export function redactNested(object: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const key in object) {
    const value = object[key];
    if (!isPlainObject(value)) continue;
    let copy: Record<string, unknown> | null = null;
    for (const inner in value) {
      if (WILDCARD_KEYS.has(inner)) (copy ??= { ...value })[inner] = CENSOR;
      else if (inner === "headers" && isPlainObject(value.headers)) {
        let headers: Record<string, unknown> | null = null;
        for (const name of WILDCARD_HEADERS) if (name in value.headers) (headers ??= { ...value.headers })[name] = CENSOR;
        if (headers) (copy ??= { ...value }).headers = headers;
      }
    }
    if (copy) (out ??= { ...object })[key] = copy;
  }
  return out ?? object;
}

/**
 * Standard output, written asynchronously: lines logged while a write is under way go out
 * together in the next one (a busy endpoint pays one write per batch, not one per request).
 * Nothing waits for a size or a timer, and pino flushes what is left when the process exits;
 * only a SIGKILL can cut the last lines. `sync`: one write per line, each done before the
 * next line is logged (ODC_LOG_SYNC=true).
 */
export function stdoutDestination(sync = false): pino.DestinationStream {
  // At most 8 MiB wait for a stuck reader of stdout (a log collector that stopped reading):
  // past that, lines are dropped rather than the sidecar running out of memory.
  return pino.destination({ dest: 1, sync, ...(sync ? {} : { maxLength: 8 * 1024 * 1024 }) });
}

export function createLogger(level: string, destination: pino.DestinationStream = stdoutDestination()): Logger {
  const logger = pino(
    {
      level,
      base: { service: "odc" },
      redact: { paths: REDACT_PATHS.filter((p) => !p.startsWith("*.")), censor: CENSOR },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: redactNested },
    },
    destination,
  );
  // Child bindings skip formatters.log; children inherit this `child` from the root.
  type Child = (this: unknown, bindings: pino.Bindings, options?: unknown) => unknown;
  const child = logger.child as unknown as Child;
  logger.child = function (this: unknown, bindings: pino.Bindings, options?: unknown) {
    return child.call(this, redactNested(bindings), options);
  } as unknown as typeof logger.child;
  return logger;
}
