import { z } from "zod";
import { type EasypostBookingOptions, type CxmlAddress, type CxmlOrderOptions, adapters, type FormatName, type UblOrderOptions } from "../partners/registry.ts";
import { ConfigError } from "./env.ts";
import { secretRef } from "./secrets.ts";

/**
 * What each outbound format needs from the partners file to speak to its partner, and how it
 * authenticates: the `cxml`, `ubl` and `easypost` sections of a partner. Secrets are
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
    /** Our invoicing address; required by the cXML DTD. */
    bill_to: address,
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

/** How one partner's requests are encoded and authenticated, with resolved secrets. Never logged. */
export type Wire =
  | { format: "canonical"; secrets: string[] }
  | { format: "cxml"; options: CxmlOrderOptions }
  | { format: "ubl"; options: UblOrderOptions; auth: { scheme: "standard_webhooks"; secrets: string[] } | { scheme: "bearer"; token: string } }
  | { format: "easypost"; options: EasypostBookingOptions; apiKey: string };

export type OutboundFormat = Wire["format"];

/** The event types an outbound format can encode; null: any canonical event. */
export function encodableTypes(format: OutboundFormat): readonly string[] | null {
  return format === "canonical" ? null : adapters[format as Exclude<FormatName, "canonical">].encodes;
}

/** Formats whose one request can carry several events (batched delivery). */
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
  signingSecrets: string[];
  cxml?: z.infer<typeof cxmlSectionSchema> | undefined;
  ubl?: z.infer<typeof ublSectionSchema> | undefined;
  easypost?: z.infer<typeof easypostSectionSchema> | undefined;
}

/** Resolves a partner's format section into its adapter's options; `field` prefixes messages. */
export function resolveWire(p: WireInput, field: string, resolve: (ref: string, field: string) => string): Wire {
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
          billTo: cxmlAddress(c.bill_to),
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
      const options: UblOrderOptions = { buyer: { ...party(u.buyer), name: u.buyer.name }, seller: party(u.seller), ...(u.profile ? { profile: u.profile } : {}), ...(u.time_zone ? { timeZone: u.time_zone } : {}) };
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
  }
}
