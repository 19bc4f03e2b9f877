import pino from "pino";
import { describe, expect, it } from "vitest";
import { createLogger, REDACT_PATHS } from "./logger.ts";

/** What a logger writes, parsed. */
function capture(log: (l: pino.Logger) => void, make: (dest: pino.DestinationStream) => pino.Logger): Record<string, unknown>[] {
  const lines: string[] = [];
  log(make({ write: (s: string) => void lines.push(s) }));
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

const strip = ({ time: _t, ...rest }: Record<string, unknown>) => rest;

describe("log redaction", () => {
  const samples: Record<string, unknown>[] = [
    { apiKey: "k1", password: "p", secret: "s", secrets: ["a"], signingSecrets: ["b"], api_key: "k2" },
    { odoo: { apiKey: "k3", url: "http://x" }, partner: { secret: "s2", password: "p2", api_key: "k4", signingSecrets: ["c"], code: "ACME" } },
    { headers: { authorization: "Bearer t", cookie: "c", "webhook-signature": "v1,x", "x-connector-signature": "t=1", "x-hmac-signature": "h", "aftership-hmac-sha256": "a", "shippo-auth-signature": "s", accept: "*/*" } },
    { request: { headers: { authorization: "Bearer t2", "webhook-signature": "v1,y", accept: "json" }, id: 1 } },
    { request_id: "r", method: "POST", path: "/inbound/X", status: 202, duration_ms: 1.2 },
    { list: [{ secret: "not redacted by either: arrays are not objects" }], n: null, e: new Error("boom") },
  ];

  it("writes what pino's own redaction of REDACT_PATHS writes, for every kind of path", () => {
    const reference = (dest: pino.DestinationStream) =>
      pino({ level: "info", base: { service: "odc" }, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, dest);
    for (const sample of samples) {
      const ours = capture((l) => l.info(sample, "m"), (d) => createLogger("info", d)).map(strip);
      const theirs = capture((l) => l.info(sample, "m"), reference).map(strip);
      expect(ours).toEqual(theirs);
    }
  });

  it("never changes the caller's object, and redacts child bindings", () => {
    const sample = { partner: { secret: "s3" }, headers: { authorization: "Bearer z" } };
    const [line] = capture((l) => l.child({ odoo: { apiKey: "k" } }).info(sample, "m"), (d) => createLogger("info", d));
    expect(sample.partner.secret).toBe("s3");
    expect(sample.headers.authorization).toBe("Bearer z");
    expect(JSON.stringify(line)).not.toMatch(/s3|Bearer z|"k"/);
  });
});
