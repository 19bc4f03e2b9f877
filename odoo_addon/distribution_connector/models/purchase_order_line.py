from odoo import api, fields, models

LINE_NUMBER_STEP = 10
# Writes to these fields of a line of an approved order may change what the vendor was told.
LINE_TRACKED_FIELDS = frozenset((
    "product_id", "product_qty", "product_uom", "price_unit", "date_planned", "name", "taxes_id", "discount",
))


class PurchaseOrderLine(models.Model):
    _inherit = "purchase.order.line"

    connector_line_number = fields.Integer(
        string="Line Number",
        copy=False,
        readonly=True,
        help="Stable number of the line in messages to the vendor (10, 20, ...), "
        "assigned when the order is approved and never reused within the order.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._connector_mark_changed()
        return lines

    def write(self, vals):
        if LINE_TRACKED_FIELDS.intersection(vals):
            self.order_id._connector_mark_changed()
        return super().write(vals)

    def unlink(self):
        self.order_id._connector_mark_changed()
        return super().unlink()

    def _connector_is_orderable(self):
        """Lines that are sent to the vendor: products, not sections, notes or down payments."""
        return self.filtered(lambda line: not line.display_type and not line.is_downpayment and line.product_id)

    def _connector_vendor_product_code(self):
        """The vendor's own code for the product (product.supplierinfo), or None."""
        self.ensure_one()
        order = self.order_id
        seller = self.product_id._select_seller(
            partner_id=order.partner_id,
            quantity=self.product_qty,
            date=order.date_order and order.date_order.date(),
            uom_id=self.product_uom,
            params={"order_id": order},
        )
        if seller.product_code:
            return seller.product_code
        vendor = order.partner_id.commercial_partner_id
        sellers = self.product_id.seller_ids.filtered(
            lambda info: info.partner_id.commercial_partner_id == vendor
            and info.product_code
            and (not info.product_id or info.product_id == self.product_id)
        )
        return sellers[:1].product_code or None
