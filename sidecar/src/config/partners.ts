import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, describeIssues } from "./env.ts";
import { BATCHING_FORMATS, cxmlSectionSchema, easypostSectionSchema, encodableTypes, natsSectionSchema, OUTBOUND_EVENT_TYPES, resolveWire, ublSectionSchema, type Wire } from "./formats.ts";
import { inboundSchema, resolveInbound, type InboundSettings } from "./inbound.ts";
import { resolveSecret, secretRef } from "./secrets.ts";

export { resolveSecret, secretRef };

/**
 * The partners file: who receives which events, where, in which format, at what pace.
 * Secrets are references (`env:NAME` or `file:/path`), resolved at start, so the file itself
 * can be committed to a deployment repository without leaking anything.
 */
export const partnerCodeSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, _ . - (max 64)");

const retrySchema = z
  .object({
    /** Waits between attempts, in ms. Default in the spirit of Standard Webhooks: seconds to hours. */
    schedule_ms: z
      .array(z.number().int().positive())
      .min(1)
      .default([5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000]),
    /** Full jitter fraction applied to each wait (0.2 = +-20%). */
    jitter: z.number().min(0).max(1).default(0.2),
    /** A delivery older than this is dead, whatever attempts remain. Default 3 days. */
    max_age_ms: z.number().int().positive().default(3 * 24 * 3_600_000),
    /**
     * Quick in-process retries (p-retry, 200 ms then x3 with jitter, each through the rate
     * limit) of a transient failure before the durable schedule takes over. Off by default:
     * the schedule's first wait is already short, and a struggling partner is better left alone.
     */
    quick_retries: z.number().int().min(0).max(5).default(0),
  })
  .strict();

const limitsSchema = z
  .object({
    /** Requests in flight to this partner at once. */
    concurrency: z.number().int().min(1).max(256).default(4),
    /** At most `requests` started per `per_ms` window (strict: no burst ever exceeds it). */
    rate: z
      .object({ requests: z.number().int().min(1), per_ms: z.number().int().min(1) })
      .strict()
      .default({ requests: 20, per_ms: 1000 }),
    timeout_ms: z.number().int().min(100).max(300_000).default(10_000),
    /** Consecutive failures that open the circuit; while open one probe is sent per cooldown. */
    breaker_threshold: z.number().int().min(1).default(5),
    breaker_cooldown_ms: z.number().int().min(100).default(30_000),
  })
  .strict();

const subscriptionsSchema = z
  .object({
    event_types: z.array(z.string().regex(/^[a-z_]+\.[a-z_]+$/)).min(1),
    /** Routing codes (vendor / carrier partner codes set in Odoo) this partner handles; "*" for all. Default: its own code. */
    partner_codes: z.array(z.union([partnerCodeSchema, z.literal("*")])).optional(),
  })
  .strict();

