import { z } from "zod";
import { adapters, CXML_EXTRINSIC_FIELDS, type CxmlAddress, type CxmlOrderOptions, type EasypostBookingOptions, type FormatName, type UblOrderOptions } from "../partners/registry.ts";
import { ConfigError } from "./env.ts";
import { unitsSchema } from "./inbound.ts";
import { secretRef } from "./secrets.ts";

/**
 * What each outbound format needs from the partners file to speak to its partner, and how it
 * authenticates: the `cxml`, `ubl`, `easypost` and `nats` sections of a partner. Secrets are
 * references, resolved at start into the adapter's own options (`Wire`).
 */

const credential = z.object({ domain: z.string().min(1).max(64), identity: z.string().min(1).max(256) }).strict();

const address = z
  .object({
    name: z.string().min(1).max(256),
    address_id: z.string().min(1).max(128).optional(),
    deliver_to: z.array(z.string().min(1).max(256)).max(4).optional(),
    street: z.array(z.string().min(1).max(256)).min(1).max(4),
    city: z.string().min(1).max(128),
    state: z.string().min(1).max(64).optional(),
    postal_code: z.string().min(1).max(32).optional(),
    country: z.string().regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2, e.g. BE"),
    email: z.email().optional(),
  })
  .strict();

export const cxmlSectionSchema = z
  .object({
    /** Our identity (the buyer) as the supplier knows it. */
    from: credential,
    /** The supplier's identity. */
    to: credential,
    /** Who authenticates; default `from`. */
    sender: credential.optional(),
    /** Header/Sender/Credential/SharedSecret, a secret reference. */
    shared_secret: secretRef,
    deployment_mode: z.enum(["production", "test"]).default("production"),
    /** Our invoicing address when the event has none (the event's is the company's in Odoo); the cXML DTD requires one. */
    bill_to: address.optional(),
    /** The addressID the supplier knows our bill-to by, when it is not the event's. */
    bill_to_address_id: z.string().min(1).max(128).optional(),
    /** Extrinsic elements: a fixed value, or one of the event's fields (how a cXML supplier gets the incoterm). */
    extrinsics: z
      .array(z.union([z.object({ name: z.string().min(1).max(64), value: z.string().max(256) }).strict(), z.object({ name: z.string().min(1).max(64), field: z.enum(CXML_EXTRINSIC_FIELDS) }).strict()]))
      .max(20)
      .optional(),
    /** Unit codes the supplier reads; default the inbound section's, else UN/ECE Rec 20. */
    units: unitsSchema.optional(),
    /** Default ship-to when the event names none. */
    ship_to: address.optional(),
    payload_id_domain: z.string().regex(/^[A-Za-z0-9.-]{1,128}$/).optional(),
    classification: z.object({ domain: z.string().min(1).max(64), code: z.string().max(64) }).strict().optional(),
    delivery_time_zone: z.string().min(1).max(64).optional(),
  })
  .strict();

const peppolParty = z.object({
  endpoint_id: z.string().min(1).max(128),
  /** ICD/EAS scheme of the endpoint id: 0088 GLN, 0192 Norwegian org no, ... */
  endpoint_scheme: z.string().regex(/^\d{4}$/, "a four-digit ICD/EAS code such as 0088"),
  name: z.string().min(1).max(256).optional(),
});

export const ublSectionSchema = z
  .object({
    buyer: peppolParty.extend({ name: z.string().min(1).max(256) }).strict(),
    seller: peppolParty.strict(),
    profile: z.enum(["ordering", "order_only", "advanced_ordering"]).optional(),
    time_zone: z.string().min(1).max(64).optional(),
    /** Unit codes the supplier reads; default the inbound section's, else UN/ECE Rec 20. */
    units: unitsSchema.optional(),
    /** schemeID of DeliveryLocation/ID, e.g. 0088 when address ids are GLNs. */
    delivery_location_scheme: z.string().regex(/^\d{4}$/).optional(),
    /** Code-list id per classification scheme (default UNSPSC: TST). */
    classification_list_ids: z.record(z.string().min(1).max(32), z.string().min(1).max(32)).optional(),
    /** The note of an Order Cancellation. */
    cancellation_note: z.string().min(1).max(512).optional(),
    /** How the access point (or the partner) authenticates us: our Standard Webhooks signature (`signing_secrets`), or a bearer token. */
    auth: z.enum(["standard_webhooks", "bearer"]).default("standard_webhooks"),
    bearer_token: secretRef.optional(),
  })
  .strict()
  .superRefine((u, ctx) => {
    if (u.auth === "bearer" && !u.bearer_token) ctx.addIssue({ code: "custom", path: ["bearer_token"], message: "required with auth bearer" });
    if (u.auth !== "bearer" && u.bearer_token) ctx.addIssue({ code: "custom", path: ["bearer_token"], message: "only with auth bearer" });
  });

