from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_assign(self, force_qty=False):
        # Reservation is where a delivery order becomes ready, whether staff pressed Check
        # Availability (stock.picking.action_assign) or stock arrived and was reserved for it.
        deliveries = self.picking_id.filtered(lambda picking: picking.picking_type_code == "outgoing")
        states_before = {picking.id: picking.state for picking in deliveries}
        result = super()._action_assign(force_qty=force_qty)
        deliveries.filtered(
            lambda picking: picking.state == "assigned" and states_before[picking.id] != "assigned"
        )._connector_emit_ready()
        return result