export const partnerSchema = z
  .object({
    code: partnerCodeSchema,
    name: z.string().min(1).optional(),
    /** What we send this partner: canonical JSON (signed), cXML, UBL (Peppol BIS 3), EasyPost bookings, or every event to NATS JetStream (the event backbone). */
    format: z.enum(["canonical", "cxml", "ubl", "easypost", "nats"]).default("canonical"),
    /**
     * Outbound (what we send): endpoint and subscriptions go together, with what the format
     * authenticates with (signing_secrets for canonical and Standard-Webhooks UBL, the cxml,
     * ubl or easypost section). A partner that only sends us news (a carrier's tracking
     * webhooks) leaves them out and has an `inbound` section.
     */
    /** An http(s) URL; for format nats a `nats://` or `tls://` server URL (credentials in the nats section, not in the URL). */
    endpoint: z.url({ protocol: /^(https?|nats|tls)$/ }).optional(),
    /** Standard Webhooks secrets (whsec_...); several during a key rotation, all sign. */
    signing_secrets: z.array(secretRef).min(1).max(4).optional(),
    /** cXML: identities, shared secret, deployment mode, bill-to (format cxml). */
    cxml: cxmlSectionSchema.optional(),
    /** Peppol BIS 3: the buyer's and seller's endpoint ids, and how the access point authenticates us (format ubl). */
    ubl: ublSectionSchema.optional(),
    /** EasyPost: API key, carrier accounts, service, label format (format easypost). */
    easypost: easypostSectionSchema.optional(),
    /** NATS JetStream: stream, subject prefix, dedupe window, login (format nats; every key has a default). */
    nats: natsSectionSchema.optional(),
    subscriptions: subscriptionsSchema.optional(),
    limits: limitsSchema.default(limitsSchema.parse({})),
    retry: retrySchema.default(retrySchema.parse({})),
    /**
     * immediate: one request per event, as soon as it is due (default).
     * batched: up to `max_events` events in one request, sent when full or when the oldest
     * has waited `max_wait_ms`, for partners that prefer fewer, larger requests.
     */
    delivery: z
      .discriminatedUnion("mode", [
        z.object({ mode: z.literal("immediate") }).strict(),
        z.object({ mode: z.literal("batched"), max_events: z.number().int().min(2).max(1000), max_wait_ms: z.number().int().min(0).max(86_400_000) }).strict(),
      ])
      .default({ mode: "immediate" }),
    /** Scheduled delivery: attempts only inside this daily window (e.g. a cost-sensitive exchange at night). */
    window: z
      .object({
        start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
        end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
        time_zone: z
          .string()
          .default("UTC")
          .refine((tz) => {
            try {
              new Intl.DateTimeFormat("en-US", { timeZone: tz });
              return true;
            } catch {
              return false;
            }
          }, "unknown IANA time zone"),
      })
      .strict()
      .refine((w) => w.start !== w.end, "start and end must differ")
      .optional(),
    enabled: z.boolean().default(true),
    /**
     * Business attention (docs/operations.md): this partner's own bounds, over ODC_ATTENTION_ACK_MS
     * and ODC_ATTENTION_MILESTONE_MS. A supplier that answers within the hour gets
     * `acknowledge_within_ms: 3600000`; a carrier whose first scan comes next morning a longer
     * `milestone_within_ms` (matched on the carrier code the shipment carries).
     */
    attention: z
      .object({
        acknowledge_within_ms: z.number().int().min(1).max(90 * 86_400_000).optional(),
        milestone_within_ms: z.number().int().min(1).max(90 * 86_400_000).optional(),
      })
      .strict()
      .optional(),
    /** What this partner posts to `POST /inbound/<code>` (README "Inbound"). */
    inbound: inboundSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const section of ["cxml", "ubl", "easypost", "nats"] as const) {
      if (p[section] !== undefined && p.format !== section) ctx.addIssue({ code: "custom", path: [section], message: `only for format ${section} (this partner's format is ${p.format})` });
    }
    const signs = p.format === "canonical" || (p.format === "ubl" && p.ubl?.auth !== "bearer");
    if (!signs && p.signing_secrets !== undefined) ctx.addIssue({ code: "custom", path: ["signing_secrets"], message: `not used by format ${p.format}${p.format === "ubl" ? " with auth bearer" : ""}` });
    if (p.endpoint !== undefined && URL.canParse(p.endpoint)) {
      const scheme = new URL(p.endpoint).protocol;
      const natsUrl = scheme === "nats:" || scheme === "tls:";
      if (p.format === "nats" && !natsUrl) ctx.addIssue({ code: "custom", path: ["endpoint"], message: `partner ${p.code}: format nats needs a nats:// or tls:// server URL` });
      if (p.format !== "nats" && natsUrl) ctx.addIssue({ code: "custom", path: ["endpoint"], message: `partner ${p.code}: a ${scheme}// endpoint is for format nats; format ${p.format} needs http(s)` });
      if (natsUrl && /^[a-z]+:\/\/[^/]*@/i.test(p.endpoint)) ctx.addIssue({ code: "custom", path: ["endpoint"], message: `partner ${p.code}: no credentials in the URL; give nats.user and nats.password, nats.token or nats.credentials (secret references)` });
    }
    // The nats section is optional: each of its keys has a default.
    const section = p.format !== "canonical" && p.format !== "nats" ? { [p.format]: p[p.format] } : {};
    const outbound = { endpoint: p.endpoint, subscriptions: p.subscriptions, ...(signs ? { signing_secrets: p.signing_secrets } : {}), ...section };
    const names = Object.keys(outbound).join(", ");
    const given = Object.values(outbound).filter((v) => v !== undefined).length;
    if (given === 0 && !p.inbound) ctx.addIssue({ code: "custom", path: ["endpoint"], message: `required, but not set (give ${names}, or leave them out and give an inbound section)` });
    else if (given > 0 && given < Object.keys(outbound).length) {
      for (const [field, value] of Object.entries(outbound)) if (value === undefined) ctx.addIssue({ code: "custom", path: [field], message: `required with ${names} (format ${p.format})` });
    }
    const encodable = encodableTypes(p.format);
    p.subscriptions?.event_types.forEach((type, i) => {
      if (encodable && !encodable.includes(type)) {
        ctx.addIssue({ code: "custom", path: ["subscriptions", "event_types", i], message: `partner ${p.code}: format ${p.format} cannot send ${type} (it sends ${encodable.join(", ")})` });
      }
    });
    if (p.delivery.mode === "batched" && !BATCHING_FORMATS.has(p.format)) {
      ctx.addIssue({ code: "custom", path: ["delivery", "mode"], message: `partner ${p.code}: format ${p.format} carries one event per request; batched delivery is for ${[...BATCHING_FORMATS].join(", ")}` });
    }
  });

export const partnersFileSchema = z
  .object({ partners: z.array(partnerSchema).max(500) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.partners.forEach((p, i) => {
      if (seen.has(p.code)) ctx.addIssue({ code: "custom", path: ["partners", i, "code"], message: `duplicate partner code ${p.code}` });
      seen.add(p.code);
    });
  });

export type PartnerConfig = z.infer<typeof partnerSchema>;

