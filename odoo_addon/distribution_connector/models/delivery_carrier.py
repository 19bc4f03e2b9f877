from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.vocabulary import PARTNER_CODE_PATTERN, is_valid_partner_code


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    # Only inventory and sales managers can write carriers at all (stock_delivery/delivery ACLs).
    connector_partner_code = fields.Char(
        string="Partner Code",
        copy=False,
        help="Routing code of this carrier in the integration sidecar (letters, digits, '.', '_', '-').",
    )

    connector_milestone_delay_hours = fields.Integer(
        string="Tracking Delay (hours)",
        help="This carrier's own delay before a dispatched shipment without its news needs attention; "
        "empty: the delay in the integration settings.",
    )

    @api.constrains("connector_milestone_delay_hours")
    def _check_connector_milestone_delay_hours(self):
        if any(carrier.connector_milestone_delay_hours < 0 for carrier in self):
            raise ValidationError(_("Delays are whole numbers of hours, at least 1 (empty: the settings' delay)."))

    @api.constrains("connector_partner_code")
    def _check_connector_partner_code(self):
        for carrier in self:
            code = carrier.connector_partner_code
            if code and not is_valid_partner_code(code):
                raise ValidationError(
                    _("Partner code %(code)r must match %(pattern)s.", code=code, pattern=PARTNER_CODE_PATTERN)
                )
