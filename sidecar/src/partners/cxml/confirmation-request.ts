import type { AckLine, AckPortion, DecodedInbound, ItemSubstitution, SupplierOrderAcknowledged } from "../events/inbound.ts";
import { fail } from "../result.ts";
import {
  cxmlConfirmationHeader,
  cxmlConfirmationStatus,
  lineStatusOf,
  orderStatusFromLines,
  sumByStatus,
  type LineAckStatus,
} from "../vocabulary/acknowledgement.ts";
import { attrOf, child, children, descend, requireAttr, requireChild, requireQuantityAttr, textOf } from "../xml/element.ts";
import type { XmlElement } from "../xml/safe-xml.ts";
import {
  commentsOf,
  documentRef,
  lineNumberAttr,
  moneyIn,
  optionalTimeAttr,
  requireTimeAttr,
  requireUnit,
  supplierPartOf,
  type CxmlDecodeOptions,
} from "./common.ts";
import type { CxmlEnvelope } from "./envelope.ts";

/**
 * cXML ConfirmationRequest (supplier order acknowledgement), per Fulfill.dtd 1.2.063.
 * The rules the DTD cannot express are enforced here, because an acknowledgement that
 * breaks them is ambiguous: status quantities must add up to the line quantity, a `reject`
 * carries no items, a line appears once.
 */

// Quantities are decimals written in text; compare with a tolerance that absorbs float
// rounding (0.1 + 0.2) but not a real difference.
const sameQuantity = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function readPortion(status: XmlElement, options: CxmlDecodeOptions): AckPortion {
  const type = requireAttr(status, "type");
  const mapped = cxmlConfirmationStatus(type);
  if (!mapped.ok) fail("unknown_code", mapped.message, { path: `${status.path}@type`, line: status.line });
  const itemIn = child(status, "ItemIn");
  const unitPrice = moneyIn(child(status, "UnitPrice")) ?? (itemIn ? moneyIn(descend(itemIn, "ItemDetail/UnitPrice")) : null);
  let substitution: ItemSubstitution | null = null;
  // ItemIn under `detail` is a substitution (Fulfill.dtd); under accept/allDetail it only restates the item.
  if (itemIn && type === "detail") {
    substitution = {
      supplier_part: supplierPartOf(itemIn),
      gtin: null,
      description: textOf(descend(itemIn, "ItemDetail/Description")) ?? null,
      partner_line_id: null,
    };
  }
  const delivery = optionalTimeAttr(status, "deliveryDate");
  return {
    status: mapped.value,
    partner_status: type,
    quantity: requireQuantityAttr(status, "quantity"),
    uom: requireUnit(status, options.units),
    promised_shipment_date: optionalTimeAttr(status, "shipmentDate"),
    promised_delivery: delivery ? { start: delivery, end: delivery } : null,
    unit_price: unitPrice,
    substitution,
    comment: commentsOf(status),
  };
}

function readItem(item: XmlElement, options: CxmlDecodeOptions): AckLine {
  const lineNumber = lineNumberAttr(item);
  const quantity = requireQuantityAttr(item, "quantity");
  const uom = requireUnit(item, options.units);
  const statuses = children(item, "ConfirmationStatus");
  if (statuses.length === 0) fail("invalid_document", "ConfirmationItem has no ConfirmationStatus", { path: item.path, line: item.line });
  const portions = statuses.map((s) => readPortion(s, options));
  const total = portions.reduce((sum, p) => sum + (p.quantity ?? 0), 0);
  if (!sameQuantity(total, quantity)) {
    fail("inconsistent_quantities", `ConfirmationStatus quantities add up to ${total}, not the line quantity ${quantity}, for line ${lineNumber}`, {
      path: item.path,
      line: item.line,
    });
  }
  const itemIn = statuses.map((s) => child(s, "ItemIn")).find((i) => i !== undefined);
  return {
    line_number: lineNumber,
    partner_line_id: null,
    status: lineStatusOf(portions),
    ordered_quantity: quantity,
    uom,
    quantities: sumByStatus(portions),
    portions,
    supplier_part: itemIn ? supplierPartOf(itemIn) : null,
    note: commentsOf(item),
  };
}

export function decodeConfirmationRequest(envelope: CxmlEnvelope, request: XmlElement, options: CxmlDecodeOptions = {}): DecodedInbound {
  const header = requireChild(request, "ConfirmationHeader");
  const type = requireAttr(header, "type");
  const rule = cxmlConfirmationHeader(type);
  if (!rule.ok) fail("unknown_code", rule.message, { path: `${header.path}@type`, line: header.line });
  const operation = attrOf(header, "operation") ?? "new";
  if (operation !== "new" && operation !== "update") {
    fail("invalid_document", `operation "${operation.slice(0, 20)}" is not new or update`, { path: `${header.path}@operation`, line: header.line });
  }
  const noticeDate = requireTimeAttr(header, "noticeDate");
  const orderReference = requireChild(request, "OrderReference");
  const poNumber = requireAttr(orderReference, "orderID");

  const items = children(request, "ConfirmationItem");
  if (type === "reject" && items.length > 0) {
    fail("invalid_document", 'a ConfirmationHeader of type "reject" must not list ConfirmationItem (the whole order is rejected)', {
      path: items[0]!.path,
      line: items[0]!.line,
    });
  }
  const seen = new Map<number, XmlElement>();
  const lines = items.map((item) => {
    const line = readItem(item, options);
    const earlier = seen.get(line.line_number!);
    if (earlier) {
      fail("invalid_document", `line ${line.line_number} appears in more than one ConfirmationItem (first at line ${earlier.line})`, { path: item.path, line: item.line });
    }
    seen.set(line.line_number!, item);
    return line;
  });
  // Header types that constrain the line statuses (Fulfill.dtd comments).
  const allowedPortions: Record<string, LineAckStatus[]> = { accept: ["accepted"], backordered: ["backordered"] };
  const allowed = allowedPortions[type];
  if (allowed) {
    for (const [i, line] of lines.entries()) {
      const bad = line.portions.find((p) => !allowed.includes(p.status));
      if (bad) {
        fail("invalid_document", `a ConfirmationHeader of type "${type}" only allows ${allowed.join("/")} items, line ${line.line_number} says "${bad.partner_status}"`, {
          path: items[i]!.path,
          line: items[i]!.line,
        });
      }
    }
  }
  const version = attrOf(header, "version");
  const data: SupplierOrderAcknowledged = {
    po_number: poNumber,
    partner_document_id: attrOf(header, "confirmID") ?? null,
    partner_order_id: null,
    status: orderStatusFromLines(rule.value, lines.flatMap((l) => l.portions.map((p) => p.status))),
    partner_status: type,
    operation,
    version: version !== undefined && /^\d{1,9}$/.test(version) ? Number(version) : null,
    previous_document_ref: documentRef(header),
    order_message_ref: documentRef(orderReference),
    issued_at: noticeDate,
    currency: moneyIn(child(header, "Total"))?.currency ?? null,
    promised_delivery: null,
    note: commentsOf(header),
    lines,
  };
  return {
    type: "supplier.order_acknowledged",
    data,
    messageId: envelope.messageId,
    messageIdSource: envelope.messageIdSource,
    testMode: envelope.testMode,
    subjectRef: poNumber,
    occurredAt: noticeDate.utc ?? envelope.timestamp?.utc ?? null,
    format: "cxml",
  };
}
