import type { LineAckStatus, OrderAckStatus } from "../vocabulary/acknowledgement.ts";
import type { ShipmentStatus } from "../vocabulary/shipment-status.ts";
import type { PartnerPeriod, PartnerTime } from "./partner-time.ts";

/**
 * Canonical inbound events: what partners tell us, in our vocabulary, whatever format they
 * wrote it in. JSON Schemas of the same shapes are in contracts/v1/events/ (with examples);
 * a test checks every decoded fixture against them.
 */

export interface Money {
  amount: number;
  currency: string | null;
}

// ---------------------------------------------------------------- supplier.order_acknowledged

export interface ItemSubstitution {
  supplier_part: string | null;
  gtin: string | null;
  description: string | null;
  /** The supplier's own line id for the substitute, when it has one (UBL SellerSubstitutedLineItem/ID). */
  partner_line_id: string | null;
}

/** One part of a line's quantity with one status: a line may be split (6 accepted + 4 backordered). */
export interface AckPortion {
  status: LineAckStatus;
  /** The partner's code for this portion (cXML ConfirmationStatus@type, UNCL1229 code). */
  partner_status: string;
  /** Null when the partner confirmed without restating a quantity ("as ordered"). */
  quantity: number | null;
  uom: string | null;
  promised_shipment_date: PartnerTime | null;
  promised_delivery: PartnerPeriod | null;
  /** Price the supplier states; Odoo compares it with the order line to detect a price change. */
  unit_price: Money | null;
  substitution: ItemSubstitution | null;
  comment: string | null;
}

export interface AckLine {
  /** Our purchase order line number; null only for a line the supplier added. */
  line_number: number | null;
  /** The supplier's own id for the line when it differs from ours (UBL LineItem/ID). */
  partner_line_id: string | null;
  /** Overall line status; with several portions, the one that needs attention (changed > rejected > backordered > unknown). */
  status: LineAckStatus;
  /** Quantity of the line as the partner restates it (cXML ConfirmationItem@quantity). */
  ordered_quantity: number | null;
  uom: string | null;
  /** Sum of stated quantities per status. */
  quantities: Partial<Record<LineAckStatus, number>>;
  portions: AckPortion[];
  supplier_part: string | null;
  note: string | null;
}

export interface SupplierOrderAcknowledged {
  po_number: string;
  /** The supplier's id of this acknowledgement (cXML confirmID, UBL OrderResponse cbc:ID). */
  partner_document_id: string | null;
  /** The supplier's sales order number (UBL cbc:SalesOrderID). */
  partner_order_id: string | null;
  status: OrderAckStatus;
  /** The partner's header code as sent (cXML ConfirmationHeader@type, UNCL4343 or legacy UNCL1225 code). */
  partner_status: string;
  /** `update` replaces everything a previous acknowledgement said (cXML operation="update"). */
  operation: "new" | "update";
  version: number | null;
  /** Reference to the acknowledgement this one replaces (cXML header DocumentReference@payloadID). */
  previous_document_ref: string | null;
  /** The partner's pointer to our order message; a secondary check only, partners send garbage here. */
  order_message_ref: string | null;
  issued_at: PartnerTime | null;
  currency: string | null;
  promised_delivery: PartnerPeriod | null;
  note: string | null;
  lines: AckLine[];
}

// ---------------------------------------------------------------- supplier.shipment_noticed

export interface ShipmentLot {
  lot: string;
  expiry_date: string | null;
  best_before_date: string | null;
}

export interface ShipmentLine {
  /** Our order line number when the partner gave one we can read as a number. */
  line_number: number | null;
  /** The order line reference as the partner wrote it. */
  order_line_ref: string | null;
  /** The partner's own line id in the notice; not our line number (UBL splits line 3 into 3A/3B). */
  partner_line_id: string | null;
  supplier_part: string | null;
  buyer_part: string | null;
  gtin: string | null;
  description: string | null;
  quantity: number;
  uom: string;
  lots: ShipmentLot[];
  serials: string[];
  /** Quantity still to come for this line (backorder), when the partner says so. */
  outstanding_quantity: number | null;
  outstanding_reason: string | null;
  /** Handling unit ids (SSCC, package ids) the line travels in. */
  handling_units: string[];
}

