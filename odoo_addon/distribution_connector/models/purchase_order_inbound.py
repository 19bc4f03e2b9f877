"""Partner news about purchase orders, applied through connector.inbound.apply_events: vendors'
acknowledgements and document status. The fields and the events the order emits live in
purchase_order.py.
"""

from odoo import _, models

from ..tools import inbound as inbound_tools
from ..tools import supplier_ack
from .purchase_order import NO_CHANGE_EVENT_CONTEXT


class PurchaseOrderInbound(models.Model):
    _inherit = "purchase.order"


    def _connector_find_orders(self, item):
        """The order an acknowledgement or status report is about, or an Outcome saying why none."""
        data = item["data"]
        name = item["subject_ref"].strip()
        if item["type"] == "supplier.order_acknowledged":
            name = data["po_number"] or name
        domain = [("company_id", "in", self.env.user.company_ids.ids)]
        orders = self.search(domain + [("name", "=", name)])
        if not orders and item["type"] == "supplier.document_status":
            orders = self._connector_orders_of_message(data.get("document_ref"), domain)
        if not orders:
            return inbound_tools.Outcome("unknown_reference", _("no purchase order %s", name))
        mine = orders.filtered(lambda order: order._connector_partner_code() == item["partner"])
        if not mine:
            return inbound_tools.Outcome(
                "unknown_reference", _("%(order)s belongs to another vendor", order=orders[0].name)
            )
        if len(mine) > 1:
            return inbound_tools.Outcome("unknown_reference", _("several purchase orders are named %s", name))
        return mine

    def _connector_orders_of_message(self, document_ref, domain):
        """Our message id ``<event uuid>@...`` points at an outbox event about an order."""
        event_id = inbound_tools.canonical_uuid((document_ref or "").split("@")[0])
        if not event_id:
            return self.browse()
        row = self.env["connector.outbox"].sudo().search(
            [("event_uuid", "=", event_id), ("subject_model", "=", self._name)], limit=1
        )
        return self.search(domain + [("id", "=", row.subject_id)]) if row else self.browse()

    def _connector_tz(self):
        return self.user_id.tz or self.company_id.partner_id.tz or None

    def _connector_order_snapshot(self):
        """The order as plain values for the pure reconciliation rules."""
        self.ensure_one()
        lines = {}
        for line in self.order_line._connector_is_orderable().filtered("connector_line_number"):
            lines[line.connector_line_number] = {
                "quantity": line.product_qty,
                "uom": line._connector_uom_code(),
                "received": line.qty_received,
                "price": line.price_unit_discounted,
                "supplier_part": line._connector_vendor_product_code(),
                "product_code": line.product_id.default_code or None,
            }
        return {
            "name": self.name,
            "state": self.state,
            "received_all": self.receipt_status == "full",
            "currency": self.currency_id.name,
            "lines": lines,
        }

    def _connector_apply_acknowledgement(self, item, order):
        """supplier.order_acknowledged: dates and quantities per line, or an exception for the buyer."""
        data = item["data"]
        tz_name = order._connector_tz()
        issued_at = inbound_tools.event_time(item, data.get("issued_at"), tz_name)
        received_at = inbound_tools.parse_utc_iso(item["received_at"])
        reference = data.get("partner_document_id") or item["event_id"]
        stale = supplier_ack.staleness(
            order.connector_ack_version or None, order.connector_ack_issued_at, data.get("version"), issued_at
        )
        if stale:
            return inbound_tools.Outcome("stale", stale, record=order, purchases=order)
        plan = supplier_ack.plan_acknowledgement(order._connector_order_snapshot(), data, tz_name)
        outcome = inbound_tools.Outcome(plan["outcome"], plan["detail"], record=order, purchases=order)
        if plan["late"]:
            # Never an overwrite: the order stays as it is; the buyer is told.
            outcome.note(order, _("Vendor answer %(ref)s not applied: %(detail)s", ref=reference, detail=plan["detail"]))
            return outcome.needs_person(order, _("Late vendor answer: %s", order.name))
        order = order.with_context(**{NO_CHANGE_EVENT_CONTEXT: True})
        lines = {line.connector_line_number: line for line in order.order_line.filtered("connector_line_number")}
        for line_plan in plan["lines"]:
            line = lines[line_plan["line_number"]]
            line.write({
                "connector_ack_status": line_plan["status"],
                "connector_ack_qty": line_plan["confirmed_quantity"],
                "connector_backorder_qty": line_plan["backordered_quantity"],
                "connector_backorder_date": line_plan["backorder_date"],
            })
            if line_plan["quantity"] is not None:
                line.product_qty = line_plan["quantity"]
            if line_plan["promised_date"]:
                line.connector_promised_date = line_plan["promised_date"]
                line._update_date_planned(line_plan["promised_date"])
        values = {
            "connector_supplier_status": plan["status"],
            "connector_ack_at": received_at,
            "connector_ack_issued_at": issued_at,
            "connector_ack_version": data.get("version") or 0,
            "connector_ack_ref": data.get("partner_document_id") or False,
            "connector_supplier_detail": outcome.detail,
        }
        if data.get("partner_order_id") and not order.partner_ref:
            values["partner_ref"] = data["partner_order_id"]
        order.write(values)
        note = _("Vendor answer %(ref)s: %(detail)s", ref=reference, detail=outcome.detail)
        if data.get("note"):
            note += " (%s)" % data["note"]
        outcome.note(order, inbound_tools.short_detail(note))
        if plan["outcome"] == "exception":
            summary = (
                _("Vendor rejected %s", order.name) if plan["status"] == "rejected"
                else _("Vendor answer needs review: %s", order.name)
            )
            outcome.needs_person(order, summary)
        return outcome

    def _connector_apply_document_status(self, item, order):
        """supplier.document_status: the vendor's system received (or could not process) our order."""
        data = item["data"]
        event_at = inbound_tools.parse_utc_iso(item["occurred_at"])
        decision, status = supplier_ack.document_status_decision(
            order.connector_supplier_status, order.connector_ack_at, event_at, data["outcome"]
        )
        text = " ".join(str(part) for part in (data["status_code"], data.get("status_text"), data.get("message")) if part)
        if decision == "stale":
            return inbound_tools.Outcome("stale", _("older than the vendor's last answer"), record=order, purchases=order)
        outcome = inbound_tools.Outcome(decision, _("vendor system: %s", text), record=order, purchases=order)
        values = {}
        if status:
            values = {"connector_supplier_status": status, "connector_supplier_detail": outcome.detail}
            if status == "acknowledged":
                values["connector_ack_at"] = inbound_tools.parse_utc_iso(item["received_at"])
        if not order.connector_sent_at:
            values["connector_sent_at"] = event_at
        if values:
            order.write(values)
        if decision == "exception":
            outcome.note(order, _("The vendor's system could not process the order: %s", text))
            outcome.needs_person(order, _("Vendor could not process %s", order.name))
        elif status:
            outcome.note(order, _("The vendor's system received the order: %s", text))
        return outcome
