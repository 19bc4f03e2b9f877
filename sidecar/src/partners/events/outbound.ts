import { z } from "zod";
import { refuse, type Refusal } from "../result.ts";

/**
 * The outbound events the adapters encode, checked at the encoder's door: events come from
 * Odoo through the outbox and a malformed one must become a refusal, not a crash or a
 * half-filled partner document. The purchase order shape mirrors
 * contracts/v1/events/purchase_order.confirmed.schema.json (a test keeps them in step).
 */

const utcDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, "must be a UTC date-time ending in Z");

const envelopeFields = {
  id: z.string().min(1),
  version: z.literal(1),
  occurred_at: utcDateTime,
  source: z.object({ system: z.string(), database: z.string(), company: z.object({ id: z.number().int(), name: z.string() }) }),
  subject: z.object({ model: z.string(), id: z.number().int(), ref: z.string().min(1) }),
  sequence: z.number().int().min(1),
};

const nullableText = z.string().nullable();

/** A party's address in a purchase order event (ship-to, bill-to), with its stable reference. */
export const orderAddressSchema = z.object({
  id: z.string().min(1).max(128),
  name: z.string().min(1),
  company: nullableText,
  street: nullableText,
  street2: nullableText,
  city: nullableText,
  state: nullableText,
  zip: nullableText,
  country: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code").nullable(),
  phone: nullableText,
  email: nullableText,
});

export const orderContactSchema = z.object({ name: z.string().min(1), email: nullableText, phone: nullableText });

export const purchaseOrderLineSchema = z.object({
  line_number: z.number().int().min(1),
  product_code: z.string().nullable(),
  vendor_product_code: z.string().nullable(),
  description: z.string(),
  quantity: z.number().positive(),
  uom: z.string().regex(/^[A-Z0-9]{2,3}$/),
  unit_price: z.number().min(0),
  planned_date: utcDateTime.nullable().optional(),
  vendor_product_aux_code: nullableText.optional(),
  classification: z.object({ scheme: z.string().min(1).max(32), code: z.string().min(1).max(64) }).nullable().optional(),
  /** UNCL5305 VAT category and rate, when the line has exactly one percentage tax. */
  tax: z.object({ category: z.string().regex(/^[A-Z]{1,2}$/), percent: z.number().min(0) }).nullable().optional(),
  /** Where this line goes when it is not the order's ship_to. */
  ship_to: orderAddressSchema.nullable().optional(),
});

export const purchaseOrderDataSchema = z.object({
  po_number: z.string().min(1).max(64),
  vendor_reference: z.string().max(256).nullable().optional(),
  vendor: z.object({
    id: z.number().int().min(1),
    name: z.string().min(1),
    partner_code: z.string().nullable(),
    vat: z.string().nullable().optional(),
  }),
  currency: z.string().regex(/^[A-Z]{3}$/),
  order_date: utcDateTime,
  planned_date: utcDateTime.nullable(),
  amount_untaxed: z.number().optional(),
  amount_total: z.number().optional(),
  ship_to: orderAddressSchema.nullable().optional(),
  bill_to: orderAddressSchema.nullable().optional(),
  buyer: orderContactSchema.nullable().optional(),
  incoterm: z.object({ code: z.string().regex(/^[A-Z]{3}$/), location: nullableText }).nullable().optional(),
  payment_terms: z.object({ name: z.string().min(1), days: z.number().int().min(0).nullable() }).nullable().optional(),
  lines: z.array(purchaseOrderLineSchema).min(1),
});

export const PURCHASE_ORDER_EVENT_TYPES = ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"] as const;
export type PurchaseOrderEventType = (typeof PURCHASE_ORDER_EVENT_TYPES)[number];

export const purchaseOrderEventSchema = z.object({
  ...envelopeFields,
  type: z.enum(PURCHASE_ORDER_EVENT_TYPES),
  data: purchaseOrderDataSchema,
});

export type PurchaseOrderData = z.infer<typeof purchaseOrderDataSchema>;
export type PurchaseOrderLine = z.infer<typeof purchaseOrderLineSchema>;
export type OrderAddress = z.infer<typeof orderAddressSchema>;
export type OrderContact = z.infer<typeof orderContactSchema>;
export type PurchaseOrderEvent = z.infer<typeof purchaseOrderEventSchema>;

const nullableString = z.string().nullable();

/** Mirrors contracts/v1/events/shipment.ready.schema.json: fields Odoo does not have are null. */
const addressSchema = z.object({
  name: z.string().min(1),
  company: nullableString,
  street: nullableString,
  street2: nullableString,
  city: nullableString,
  state: nullableString,
  zip: nullableString,
  country: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code").nullable(),
  phone: nullableString,
  email: nullableString,
});

const rec20 = z.string().regex(/^[A-Z0-9]{2,3}$/);

const parcelSchema = z.object({
  package: nullableString,
  weight: z.number().positive().nullable(),
  /** Rec 20 weight unit (KGM or LBR, Odoo's weight setting). */
  weight_uom: rec20,
  length: z.number().positive().nullable(),
  width: z.number().positive().nullable(),
  height: z.number().positive().nullable(),
  /** Rec 20 length unit (MMT or FOT, Odoo's length setting); null when no dimension is known. */
  dimension_uom: rec20.nullable(),
});

/** `shipment.ready`: a delivery order is reserved and can be booked with a carrier. */
export const shipmentReadyDataSchema = z.object({
  picking: z.string().min(1),
  origin: nullableString,
  scheduled_date: utcDateTime.nullable(),
  carrier: z.object({ partner_code: nullableString, name: nullableString, service: nullableString }),
  ship_from: addressSchema,
  ship_to: addressSchema.nullable(),
  parcels: z.array(parcelSchema).min(1),
  lines: z.array(z.object({ product_code: nullableString, description: z.string(), quantity: z.number().positive(), uom: rec20 })),
});

export const shipmentReadyEventSchema = z.object({
  ...envelopeFields,
  type: z.literal("shipment.ready"),
  data: shipmentReadyDataSchema,
});

export type ShipmentReadyEvent = z.infer<typeof shipmentReadyEventSchema>;
export type ShipmentAddress = z.infer<typeof addressSchema>;

/** Parses an event with a schema and turns the first issue into a refusal naming the field. */
export function parseEvent<T>(schema: z.ZodType<T>, event: unknown): { ok: true; event: T } | Refusal {
  const parsed = schema.safeParse(event);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : undefined;
  return refuse("invalid_event", `event does not match its contract: ${issue?.message ?? "invalid"}`, { path });
}
