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

    @api.constrains("connector_partner_code")
    def _check_connector_partner_code(self):
        for carrier in self:
            code = carrier.connector_partner_code
            if code and not is_valid_partner_code(code):
                raise ValidationError(
                    _("Partner code %(code)r must match %(pattern)s.", code=code, pattern=PARTNER_CODE_PATTERN)
                )