export interface ShipmentPortion {
  po_number: string;
  order_message_ref: string | null;
  /**
   * False for a header-level notice that names the order but lists no items: whether the
   * whole order shipped is unknown, and must not be assumed.
   */
  lines_known: boolean;
  lines: ShipmentLine[];
}

export interface CarrierIdentification {
  name: string | null;
  scac: string | null;
  identifiers: { domain: string; value: string }[];
}

export interface SupplierShipmentNoticed {
  shipment_id: string;
  operation: "new" | "update" | "delete";
  previous_document_ref: string | null;
  notice_date: PartnerTime | null;
  shipment_date: PartnerTime | null;
  delivery_date: PartnerTime | null;
  estimated_delivery: PartnerPeriod | null;
  shipment_type: "actual" | "planned" | null;
  fulfillment: "partial" | "complete" | null;
  carrier: CarrierIdentification | null;
  tracking_numbers: { number: string; url: string | null }[];
  gross_weight: { value: number; uom: string } | null;
  note: string | null;
  portions: ShipmentPortion[];
}

// ---------------------------------------------------------------- carrier events

export type CarrierAggregator = "easypost" | "shippo" | "aftership" | "shipengine";

export interface CarrierShipmentBooked {
  aggregator: CarrierAggregator;
  partner_shipment_id: string | null;
  /** Our reference as echoed by the aggregator (the picking name we sent). */
  reference: string | null;
  carrier: string | null;
  service: string | null;
  tracking_numbers: string[];
  labels: { url: string; format: string | null }[];
  rate: Money | null;
  test_mode: boolean;
}

export interface TrackingLocation {
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
}

export interface CarrierTrackingUpdated {
  aggregator: CarrierAggregator;
  /** Carrier as the aggregator names it (`FedEx`, `fedex`, `shippo`); null when it did not say. */
  carrier: string | null;
  tracking_number: string;
  status: ShipmentStatus;
  /** The aggregator's code as sent. */
  partner_status: string;
  status_detail: string | null;
  /** When the latest scan happened (compare before applying: never regress a terminal state). */
  occurred_at: PartnerTime | null;
  estimated_delivery: PartnerTime | null;
  location: TrackingLocation | null;
  test_mode: boolean;
  partner_message_id: string | null;
  partner_tracker_id: string | null;
  /** Our reference when the aggregator echoes it (Shippo metadata, AfterShip order id). */
  reference: string | null;
  signed_by: string | null;
  public_url: string | null;
}

// ---------------------------------------------------------------- supplier.document_status

export interface SupplierDocumentStatus {
  /** Our message the status is about (cXML DocumentReference@payloadID). */
  document_ref: string | null;
  status_code: number;
  status_text: string | null;
  message: string | null;
  outcome: "success" | "client_error" | "server_error" | "other";
}

// ---------------------------------------------------------------- the union

export type InboundEvent =
  | { type: "supplier.order_acknowledged"; data: SupplierOrderAcknowledged }
  | { type: "supplier.shipment_noticed"; data: SupplierShipmentNoticed }
  | { type: "supplier.document_status"; data: SupplierDocumentStatus }
  | { type: "carrier.shipment_booked"; data: CarrierShipmentBooked }
  | { type: "carrier.tracking_updated"; data: CarrierTrackingUpdated };

export type InboundEventType = InboundEvent["type"];

export const INBOUND_EVENT_TYPES: readonly InboundEventType[] = [
  "supplier.order_acknowledged",
  "supplier.shipment_noticed",
  "supplier.document_status",
  "carrier.shipment_booked",
  "carrier.tracking_updated",
];

/** What a decoder returns for a usable document: the event plus what the sidecar needs around it. */
export type DecodedInbound = InboundEvent & {
  /** Dedupe key: the partner's message id, or `sha256:<hex>` of the body when the partner has none. */
  messageId: string;
  messageIdSource: "partner" | "body_hash";
  testMode: boolean;
  /** The reference the envelope's subject carries (PO number, shipment id, tracking number). */
  subjectRef: string;
  /** When the document says the news happened, in UTC; null when it did not say with a zone. */
  occurredAt: string | null;
  /** Format that produced it (`cxml`, `ubl`, `easypost` ...). */
  format: string;
};
