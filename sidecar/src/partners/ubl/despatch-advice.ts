import type { DecodedInbound, ShipmentLine, ShipmentLot, ShipmentPortion, SupplierShipmentNoticed } from "../events/inbound.ts";
import { fail, type RawDocument } from "../result.ts";
import { child, children, descend, descendAll, requireChild, requireText, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";
import { dateTimeOf, idOf, itemIdentification, lineNumberFrom, periodOf, quantityOf, ublMessageId, type UblDecodeOptions } from "./common.ts";

/**
 * Peppol BIS 3 Despatch Advice (T16). Despatch line ids are the supplier's (3A, 3B), not
 * our order lines: the order line comes from `OrderLineReference/LineID`, and the order
 * from the line's own `OrderReference` when a notice covers several orders.
 */

function readLots(item: XmlElement | undefined): { lots: ShipmentLot[]; serials: string[] } {
  const instances = item ? children(item, "ItemInstance") : [];
  const lots: ShipmentLot[] = [];
  const serials: string[] = [];
  for (const instance of instances) {
    const serial = textOf(child(instance, "SerialID"));
    if (serial) serials.push(serial);
    const lotElement = child(instance, "LotIdentification");
    const lot = textOf(lotElement ? child(lotElement, "LotNumberID") : undefined);
    if (lot) {
      lots.push({
        lot,
        expiry_date: textOf(lotElement ? child(lotElement, "ExpiryDate") : undefined) ?? null,
        best_before_date: textOf(child(instance, "BestBeforeDate")) ?? null,
      });
    }
  }
  return { lots, serials };
}

function readLine(line: XmlElement, options: UblDecodeOptions): ShipmentLine & { po: string | null } {
  const delivered = quantityOf(requireChild(line, "DeliveredQuantity"), options.units);
  const outstandingElement = child(line, "OutstandingQuantity");
  const reference = child(line, "OrderLineReference");
  const orderLineRef = idOf(reference, "LineID");
  const item = child(line, "Item");
  const ids = itemIdentification(item);
  const { lots, serials } = readLots(item);
  return {
    po: idOf(reference, "OrderReference/ID"),
    line_number: lineNumberFrom(orderLineRef),
    order_line_ref: orderLineRef,
    partner_line_id: idOf(line),
    ...ids,
    quantity: delivered.value,
    uom: delivered.uom!,
    lots,
    serials,
    outstanding_quantity: outstandingElement ? quantityOf(outstandingElement, options.units, false).value : null,
    outstanding_reason: textOf(child(line, "OutstandingReason")) ?? null,
    handling_units: descendAll(line, "Shipment/TransportHandlingUnit/ID")
      .map((e) => textOf(e))
      .filter((v): v is string => v !== undefined),
  };
}

export function decodeDespatchAdvice(root: XmlElement, raw: RawDocument, options: UblDecodeOptions = {}): DecodedInbound {
  const shipmentId = requireText(root, "ID");
  const headerOrder = idOf(root, "OrderReference/ID");
  const shipment = child(root, "Shipment");
  const delivery = shipment ? child(shipment, "Delivery") : undefined;
  const estimated = periodOf(delivery ? child(delivery, "EstimatedDeliveryPeriod") : undefined);
  const grossWeight = shipment ? child(shipment, "GrossWeightMeasure") : undefined;
  const weight = grossWeight ? quantityOf(grossWeight, options.units) : null;
  const carrierName = shipment ? textOf(descend(shipment, "Consignment/CarrierParty/PartyName/Name")) : undefined;
  const tracking = delivery ? textOf(child(delivery, "TrackingID")) : undefined;

  const portions = new Map<string, ShipmentPortion>();
  for (const lineElement of children(root, "DespatchLine")) {
    const { po, ...line } = readLine(lineElement, options);
    const poNumber = po ?? headerOrder;
    if (!poNumber) fail("invalid_document", "despatch line names no order (no OrderLineReference/OrderReference/ID and no header OrderReference)", { path: lineElement.path, line: lineElement.line });
    let portion = portions.get(poNumber);
    if (!portion) {
      portion = { po_number: poNumber, order_message_ref: null, lines_known: true, lines: [] };
      portions.set(poNumber, portion);
    }
    portion.lines.push(line);
  }
  if (portions.size === 0 && headerOrder) portions.set(headerOrder, { po_number: headerOrder, order_message_ref: null, lines_known: false, lines: [] });

  const issued = dateTimeOf(root, "IssueDate", "IssueTime");
  const data: SupplierShipmentNoticed = {
    shipment_id: shipmentId,
    operation: "new",
    previous_document_ref: null,
    notice_date: issued,
    shipment_date: dateTimeOf(delivery ? child(delivery, "Despatch") : undefined, "ActualDespatchDate", "ActualDespatchTime"),
    delivery_date: estimated?.start ?? null,
    estimated_delivery: estimated,
    shipment_type: null,
    fulfillment: null,
    carrier: carrierName ? { name: carrierName, scac: null, identifiers: [{ domain: "companyName", value: carrierName }] } : null,
    tracking_numbers: tracking ? [{ number: tracking, url: null }] : [],
    gross_weight: weight && weight.uom ? { value: weight.value, uom: weight.uom } : null,
    note: children(root, "Note").map((n) => n.text.trim()).filter(Boolean).join("\n") || null,
    portions: [...portions.values()],
  };
  return {
    type: "supplier.shipment_noticed",
    data,
    ...ublMessageId(root, raw),
    testMode: false,
    subjectRef: shipmentId,
    occurredAt: issued?.utc ?? null,
    format: "ubl",
  };
}
