from odoo import api, fields, models

from ..tools import purchase_payload
from ..tools.vocabulary import uom_code

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

    connector_ack_status = fields.Selection(
        [
            ("accepted", "Accepted"),
            ("changed", "Changed"),
            ("backordered", "Backordered"),
            ("rejected", "Rejected"),
            ("unknown", "Unknown"),
        ],
        string="Vendor Answer", copy=False, readonly=True,
    )
    connector_ack_qty = fields.Float(
        string="Confirmed Qty", digits="Product Unit of Measure", copy=False, readonly=True,
        help="Quantity the vendor said it will deliver (now or later).",
    )
    connector_promised_date = fields.Datetime(string="Promised Date", copy=False, readonly=True)
    connector_backorder_qty = fields.Float(
        string="Backordered Qty", digits="Product Unit of Measure", copy=False, readonly=True
    )
    connector_backorder_date = fields.Datetime(string="Backorder Date", copy=False, readonly=True)

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

    def _connector_vendor_info(self):
        """The vendor's price list entry (product.supplierinfo) whose code the vendor is sent, or an empty record."""
        self.ensure_one()
        order = self.order_id
        vendor = order.partner_id.commercial_partner_id
        candidates = self.product_id.seller_ids.filtered(
            lambda info: info.partner_id.commercial_partner_id == vendor
            and (not info.product_id or info.product_id == self.product_id)
        )
        coded = candidates.filtered("product_code")
        if not coded:
            return coded
        if len(candidates) == 1:
            # The only price list entry of this vendor: what _select_seller would pick, without
            # its cost in every confirmation.
            return coded
        seller = self.product_id._select_seller(
            partner_id=order.partner_id,
            quantity=self.product_qty,
            date=order.date_order and order.date_order.date(),
            uom_id=self.product_uom,
            params={"order_id": order},
        )
        return seller if seller.product_code else coded[:1]

    def _connector_vendor_product_code(self):
        """The vendor's own code for the product (product.supplierinfo), or None."""
        return self._connector_vendor_info().product_code or None

    def _connector_vendor_codes(self):
        """(vendor product code, auxiliary code) with the vendor's price list entry looked up once."""
        info = self._connector_vendor_info()
        return info.product_code or None, self._connector_vendor_aux_code(info)

    def _connector_vendor_aux_code(self, info=None):
        """What tells variants apart when the vendor's code covers them all: the variant's attribute values."""
        if info is None:
            info = self._connector_vendor_info()
        # combination_indices is read with the product's other fields: a product without
        # attribute values costs no query here (counting the template's variants did, per line).
        if not info or info.product_id or not self.product_id.combination_indices:
            return None
        return self.product_id.product_template_attribute_value_ids._get_combination_name() or None

    def _connector_classification(self):
        """The product's UNSPSC code (product_unspsc module), or None."""
        self.ensure_one()
        product = self.product_id
        if "unspsc_code_id" not in product._fields:
            return None
        return purchase_payload.build_classification(scheme="UNSPSC", code=product.unspsc_code_id.code)

    def _connector_uom_code(self):
        """UN/ECE Rec 20 code of the line's unit, or None when it has none."""
        self.ensure_one()
        keys = self.product_uom._connector_uom_keys()
        return uom_code(xmlid=keys["uom_xmlid"], name=keys["uom_name"], category=keys["uom_category"])