export const easypostSectionSchema = z
  .object({
    /** The EasyPost API key (HTTP basic user), a secret reference. */
    api_key: secretRef,
    /** Carrier accounts to rate with; with a service EasyPost buys the label in the same call. */
    carrier_accounts: z.array(z.string().regex(/^ca_[A-Za-z0-9]{1,64}$/, "an EasyPost carrier account id (ca_...)")).max(20).optional(),
    service: z.string().min(1).max(64).optional(),
    label_format: z.enum(["PNG", "PDF", "ZPL", "EPL2"]).optional(),
  })
  .strict();

/** A JetStream stream name: no whitespace, `.`, `*`, `>` or path separators. */
const streamName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, _ and - (max 64), e.g. ODC");
/** Subject tokens separated by dots, no wildcards: `odc.v1`. */
const subjectPrefix = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,7}$/, "dot-separated tokens of letters, digits, _ and -, no wildcards, e.g. odc.v1");

/**
 * The event backbone (format `nats`): every event published to NATS JetStream on
 * `<subject_prefix>.<event type>` with `Nats-Msg-Id` = the event id, into a stream this
 * sidecar creates (or widens) at start. README "Event backbone (NATS JetStream)".
 */
export const natsSectionSchema = z
  .object({
    stream: streamName.default("ODC"),
    subject_prefix: subjectPrefix.default("odc.v1"),
    /**
     * How long the server remembers a `Nats-Msg-Id` to drop a second publish of the same
     * event (a retry after a lost ack, a redelivery after a crash). Default 2 hours: longer
     * than the default retry schedule's first six waits, short enough that the ids held in the
     * server's memory stay small.
     */
    duplicate_window_ms: z.number().int().min(1_000).max(7 * 86_400_000).default(2 * 3_600_000),
    /** Messages older than this are removed by the server; unset: kept until removed by hand. */
    max_age_ms: z.number().int().min(60_000).optional(),
    /** File storage replicas (1 on a single server; 3 on a cluster). */
    replicas: z.number().int().min(1).max(5).default(1),
    /** How we log in to NATS (none by default): user and password, a token, or a credentials file (JWT and NKey seed). */
    user: z.string().min(1).max(256).optional(),
    password: secretRef.optional(),
    token: secretRef.optional(),
    credentials: secretRef.optional(),
  })
  .strict()
  .superRefine((n, ctx) => {
    if ((n.user === undefined) !== (n.password === undefined)) ctx.addIssue({ code: "custom", path: [n.user === undefined ? "user" : "password"], message: "user and password go together" });
    const ways = [n.user !== undefined, n.token !== undefined, n.credentials !== undefined].filter(Boolean).length;
    if (ways > 1) ctx.addIssue({ code: "custom", path: ["token"], message: "one way to log in: user and password, token, or credentials" });
    if (n.max_age_ms !== undefined && n.max_age_ms < n.duplicate_window_ms) ctx.addIssue({ code: "custom", path: ["duplicate_window_ms"], message: "must not exceed max_age_ms" });
  });

/** How we log in to NATS, with resolved secrets. Never logged. */
export type NatsAuth = { user: string; password: string } | { token: string } | { credentials: string } | null;

/** How one partner's requests are encoded and authenticated, with resolved secrets. Never logged. */
export type Wire =
  | { format: "canonical"; secrets: string[] }
  | { format: "cxml"; options: CxmlOrderOptions }
  | { format: "ubl"; options: UblOrderOptions; auth: { scheme: "standard_webhooks"; secrets: string[] } | { scheme: "bearer"; token: string } }
  | { format: "easypost"; options: EasypostBookingOptions; apiKey: string }
  | { format: "nats"; stream: string; subjectPrefix: string; duplicateWindowMs: number; maxAgeMs: number | null; replicas: number; auth: NatsAuth };

export type OutboundFormat = Wire["format"];

/** The event types an outbound format can encode; null: any canonical event. */
export function encodableTypes(format: OutboundFormat): readonly string[] | null {
  return format === "canonical" || format === "nats" ? null : adapters[format as Exclude<FormatName, "canonical">].encodes;
}

/**
 * The canonical event types Odoo's outbox emits (contracts/v1/events without the inbound
 * ones), which a backbone added by `ODC_NATS_URL` subscribes to.
 */
export const OUTBOUND_EVENT_TYPES = [
  "purchase_order.confirmed",
  "purchase_order.changed",
  "purchase_order.cancelled",
  "receipt.validated",
  "shipment.ready",
  "shipment.dispatched",
  "shipment.cancelled",
  "stock.adjusted",
] as const;

/** Formats whose one request can carry several events (batched delivery); never nats, which publishes one message per event. */
export const BATCHING_FORMATS: ReadonlySet<OutboundFormat> = new Set(["canonical"]);

const cxmlAddress = (a: z.infer<typeof address>): CxmlAddress => ({
  name: a.name,
  street: a.street,
  city: a.city,
  country: a.country,
  ...(a.address_id ? { addressId: a.address_id } : {}),
  ...(a.deliver_to ? { deliverTo: a.deliver_to } : {}),
  ...(a.state ? { state: a.state } : {}),
  ...(a.postal_code ? { postalCode: a.postal_code } : {}),
  ...(a.email ? { email: a.email } : {}),
});

