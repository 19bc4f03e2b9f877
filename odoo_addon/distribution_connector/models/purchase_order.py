from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import purchase_payload, supplier_ack
from .connector_document_status import effective_status_sql
from .purchase_order_line import LINE_NUMBER_STEP

APPROVED_STATES = ("purchase", "done")
PURCHASE_EVENT_TYPES = ("purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled")
# Orders whose vendor-facing content may have changed in this transaction (cr.precommit.data).
CHANGED_ORDERS_KEY = "distribution_connector.purchase_order_changed"
# Context key: changes made with it set are not announced (e.g. applying the vendor's own
# acknowledgement, which must not echo back to the vendor as a change).
NO_CHANGE_EVENT_CONTEXT = "distribution_connector_no_change_event"
# Writes to these fields of an approved order may change what the vendor was told.
ORDER_TRACKED_FIELDS = frozenset((
    "partner_id", "partner_ref", "currency_id", "date_planned", "date_order", "order_line",
    # Where to deliver, who to ask and on which terms (ship_to, buyer, incoterm, payment_terms).
    "picking_type_id", "dest_address_id", "user_id", "incoterm_id", "incoterm_location", "payment_term_id",
))


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "connector.subject.mixin"]
    _connector_inbound_field = "purchase_ids"

    connector_last_line_number = fields.Integer(
        copy=False, readonly=True, help="Highest line number ever given in this order; never reused."
    )
    # What the sidecar reports (a delivery to the vendor) lives in connector.document.status,
    # never on the order: staff may be validating the order's receipt at that moment (see
    # there). The vendor's answers, applied by intent methods in one short transaction, stay
    # on the order; the status shown is the newer of the two.
    connector_supplier_status = fields.Selection(
        # A list, not a tuple: Odoo keeps the labels of list selections only.
        list(supplier_ack.SUPPLIER_STATUSES), string="Vendor Status", readonly=True,
        compute="_compute_connector_sent", inverse="_inverse_connector_supplier_status",
        search="_search_connector_supplier_status",
        help="Where the order stands with the vendor's system: sent, then the vendor's answer.",
    )
    connector_sent_at = fields.Datetime(
        string="Sent to Vendor", readonly=True, compute="_compute_connector_sent", inverse="_inverse_connector_sent_at",
    )
    connector_answer_status = fields.Selection(
        list(supplier_ack.SUPPLIER_STATUSES), string="Vendor Answer Status", copy=False, readonly=True,
        help="The status the vendor's last answer (or a person) gave the order.",
    )
    connector_answer_after = fields.Datetime(
        copy=False, readonly=True,
        help="The answer status covers deliveries up to this time; a later delivery shows the order as sent again.",
    )
    connector_ack_at = fields.Datetime(
        string="Vendor Answered", copy=False, readonly=True, help="When the vendor's last answer was received."
    )
    connector_ack_issued_at = fields.Datetime(copy=False, readonly=True, help="When the vendor issued its last answer.")
    connector_ack_version = fields.Integer(copy=False, readonly=True)
    connector_ack_ref = fields.Char(string="Vendor Document", copy=False, readonly=True)
    connector_supplier_detail = fields.Char(string="Vendor Answer", copy=False, readonly=True)

    def write(self, vals):
        if ORDER_TRACKED_FIELDS.intersection(vals):
            self._connector_mark_changed()
        if "connector_supplier_status" not in vals and "connector_sent_at" not in vals:
            return super().write(vals)
        # The sent date first, then the answer status, which covers it.
        vals = dict(vals)
        sent_at = vals.pop("connector_sent_at", None) if "connector_sent_at" in vals else False
        status = vals.pop("connector_supplier_status", None) if "connector_supplier_status" in vals else False
        result = super().write(vals)
        if sent_at is not False:
            self._connector_set_sent_at(fields.Datetime.to_datetime(sent_at) if sent_at else None)
        if status is not False:
            self._connector_set_answer_status(status or False)
        return result

    def _compute_connector_sent(self):
        sent = self.env["connector.document.status"].sudo()._sent_at_by_id(self._name, [i for i in self.ids if i])
        for order in self:
            sent_at = sent.get(order.id)
            order.connector_sent_at = sent_at or False
            covered = order.connector_answer_after
            if sent_at and (not covered or sent_at > covered):
                order.connector_supplier_status = "sent"
            else:
                order.connector_supplier_status = order.connector_answer_status or False

    def _inverse_connector_sent_at(self):
        for order in self:
            order._connector_set_sent_at(order.connector_sent_at or None)

    def _inverse_connector_supplier_status(self):
        for order in self:
            order._connector_set_answer_status(order.connector_supplier_status or False)

    def _connector_set_sent_at(self, sent_at):
        self.env["connector.document.status"].sudo()._record_sent(
            self._name, {order.id: sent_at for order in self}, replace=True
        )

    def _connector_set_answer_status(self, status):
        """The vendor's answer (or a person) sets the status: it covers every delivery recorded so far."""
        sent = self.env["connector.document.status"].sudo()._sent_at_by_id(self._name, self.ids)
        for order in self:
            moments = [moment for moment in (order.connector_ack_at, sent.get(order.id)) if moment]
            super(PurchaseOrder, order).write({
                "connector_answer_status": status,
                "connector_answer_after": max(moments) if moments else False,
            })
        self.invalidate_recordset(["connector_supplier_status", "connector_sent_at"])

    def _search_connector_supplier_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Unsupported search on the vendor status: %s", operator))
        values = value if operator in ("in", "not in") else [value]
        wanted = [v for v in values if v]
        self.flush_model(["connector_answer_status", "connector_answer_after"])
        self.env["connector.document.status"].flush_model()
        self.env.cr.execute(SQL(
            "SELECT po.id FROM purchase_order po WHERE %s = ANY(%s)", effective_status_sql("po"), wanted,
        ))
        ids = [row[0] for row in self.env.cr.fetchall()]
        positive = operator in ("=", "in")
        if len(wanted) != len(values):
            # "no status" asked for too: orders with a status are the ones not wanted.
            self.env.cr.execute(SQL(
                "SELECT po.id FROM purchase_order po WHERE %s IS NOT NULL AND NOT (%s = ANY(%s))",
                effective_status_sql("po"), effective_status_sql("po"), wanted,
            ))
            ids = [row[0] for row in self.env.cr.fetchall()]
            positive = not positive
        return [("id", "in" if positive else "not in", ids)]

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
        todo = lines.filtered(lambda line: not line.connector_line_number).sorted(lambda line: (line.sequence, line.id))
        if not todo:
            return
        last = max([self.connector_last_line_number, *lines.mapped("connector_line_number")])
        numbers = []
        for line in todo:
            last += LINE_NUMBER_STEP
            numbers.append((line.id, last))
        # Technical columns nobody else writes: one statement instead of an ORM write per line
        # (this runs in every order confirmation).
        self.env.cr.execute(SQL(
            """
            WITH numbered(id, number) AS (VALUES %s),
                 lines AS (UPDATE purchase_order_line AS line SET connector_line_number = numbered.number
                             FROM numbered WHERE line.id = numbered.id)
            UPDATE purchase_order SET connector_last_line_number = %s WHERE id = %s
            """,
            SQL(", ").join(SQL("(%s, %s)", line_id, number) for line_id, number in numbers), last, self.id,
        ))
        # What the statement wrote, put in the cache: the payload reads it next, without a query.
        self.env.cache.update_raw(todo, todo._fields["connector_line_number"], [number for _id, number in numbers])
        self.env.cache.update_raw(self, self._fields["connector_last_line_number"], [last])

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
        # Every address the payload carries, read in one query per table rather than one per
        # address: this runs inside the user's confirmation.
        partners = (
            order.picking_type_id.warehouse_id.partner_id | order.company_id.partner_id | order.dest_address_id
            | order.user_id.partner_id | vendor
        )
        partners.commercial_partner_id.mapped("is_company")
        partners.state_id.mapped("code")
        partners.country_id.mapped("code")
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
            ship_to=order._connector_ship_to(),
            bill_to=order._connector_order_address(order.company_id.partner_id),
            buyer=order._connector_buyer_contact(),
            incoterm=purchase_payload.build_incoterm(
                code=order.incoterm_id.code, location=order.incoterm_location
            ),
            payment_terms=purchase_payload.build_payment_terms(
                name=order.payment_term_id.name,
                lines=order.payment_term_id.line_ids.read(["value", "value_amount", "delay_type", "nb_days"]),
            ),
            lines=[
                {
                    "line_number": line.connector_line_number,
                    "product_code": line.product_id.default_code,
                    **dict(zip(("vendor_product_code", "vendor_product_aux_code"), line._connector_vendor_codes())),
                    "description": line.name,
                    "quantity": line.product_qty,
                    "unit_price": line.price_unit_discounted,
                    **line.product_uom._connector_uom_keys(),
                    "planned_date": line.date_planned,
                    "classification": line._connector_classification(),
                    "tax": order._connector_line_tax(line),
                }
                for line in lines
            ],
        )

    def _connector_order_address(self, partner, warehouse=None):
        """An address of the order as events carry it (build_order_address), or None without a partner."""
        if not partner:
            return None
        return purchase_payload.build_order_address(
            id=purchase_payload.address_reference(
                partner_id=partner.id, ref=partner.ref, warehouse_code=warehouse.code if warehouse else None
            ),
            **partner._connector_address_values(),
        )

    def _connector_ship_to(self):
        """The dropship address when the order delivers to a customer, else the receiving warehouse's address."""
        self.ensure_one()
        if self.dest_address_id and self.picking_type_id.default_location_dest_id.usage == "customer":
            return self._connector_order_address(self.dest_address_id)
        warehouse = self.picking_type_id.warehouse_id
        if not warehouse:
            return None
        return self._connector_order_address(warehouse.partner_id or self.company_id.partner_id, warehouse)

    def _connector_buyer_contact(self):
        self.ensure_one()
        user = self.user_id
        if not user:
            return None
        return purchase_payload.build_contact(
            name=user.name, email=user.email, phone=user.partner_id.phone or user.partner_id.mobile
        )

    def _connector_line_tax(self, line):
        """The line's VAT category and rate (purchase_payload.build_tax), as Odoo's Peppol exports classify it."""
        company = self.company_id.partner_id.commercial_partner_id
        vendor = self.partner_id.commercial_partner_id
        return purchase_payload.build_tax(
            [{"amount_type": tax.amount_type, "amount": tax.amount} for tax in line.taxes_id],
            buyer_country=company.country_id.code or None,
            vendor_country=vendor.country_id.code or None,
            vendor_has_vat=bool(vendor.vat),
            eea_countries=self._connector_eea_country_codes(),
        )

    @api.model
    @tools.ormcache()
    def _connector_eea_country_codes(self):
        """The countries of Odoo's "European Union" group (base.europe), kept per registry: read
        once, not in every confirmation. A change of the group shows after the next restart."""
        europe = self.env.ref("base.europe", raise_if_not_found=False)
        return tuple(europe.sudo().country_ids.mapped("code")) if europe else ()

    def _connector_mark_sent(self, delivered_at_by_order):
        """The sidecar delivered a version of these orders to their vendor: waiting for an answer.

        Called by ``record_results``: writes connector.document.status only, never the order
        (no lock and no serialization failure for a person validating its receipt). The order
        shows ``sent`` while this delivery is newer than the vendor's answer.
        """
        self.env["connector.document.status"].sudo()._record_sent(
            self._name, {order_id: at for order_id, at in delivered_at_by_order.items() if at}
        )
