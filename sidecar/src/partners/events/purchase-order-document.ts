import type { PartnerTime } from "./partner-time.ts";

/**
 * A purchase order as written in a partner format (cXML OrderRequest, UBL Order), read back.
 * We never receive orders from partners; this exists to check our own output (round-trip
 * tests, `odc convert` on a sent document) and to read sample orders partners give us.
 */
export interface PurchaseOrderDocumentLine {
  line_number: number | null;
  supplier_part: string | null;
  buyer_part: string | null;
  gtin: string | null;
  description: string | null;
  quantity: number;
  uom: string;
  unit_price: number | null;
  requested_delivery: PartnerTime | null;
}

export interface PurchaseOrderDocument {
  po_number: string;
  operation: "new" | "update" | "delete";
  version: number | null;
  /** The message this one replaces (cXML DocumentReference@payloadID). */
  previous_message_ref: string | null;
  order_date: PartnerTime | null;
  currency: string | null;
  total: number | null;
  lines: PurchaseOrderDocumentLine[];
}