interface WireInput {
  format: OutboundFormat;
  /** The inbound section's unit codes: the outbound default. */
  inboundUnits?: z.infer<typeof unitsSchema> | undefined;
  signingSecrets: string[];
  cxml?: z.infer<typeof cxmlSectionSchema> | undefined;
  ubl?: z.infer<typeof ublSectionSchema> | undefined;
  easypost?: z.infer<typeof easypostSectionSchema> | undefined;
  nats?: z.infer<typeof natsSectionSchema> | undefined;
}

/** Resolves a partner's format section into its adapter's options; `field` prefixes messages. */
export function resolveWire(p: WireInput, field: string, resolve: (ref: string, field: string) => string): Wire {
  const units = (own: z.infer<typeof unitsSchema> | undefined) => own ?? p.inboundUnits;
  const need = (section: string): never => {
    throw new ConfigError([`${field}.${section}: required for format ${p.format}`]);
  };
  switch (p.format) {
    case "canonical":
      return { format: "canonical", secrets: p.signingSecrets };
    case "cxml": {
      const c = p.cxml ?? need("cxml");
      return {
        format: "cxml",
        options: {
          from: c.from,
          to: c.to,
          ...(c.sender ? { sender: c.sender } : {}),
          sharedSecret: resolve(c.shared_secret, `${field}.cxml.shared_secret`),
          deploymentMode: c.deployment_mode,
          ...(c.bill_to ? { billTo: cxmlAddress(c.bill_to) } : {}),
          ...(c.bill_to_address_id ? { billToAddressId: c.bill_to_address_id } : {}),
          ...(c.extrinsics ? { extrinsics: c.extrinsics } : {}),
          ...(units(c.units) ? { units: units(c.units)! } : {}),
          ...(c.ship_to ? { shipTo: cxmlAddress(c.ship_to) } : {}),
          ...(c.payload_id_domain ? { payloadIdDomain: c.payload_id_domain } : {}),
          ...(c.classification ? { classification: c.classification } : {}),
          ...(c.delivery_time_zone ? { deliveryDateTimeZone: c.delivery_time_zone } : {}),
        },
      };
    }
    case "ubl": {
      const u = p.ubl ?? need("ubl");
      const party = (x: z.infer<typeof peppolParty>) => ({ endpointId: x.endpoint_id, endpointScheme: x.endpoint_scheme, ...(x.name ? { name: x.name } : {}) });
      const options: UblOrderOptions = {
        buyer: { ...party(u.buyer), name: u.buyer.name },
        seller: party(u.seller),
        ...(u.profile ? { profile: u.profile } : {}),
        ...(u.time_zone ? { timeZone: u.time_zone } : {}),
        ...(units(u.units) ? { units: units(u.units)! } : {}),
        ...(u.delivery_location_scheme ? { deliveryLocationScheme: u.delivery_location_scheme } : {}),
        ...(u.classification_list_ids ? { classificationListIds: u.classification_list_ids } : {}),
        ...(u.cancellation_note ? { cancellationNote: u.cancellation_note } : {}),
      };
      if (u.auth === "bearer") return { format: "ubl", options, auth: { scheme: "bearer", token: resolve(u.bearer_token!, `${field}.ubl.bearer_token`) } };
      if (p.signingSecrets.length === 0) throw new ConfigError([`${field}.signing_secrets: required for format ubl with auth standard_webhooks`]);
      return { format: "ubl", options, auth: { scheme: "standard_webhooks", secrets: p.signingSecrets } };
    }
    case "easypost": {
      const e = p.easypost ?? need("easypost");
      return {
        format: "easypost",
        apiKey: resolve(e.api_key, `${field}.easypost.api_key`),
        options: { ...(e.carrier_accounts ? { carrierAccountIds: e.carrier_accounts } : {}), ...(e.service ? { service: e.service } : {}), ...(e.label_format ? { labelFormat: e.label_format } : {}) },
      };
    }
    case "nats": {
      // Every key has a default: a partner with only an endpoint publishes to stream ODC on odc.v1.*.
      const n = p.nats ?? natsSectionSchema.parse({});
      const auth: NatsAuth =
        n.user !== undefined && n.password !== undefined
          ? { user: n.user, password: resolve(n.password, `${field}.nats.password`) }
          : n.token !== undefined
            ? { token: resolve(n.token, `${field}.nats.token`) }
            : n.credentials !== undefined
              ? { credentials: resolve(n.credentials, `${field}.nats.credentials`) }
              : null;
      return { format: "nats", stream: n.stream, subjectPrefix: n.subject_prefix, duplicateWindowMs: n.duplicate_window_ms, maxAgeMs: n.max_age_ms ?? null, replicas: n.replicas, auth };
    }
  }
}
