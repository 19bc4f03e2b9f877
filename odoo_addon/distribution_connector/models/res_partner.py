from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..tools.vocabulary import PARTNER_CODE_PATTERN, is_valid_partner_code

# Who may set the routing code of a vendor or carrier: it decides where documents go.
PARTNER_CODE_EDITOR_GROUPS = (
    "purchase.group_purchase_manager",
    "stock.group_stock_manager",
    "distribution_connector.group_connector_manager",
)


def is_partner_code_editor(env):
    return env.su or any(env.user.has_group(group) for group in PARTNER_CODE_EDITOR_GROUPS)


class ResPartner(models.Model):
    _inherit = "res.partner"

    connector_partner_code = fields.Char(
        string="Partner Code",
        copy=False,
        index="btree_not_null",
        help="Routing code of this vendor in the integration sidecar (letters, digits, '.', '_', '-'). "
        "Set it on the company: its contacts use the company's code.",
    )
    connector_ack_delay_hours = fields.Integer(
        string="Vendor Answer Delay (hours)",
        help="This vendor's own delay before an order without its answer needs attention; "
        "empty: the delay in the integration settings. Set it on the company.",
    )
    # The default makes the form of a new partner know it too (onchange does not compute it).
    connector_can_edit_partner_code = fields.Boolean(
        compute="_compute_connector_can_edit_partner_code",
        default=lambda self: is_partner_code_editor(self.env),
    )

    @api.depends_context("uid")
    def _compute_connector_can_edit_partner_code(self):
        self.connector_can_edit_partner_code = is_partner_code_editor(self.env)

    @api.constrains("connector_ack_delay_hours")
    def _check_connector_ack_delay_hours(self):
        if any(partner.connector_ack_delay_hours < 0 for partner in self):
            raise ValidationError(_("Delays are whole numbers of hours, at least 1 (empty: the settings' delay)."))

    @api.constrains("connector_partner_code")
    def _check_connector_partner_code(self):
        for partner in self:
            code = partner.connector_partner_code
            if code and not is_valid_partner_code(code):
                raise ValidationError(
                    _("Partner code %(code)r must match %(pattern)s.", code=code, pattern=PARTNER_CODE_PATTERN)
                )

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("connector_partner_code") for vals in vals_list):
            self._check_partner_code_editor()
        return super().create(vals_list)

    def write(self, vals):
        if "connector_partner_code" in vals and any(
            (partner.connector_partner_code or False) != (vals["connector_partner_code"] or False)
            for partner in self
        ):
            self._check_partner_code_editor()
        return super().write(vals)

    def _check_partner_code_editor(self):
        if not is_partner_code_editor(self.env):
            raise AccessError(_("Only purchase, inventory or integration managers may set partner codes."))

    def _connector_address_values(self):
        """The address fields events carry (build_address's keywords): one reading of a contact
        for delivery orders and purchase orders alike."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        return {
            "name": self.name or commercial.name,
            "company": commercial.name if commercial.is_company else None,
            "street": self.street,
            "street2": self.street2,
            "city": self.city,
            "state": self.state_id.code,
            "zip": self.zip,
            "country": self.country_id.code,
            "phone": self.phone or self.mobile,
            "email": self.email,
        }
