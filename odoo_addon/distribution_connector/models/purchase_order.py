from odoo import fields, models

from ..tools import purchase_payload
from .purchase_order_line import LINE_NUMBER_STEP

APPROVED_STATES = ("purchase", "done")
PURCHASE_EVENT_TYPES = ("purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled")
# Orders whose vendor-facing content may have changed in this transaction (cr.precommit.data).
CHANGED_ORDERS_KEY = "distribution_connector.purchase_order_changed"
# Context key: changes made with it set are not announced (e.g. applying the vendor's own
# acknowledgement, which must not echo back to the vendor as a change).
NO_CHANGE_EVENT_CONTEXT = "distribution_connector_no_change_event"
# Writes to these fields of an approved order may change what the vendor was told.
ORDER_TRACKED_FIELDS = frozenset(
    ("partner_id", "partner_ref", "currency_id", "date_planned", "date_order", "order_line")
)


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "connector.subject.mixin"]

    connector_last_line_number = fields.Integer(
        copy=False, readonly=True, help="Highest line number ever given in this order; never reused."
    )

    def write(self, vals):
        if ORDER_TRACKED_FIELDS.intersection(vals):
            self._connector_mark_changed()
        return super().write(vals)

    def button_approve(self, force=False):
        not_yet_approved = self.filtered(lambda order: order.state not in APPROVED_STATES)
        result = super().button_approve(force=force)
        approved = not_yet_approved.filtered(lambda order: order.state in APPROVED_STATES)
        for order in approved:
            order._connector_assign_line_numbers()
            order._connector_emit("purchase_order.confirmed")
        return result

    def button_cancel(self):
        approved = self.filtered(lambda order: order.state in APPROVED_STATES)
        result = super().button_cancel()
        for order in approved.filtered(lambda order: order.state == "cancel"):
            order._connector_emit("purchase_order.cancelled")
        return result

    def _connector_mark_changed(self):
        """Remember approved orders to compare with what the vendor was told, at the end of the transaction."""
        if self.env.context.get(NO_CHANGE_EVENT_CONTEXT):
            return
        orders = self.filtered(lambda order: order.id and order.state in APPROVED_STATES)
        if not orders:
            return
        precommit = self.env.cr.precommit
        pending = precommit.data.get(CHANGED_ORDERS_KEY)
        if pending is None:
            pending = precommit.data[CHANGED_ORDERS_KEY] = set()
            precommit.add(self.browse()._connector_emit_changes)
        pending.update(orders.ids)

    def _connector_emit_changes(self):
        """Pre-commit: one purchase_order.changed per order whose payload differs from the last one sent."""
        order_ids = self.env.cr.precommit.data.pop(CHANGED_ORDERS_KEY, set())
        orders = self.browse(sorted(order_ids)).exists().filtered(lambda order: order.state in APPROVED_STATES)
        for order in orders:
            order._connector_assign_line_numbers()
            data = order._connector_order_data()
            last = self.env["connector.outbox"]._last_payload(order, PURCHASE_EVENT_TYPES)
            if last is not None and last.get("data") == data:
                continue
            order._connector_emit("purchase_order.changed", data)
        # Runs after the transaction's last flush: flush what this created.
        self.env.flush_all()

    def _connector_assign_line_numbers(self):
        """Number the orderable lines that have no number yet: 10, 20, ... after the highest ever given."""
        self.ensure_one()
        lines = self.order_line._connector_is_orderable()
        last = max([self.connector_last_line_number, *lines.mapped("connector_line_number")])
        for line in lines.filtered(lambda line: not line.connector_line_number).sorted(
            lambda line: (line.sequence, line.id)
        ):
            last += LINE_NUMBER_STEP
            line.connector_line_number = last
        if last != self.connector_last_line_number:
            self.connector_last_line_number = last

    def _connector_partner_code(self):
        self.ensure_one()
        vendor = self.partner_id
        return vendor.commercial_partner_id.connector_partner_code or vendor.connector_partner_code or None

    def _connector_emit(self, event_type, data=None):
        self.ensure_one()
        return self.env["connector.outbox"]._emit(
            event_type,
            self,
            data if data is not None else self._connector_order_data(),
            partner_code=self._connector_partner_code(),
        )

    def _connector_order_data(self):
        """The ``data`` of purchase_order.* events (contracts/v1/events/purchase_order.confirmed)."""
        self.ensure_one()
        # Read everything the payload needs, whatever the approving user may read.
        order = self.sudo()
        vendor = order.partner_id.commercial_partner_id
        lines = order.order_line._connector_is_orderable()
        uom_xmlids = lines.product_uom.get_external_id()
        lines_en = lines.with_context(lang="en_US")
        return purchase_payload.build_purchase_order_data(
            po_number=order.name,
            vendor_reference=order.partner_ref,
            vendor=purchase_payload.build_vendor(
                id=vendor.id,
                name=vendor.name,
                partner_code=order._connector_partner_code(),
                vat=vendor.vat,
            ),
            currency=order.currency_id.name,
            order_date=order.date_order,
            planned_date=order.date_planned,
            amount_untaxed=order.amount_untaxed,
            amount_total=order.amount_total,
            lines=[
                {
                    "line_number": line.connector_line_number,
                    "product_code": line.product_id.default_code,
                    "vendor_product_code": line._connector_vendor_product_code(),
                    "description": line.name,
                    "quantity": line.product_qty,
                    "unit_price": line.price_unit_discounted,
                    "uom_xmlid": uom_xmlids.get(line.product_uom.id),
                    "uom_name": line_en.product_uom.name,
                    "uom_category": line_en.product_uom.category_id.name,
                    "planned_date": line.date_planned,
                }
                for line, line_en in zip(lines, lines_en)
            ],
        )
