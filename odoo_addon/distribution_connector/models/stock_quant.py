from collections import defaultdict

from odoo import fields, models

from ..tools import logistics_payload


class StockQuant(models.Model):
    _inherit = "stock.quant"

    def _apply_inventory(self):
        # What each counted quant held and was counted at, before the moves change it.
        counted = [
            {
                "product": quant.product_id,
                "company": quant.company_id,
                "location": quant.location_id.complete_name,
                "lot": quant.lot_id.name,
                "package": quant.package_id.name,
                "quantity_before": quant.quantity,
                "quantity_after": quant.inventory_quantity,
            }
            for quant in self.sudo()
        ]
        result = super()._apply_inventory()
        by_product = defaultdict(list)
        for adjustment in counted:
            by_product[(adjustment.pop("product"), adjustment.pop("company"))].append(adjustment)
        applied_at = fields.Datetime.now()
        for (product, company), adjustments in by_product.items():
            self._connector_emit_adjusted(product, company, adjustments, applied_at)
        return result

    def _connector_emit_adjusted(self, product, company, adjustments, applied_at):
        uom = product.uom_id
        data = logistics_payload.build_stock_adjusted_data(
            product_code=product.default_code,
            description=product.display_name,
            **uom._connector_uom_keys(),
            applied_at=applied_at,
            adjustments=adjustments,
            quantity_on_hand=product.with_company(company).sudo().qty_available,
        )
        return self.env["connector.outbox"]._emit("stock.adjusted", product, data, company=company)
