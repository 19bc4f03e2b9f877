import type { CarrierIdentification, DecodedInbound, ShipmentLine, ShipmentLot, ShipmentPortion, SupplierShipmentNoticed } from "../events/inbound.ts";
import { fail } from "../result.ts";
import { attrOf, children, descend, descendAll, requireAttr, requireChild, requireQuantityAttr, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";
import { commentsOf, documentRef, lineNumberAttr, optionalTimeAttr, requireTimeAttr, requireUnit, supplierPartOf, type CxmlDecodeOptions } from "./common.ts";
import type { CxmlEnvelope } from "./envelope.ts";

/**
 * cXML ShipNoticeRequest (advance shipping notice), per Fulfill.dtd 1.2.063. One notice may
 * cover several orders (one ShipNoticePortion each); a header-only notice (no items) is kept
 * as "lines unknown" rather than read as "everything shipped".
 */

function enumAttr<T extends string>(element: XmlElement, name: string, allowed: readonly T[]): T | null {
  const value = attrOf(element, name);
  if (value === undefined) return null;
  if (!(allowed as readonly string[]).includes(value)) {
    fail("unknown_code", `${name} "${value.slice(0, 30)}" is not one of ${allowed.join(", ")}`, { path: `${element.path}@${name}`, line: element.line });
  }
  return value as T;
}

function readCarrier(controls: XmlElement[]): CarrierIdentification | null {
  const identifiers = controls.flatMap((c) =>
    children(c, "CarrierIdentifier").map((id) => ({ domain: attrOf(id, "domain") ?? "", value: textOf(id) ?? "" })),
  );
  if (identifiers.length === 0) return null;
  const byDomain = (domain: string) => identifiers.find((i) => i.domain.toLowerCase() === domain.toLowerCase())?.value || null;
  return { name: byDomain("companyName"), scac: byDomain("SCAC"), identifiers };
}

function readItem(item: XmlElement, options: CxmlDecodeOptions): ShipmentLine {
  const lineNumber = lineNumberAttr(item);
  const lots: ShipmentLot[] = children(item, "Batch").flatMap((batch) => {
    const lot = textOf(descend(batch, "SupplierBatchID")) ?? textOf(descend(batch, "BuyerBatchID"));
    return lot ? [{ lot, expiry_date: attrOf(batch, "expirationDate") ?? null, best_before_date: null }] : [];
  });
  const serials = [...descendAll(item, "SerialNumberInfo/SerialNumber"), ...children(item, "SerialNumber")]
    .map((s) => textOf(s))
    .filter((s): s is string => s !== undefined);
  const handlingUnits = descendAll(item, "Packaging/ShippingContainerSerialCode")
    .map((s) => textOf(s))
    .filter((s): s is string => s !== undefined);
  return {
    line_number: lineNumber,
    order_line_ref: String(lineNumber),
    partner_line_id: attrOf(item, "shipNoticeLineNumber") ?? null,
    supplier_part: supplierPartOf(item),
    buyer_part: textOf(descend(item, "ItemID/BuyerPartID")) ?? null,
    gtin: null,
    description: textOf(descend(item, "ShipNoticeItemDetail/Description")) ?? null,
    quantity: requireQuantityAttr(item, "quantity"),
    uom: requireUnit(item, options.units),
    lots,
    serials,
    outstanding_quantity: null,
    outstanding_reason: null,
    handling_units: handlingUnits,
  };
}

function readPortion(portion: XmlElement, options: CxmlDecodeOptions): ShipmentPortion {
  const orderReference = requireChild(portion, "OrderReference");
  const items = children(portion, "ShipNoticeItem");
  return {
    po_number: requireAttr(orderReference, "orderID"),
    order_message_ref: documentRef(orderReference),
    lines_known: items.length > 0,
    lines: items.map((i) => readItem(i, options)),
  };
}

export function decodeShipNoticeRequest(envelope: CxmlEnvelope, request: XmlElement, options: CxmlDecodeOptions = {}): DecodedInbound {
  const header = requireChild(request, "ShipNoticeHeader");
  const shipmentId = requireAttr(header, "shipmentID");
  const operation = enumAttr(header, "operation", ["new", "update", "delete"] as const) ?? "new";
  const noticeDate = requireTimeAttr(header, "noticeDate");
  const controls = children(request, "ShipControl");
  const tracking = controls.flatMap((c) =>
    children(c, "ShipmentIdentifier").flatMap((s) => {
      const number = textOf(s);
      return number ? [{ number, url: attrOf(s, "trackingURL") ?? null }] : [];
    }),
  );
  const data: SupplierShipmentNoticed = {
    shipment_id: shipmentId,
    operation,
    previous_document_ref: documentRef(header),
    notice_date: noticeDate,
    shipment_date: optionalTimeAttr(header, "shipmentDate"),
    delivery_date: optionalTimeAttr(header, "deliveryDate"),
    estimated_delivery: null,
    shipment_type: enumAttr(header, "shipmentType", ["actual", "planned"] as const),
    fulfillment: enumAttr(header, "fulfillmentType", ["partial", "complete"] as const),
    carrier: readCarrier(controls),
    tracking_numbers: tracking,
    gross_weight: null,
    note: commentsOf(header),
    portions: children(request, "ShipNoticePortion").map((p) => readPortion(p, options)),
  };
  return {
    type: "supplier.shipment_noticed",
    data,
    messageId: envelope.messageId,
    messageIdSource: envelope.messageIdSource,
    testMode: envelope.testMode,
    subjectRef: shipmentId,
    occurredAt: noticeDate.utc ?? envelope.timestamp?.utc ?? null,
    format: "cxml",
  };
}
