import type { AckLine, AckPortion, DecodedInbound, SupplierOrderAcknowledged } from "../events/inbound.ts";
import { fail, type RawDocument } from "../result.ts";
import { lineStatusOf, orderStatusFromLines, sumByStatus, ublLineStatusCode, ublOrderResponseCode } from "../vocabulary/acknowledgement.ts";
import { child, children, descend, requireChild, requireText, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";
import { dateTimeOf, idOf, itemIdentification, lineNumberFrom, periodOf, quantityOf, ublMessageId, unitPriceOf, type UblDecodeOptions } from "./common.ts";

/**
 * Peppol BIS 3 Order Response (T76): header `OrderResponseCode` (UNCL4343 AB/AP/RE/CA, or
 * the legacy UNCL1225 numbers 12/29/27/30 the prose guide still shows), line
 * `LineStatusCode` (UNCL1229 1/3/5/7/42), substitutions in `SellerSubstitutedLineItem`.
 */

function readLine(orderLine: XmlElement, options: UblDecodeOptions): AckLine {
  const lineItem = requireChild(orderLine, "LineItem");
  const statusElement = requireChild(lineItem, "LineStatusCode");
  const code = requireText(statusElement);
  const status = ublLineStatusCode(code);
  if (!status.ok) fail("unknown_code", status.message, { path: statusElement.path, line: statusElement.line });

  const reference = child(orderLine, "OrderLineReference");
  const lineId = idOf(reference, "LineID");
  const lineNumber = lineNumberFrom(lineId);
  if (lineNumber === null && status.value !== "added") {
    const where = reference ? child(reference, "LineID") ?? reference : orderLine;
    fail("invalid_document", lineId === null ? "OrderLineReference/LineID is missing: the line cannot be matched to our order" : `OrderLineReference/LineID "${lineId.slice(0, 30)}" is not one of our line numbers`, {
      path: where.path,
      line: where.line,
    });
  }

  const quantityElement = child(lineItem, "Quantity");
  const quantity = quantityElement ? quantityOf(quantityElement, options.units) : null;
  const substitute = child(orderLine, "SellerSubstitutedLineItem");
  const substituteItem = substitute ? child(substitute, "Item") : undefined;
  const substituteIds = itemIdentification(substituteItem);
  const main: AckPortion = {
    status: status.value,
    partner_status: code,
    quantity: quantity?.value ?? null,
    uom: quantity?.uom ?? null,
    promised_shipment_date: null,
    promised_delivery: periodOf(descend(lineItem, "Delivery/PromisedDeliveryPeriod")),
    unit_price: unitPriceOf(child(lineItem, "Price")),
    substitution: substitute
      ? { supplier_part: substituteIds.supplier_part, gtin: substituteIds.gtin, description: substituteIds.description, partner_line_id: idOf(substitute) }
      : null,
    comment: null,
  };
  const portions: AckPortion[] = [main];
  const backorder = child(lineItem, "MaximumBackorderQuantity");
  if (backorder) {
    // Peppol: the quantity the seller will deliver later. It has no unitCode of its own in the examples.
    const later = quantityOf(backorder, options.units, false);
    if (later.value > 0) {
      portions.push({ ...main, status: "backordered", partner_status: "MaximumBackorderQuantity", quantity: later.value, uom: later.uom ?? main.uom, unit_price: null, substitution: null });
    }
  }
  return {
    line_number: lineNumber,
    partner_line_id: idOf(lineItem),
    status: lineStatusOf(portions),
    ordered_quantity: null,
    uom: main.uom,
    quantities: sumByStatus(portions),
    portions,
    supplier_part: itemIdentification(child(lineItem, "Item")).supplier_part,
    note: textOf(child(lineItem, "Note")) ?? null,
  };
}

/**
 * The response lines grouped per order line. Peppol T76 lets a seller answer one order line
 * with several response lines ("It is possible to send more than one Order Response line per
 * Order line": 18 pieces on one date, 12 on another); what must be unique is the response
 * line's own `LineItem/ID` (BII2-T76-R003). Response lines about the same order line become
 * the portions of one line; a line the seller adds (code 1) stays a line of its own, even
 * when it points at the order line it relates to, because adding is not a change of ours.
 * A response line that states no quantity ("as ordered") cannot share its order line with
 * another one: the split would be ambiguous.
 */
function answeredLines(orderLines: XmlElement[], options: UblDecodeOptions): AckLine[] {
  const lines: AckLine[] = [];
  const byOrderLine = new Map<number, { line: AckLine; element: XmlElement }>();
  const responseIds = new Map<string, XmlElement>();
  for (const element of orderLines) {
    const line = readLine(element, options);
    if (line.partner_line_id !== null) {
      const earlier = responseIds.get(line.partner_line_id);
      if (earlier) {
        fail("invalid_document", `response line id ${line.partner_line_id.slice(0, 30)} is used twice (first at line ${earlier.line}); LineItem/ID must be unique`, {
          path: element.path,
          line: element.line,
        });
      }
      responseIds.set(line.partner_line_id, element);
    }
    if (line.line_number === null || line.status === "added") {
      lines.push(line);
      continue;
    }
    const earlier = byOrderLine.get(line.line_number);
    if (!earlier) {
      byOrderLine.set(line.line_number, { line, element });
      lines.push(line);
      continue;
    }
    if ([...earlier.line.portions, ...line.portions].some((p) => p.quantity === null)) {
      fail("invalid_document", `order line ${line.line_number} is answered by several response lines and one of them states no quantity (first at line ${earlier.element.line}): the split cannot be read`, {
        path: element.path,
        line: element.line,
      });
    }
    const merged = earlier.line;
    merged.portions.push(...line.portions);
    merged.status = lineStatusOf(merged.portions);
    merged.quantities = sumByStatus(merged.portions);
    merged.uom ??= line.uom;
    merged.supplier_part ??= line.supplier_part;
    merged.note = [merged.note, line.note].filter((n): n is string => n !== null).join("\n") || null;
  }
  return lines;
}

export function decodeOrderResponse(root: XmlElement, raw: RawDocument, options: UblDecodeOptions = {}): DecodedInbound {
  const codeElement = requireChild(root, "OrderResponseCode");
  const code = requireText(codeElement);
  const rule = ublOrderResponseCode(code);
  if (!rule.ok) fail("unknown_code", rule.message, { path: codeElement.path, line: codeElement.line });
  const poNumber = requireText(requireChild(root, "OrderReference"), "ID");
  const issued = dateTimeOf(root, "IssueDate", "IssueTime");
  const lines = answeredLines(children(root, "OrderLine"), options);
  const data: SupplierOrderAcknowledged = {
    po_number: poNumber,
    partner_document_id: idOf(root),
    partner_order_id: idOf(root, "SalesOrderID"),
    status: orderStatusFromLines(rule.value, lines.flatMap((l) => l.portions.map((p) => p.status))),
    partner_status: code,
    operation: "new",
    version: null,
    previous_document_ref: null,
    order_message_ref: null,
    issued_at: issued,
    currency: textOf(child(root, "DocumentCurrencyCode")) ?? null,
    promised_delivery: periodOf(descend(root, "Delivery/PromisedDeliveryPeriod")),
    note: children(root, "Note").map((n) => n.text.trim()).filter(Boolean).join("\n") || null,
    lines,
  };
  return {
    type: "supplier.order_acknowledged",
    data,
    ...ublMessageId(root, raw),
    testMode: false,
    subjectRef: poNumber,
    occurredAt: issued?.utc ?? null,
    format: "ubl",
  };
}
