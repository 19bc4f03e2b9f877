import { z } from "zod";
import { FORMAT_NAMES, type FormatName } from "../partners/registry.ts";
import { ConfigError } from "./env.ts";
import { secretRef } from "./secrets.ts";

/**
 * A partner's `inbound` section: what it posts to `POST /inbound/<code>`, how its requests
 * are authenticated, and how much of it we take. Documented in README "Inbound".
 *
 * ```json
 * "inbound": {
 *   "format": "easypost",
 *   "verification": { "scheme": "easypost_hmac", "secrets": ["env:EASYPOST_WEBHOOK_SECRET"] },
 *   "max_body_bytes": 1048576,
 *   "rate": { "requests": 50, "per_ms": 1000 },
 *   "test_partner": false
 * }
 * ```
 */

const secrets = z.array(secretRef).min(1).max(4);
/** Largest distance between a signed timestamp and now; older (or later) is a replay. */
const tolerance = z.number().int().min(1).max(3600).default(300);

export const VERIFICATION_SCHEMES = ["standard_webhooks", "easypost_hmac", "shippo_hmac", "aftership_hmac", "url_token", "cxml_shared_secret"] as const;
export type VerificationScheme = (typeof VERIFICATION_SCHEMES)[number];

const verificationSchema = z.discriminatedUnion("scheme", [
  /** Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature); secrets are whsec_... */
  z.object({ scheme: z.literal("standard_webhooks"), secrets, tolerance_seconds: tolerance }).strict(),
  /** EasyPost: X-Hmac-Signature: hmac-sha256-hex=<hex> over the raw body (NFKD-normalised secret). */
  z.object({ scheme: z.literal("easypost_hmac"), secrets }).strict(),
  /** Shippo (HMAC enabled by Shippo): Shippo-Auth-Signature: t=<unix>,v1=<hex>. */
  z.object({ scheme: z.literal("shippo_hmac"), secrets, tolerance_seconds: tolerance }).strict(),
  /** AfterShip: aftership-hmac-sha256 = base64 HMAC-SHA256 of the raw body. */
  z.object({ scheme: z.literal("aftership_hmac"), secrets }).strict(),
  /** A secret `?token=` in the webhook URL we registered (Shippo's baseline; ShipEngine). */
  z.object({ scheme: z.literal("url_token"), secrets }).strict(),
  /** cXML: Header/Sender/Credential/SharedSecret inside the document (and optionally its identity). */
  z
    .object({ scheme: z.literal("cxml_shared_secret"), secrets, sender_identity: z.string().min(1).max(256).optional(), sender_domain: z.string().min(1).max(64).optional() })
    .strict(),
]);

export const MAX_INBOUND_BODY_BYTES = 16 * 1024 * 1024;

/** A partner's unit codes: the code list it writes (UN/ECE Rec 20 or X12 like EA) and its own codes to Rec 20. */
export const unitsSchema = z
  .object({ standard: z.enum(["rec20", "x12"]).optional(), overrides: z.record(z.string().min(1).max(16), z.string().min(1).max(3)).optional() })
  .strict();

export const inboundSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The adapter that reads this partner's documents (sidecar/src/partners/registry.ts). */
    format: z.enum(FORMAT_NAMES),
    verification: verificationSchema,
    /** Larger bodies are refused with 413 before they are read. Default 1 MiB. */
    max_body_bytes: z.number().int().min(1024).max(MAX_INBOUND_BODY_BYTES).default(1024 * 1024),
    /** At most `requests` requests (any outcome) per sliding window of `per_ms`; above it 429 with Retry-After. */
    rate: z
      .object({ requests: z.number().int().min(1).max(1_000_000), per_ms: z.number().int().min(1).max(3_600_000) })
      .strict()
      .default({ requests: 50, per_ms: 1000 }),
    /** A test partner's test-mode documents are applied in Odoo; anyone else's are stored and never applied. */
    test_partner: z.boolean().default(false),
    /** The partner's unit codes (cXML, UBL): which code list it writes and its own codes. */
    units: unitsSchema.optional(),
    /** Tracking updates of one shipment wait this long for the rest of a burst, then go to Odoo as state changes. Default 1000. */
    coalesce_ms: z.number().int().min(0).max(60_000).default(1000),
  })
  .strict()
  .superRefine((inbound, ctx) => {
    const scheme = inbound.verification.scheme;
    if ((scheme === "cxml_shared_secret") !== (inbound.format === "cxml") && !(inbound.format === "cxml" && scheme === "url_token")) {
      ctx.addIssue({
        code: "custom",
        path: ["verification", "scheme"],
        message: inbound.format === "cxml" ? "cXML partners authenticate with cxml_shared_secret (or url_token)" : `cxml_shared_secret only applies to format cxml, not ${inbound.format}`,
      });
    }
  });

export type InboundConfig = z.infer<typeof inboundSchema>;

export interface ResolvedVerification {
  scheme: VerificationScheme;
  /** Resolved values. Never logged. */
  secrets: string[];
  toleranceSeconds: number;
  senderIdentity?: string;
  senderDomain?: string;
}

export interface InboundSettings extends Omit<InboundConfig, "verification" | "format"> {
  format: FormatName;
  verification: ResolvedVerification;
}

/** Resolves the secret references of an inbound section (and checks what each scheme needs of them). */
export function resolveInbound(config: InboundConfig, field: string, resolve: (ref: string, field: string) => string): InboundSettings {
  const v = config.verification;
  const values = v.secrets.map((ref, j) => {
    const value = resolve(ref, `${field}.verification.secrets.${j}`);
    if (v.scheme === "standard_webhooks" && !/^whsec_[A-Za-z0-9+/=]{16,}$/.test(value)) {
      throw new ConfigError([`${field}.verification.secrets.${j}: must be a Standard Webhooks secret (whsec_ + base64)`]);
    }
    if (v.scheme === "url_token" && value.length < 16) throw new ConfigError([`${field}.verification.secrets.${j}: a URL token must be at least 16 characters`]);
    return value;
  });
  const verification: ResolvedVerification = {
    scheme: v.scheme,
    secrets: values,
    toleranceSeconds: "tolerance_seconds" in v ? v.tolerance_seconds : 300,
    ...(v.scheme === "cxml_shared_secret" && v.sender_identity ? { senderIdentity: v.sender_identity } : {}),
    ...(v.scheme === "cxml_shared_secret" && v.sender_domain ? { senderDomain: v.sender_domain } : {}),
  };
  return { ...config, verification };
}