export interface Partner extends Omit<PartnerConfig, "signing_secrets" | "endpoint" | "subscriptions" | "inbound" | "cxml" | "ubl" | "easypost" | "nats"> {
  /** False for a partner that only posts to us: it has no endpoint and receives nothing. */
  outbound: boolean;
  /** Empty when `outbound` is false. */
  endpoint: string;
  subscriptions: z.infer<typeof subscriptionsSchema>;
  /** Resolved secret values. Never logged. */
  signingSecrets: string[];
  /** How requests are encoded and authenticated (resolved secrets; never logged); null when `outbound` is false. */
  wire: Wire | null;
  /** Inbound settings with resolved secrets, or null when the partner posts nothing to us. */
  inbound: InboundSettings | null;
}


/** The code of the backbone partner `ODC_NATS_URL` adds. */
export const NATS_ENV_PARTNER = "NATS";

/**
 * `ODC_NATS_URL` set: the event backbone as one more partner, `NATS` (format nats, stream
 * ODC, subjects odc.v1.<type>), subscribed to every outbound event type of every vendor and
 * carrier. A partners file that already has a partner coded NATS is refused: configure the
 * backbone in one place.
 */
function withEnvBackbone(raw: unknown, env: Record<string, string | undefined>): unknown {
  const url = env.ODC_NATS_URL;
  if (!url) return raw;
  const partners = (raw as { partners?: unknown } | null)?.partners;
  if (!Array.isArray(partners)) return raw;
  if (partners.some((p) => (p as { code?: unknown } | null)?.code === NATS_ENV_PARTNER)) {
    throw new ConfigError([`ODC_NATS_URL: the partners file already has a partner ${NATS_ENV_PARTNER}; configure the backbone there (format nats) or unset ODC_NATS_URL`]);
  }
  let parsedUrl: URL | null = null;
  try {
    parsedUrl = new URL(url);
  } catch {
    // reported below
  }
  if (!parsedUrl || !/^(nats|tls):$/.test(parsedUrl.protocol)) throw new ConfigError(["ODC_NATS_URL: must be a nats:// or tls:// URL, e.g. nats://127.0.0.1:4222"]);
  if (parsedUrl.username || parsedUrl.password) throw new ConfigError(["ODC_NATS_URL: no credentials in the URL; configure a partner with format nats and a nats section instead"]);
  const backbone = { code: NATS_ENV_PARTNER, name: "Event backbone (NATS JetStream)", format: "nats", endpoint: url, subscriptions: { event_types: [...OUTBOUND_EVENT_TYPES], partner_codes: ["*"] } };
  return { ...(raw as object), partners: [...partners, backbone] };
}

export function parsePartners(raw: unknown, env: Record<string, string | undefined>): Partner[] {
  const parsed = partnersFileSchema.safeParse(withEnvBackbone(raw, env));
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, "ODC_PARTNERS_FILE: "));
  return parsed.data.partners.map((p, i) => {
    const { signing_secrets = [], endpoint, subscriptions, inbound, cxml, ubl, easypost, nats, ...rest } = p;
    const signingSecrets = signing_secrets.map((ref, j) => {
      const value = resolveSecret(ref, `ODC_PARTNERS_FILE: partners.${i}.signing_secrets.${j}`, env);
      if (!/^whsec_[A-Za-z0-9+/=]{16,}$/.test(value)) {
        throw new ConfigError([`ODC_PARTNERS_FILE: partners.${i}.signing_secrets.${j}: must be a Standard Webhooks secret (whsec_ + base64)`]);
      }
      return value;
    });
    return {
      ...rest,
      outbound: endpoint !== undefined,
      endpoint: endpoint ?? "",
      subscriptions: subscriptions ?? { event_types: [] },
      signingSecrets,
      wire: endpoint === undefined ? null : resolveWire({ format: p.format, signingSecrets, cxml, ubl, easypost, nats, inboundUnits: inbound?.units }, `ODC_PARTNERS_FILE: partners.${i}`, (ref, field) => resolveSecret(ref, field, env)),
      inbound: inbound ? resolveInbound(inbound, `ODC_PARTNERS_FILE: partners.${i}.inbound`, (ref, field) => resolveSecret(ref, field, env)) : null,
    };
  });
}

export function loadPartnersFile(path: string, env: Record<string, string | undefined>): Partner[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`ODC_PARTNERS_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`ODC_PARTNERS_FILE: ${path} is not valid JSON (${(err as Error).message})`]);
  }
  return parsePartners(raw, env);
}

/** The routing code an event carries: the vendor's or the carrier's partner code set in Odoo. */
export function routingCodeOf(event: { data?: unknown }): string | null {
  const data = (event.data ?? {}) as Record<string, { partner_code?: unknown } | undefined>;
  for (const key of ["vendor", "carrier", "partner"]) {
    const code = data[key]?.partner_code;
    if (typeof code === "string" && code) return code;
  }
  return null;
}

/** Partners subscribed to an event, by type and routing code. */
export function partnersFor(partners: readonly Partner[], event: { type: string; data?: unknown }): Partner[] {
  const code = routingCodeOf(event);
  return partners.filter((p) => {
    if (!p.enabled || !p.outbound || !p.subscriptions.event_types.includes(event.type)) return false;
    const codes = p.subscriptions.partner_codes ?? [p.code];
    return codes.includes("*") || (code !== null && codes.includes(code));
  });
}
