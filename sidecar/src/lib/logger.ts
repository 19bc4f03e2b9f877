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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "odc" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
