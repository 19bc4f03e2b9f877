from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .connector_attention import (
    DEFAULT_ACK_DELAY_HOURS,
    DEFAULT_MILESTONE_DELAY_HOURS,
    PARAM_ACK_DELAY_HOURS,
    PARAM_MILESTONE_DELAY_HOURS,
)
from .connector_inbound import DEFAULT_RETENTION_DAYS, PARAM_ACCEPT_TEST_DOCUMENTS, PARAM_RETENTION_DAYS
from .connector_outbox import PARAM_NUDGE_SECRET, PARAM_SIDECAR_URL


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    connector_sidecar_url = fields.Char(
        string="Sidecar URL", config_parameter=PARAM_SIDECAR_URL,
        help="Base URL of the integration sidecar, e.g. http://127.0.0.1:8787. Empty: no nudge after commit "
        "(the sidecar still polls).",
    )
    # Never read back from the database: the form only says whether a secret is set, and a
    # value typed here replaces it.
    connector_nudge_secret = fields.Char(
        string="New Nudge Secret", groups="base.group_system",
        help="Shared secret for the HMAC signature of the nudge. Leave empty to keep the current one.",
    )
    connector_nudge_secret_set = fields.Boolean(
        string="Nudge Secret Set", compute="_compute_connector_nudge_secret_set", groups="base.group_system"
    )
    connector_ack_delay_hours = fields.Integer(
        string="Vendor Answer Delay (hours)", config_parameter=PARAM_ACK_DELAY_HOURS,
        default=DEFAULT_ACK_DELAY_HOURS,
        help="An order sent to its vendor without an answer for longer than this needs attention.",
    )
    connector_milestone_delay_hours = fields.Integer(
        string="Tracking Delay (hours)", config_parameter=PARAM_MILESTONE_DELAY_HOURS,
        default=DEFAULT_MILESTONE_DELAY_HOURS,
        help="A dispatched shipment without carrier news for longer than this needs attention.",
    )
    connector_retention_days = fields.Integer(
        string="Keep Events (days)", config_parameter=PARAM_RETENTION_DAYS, default=DEFAULT_RETENTION_DAYS,
        help="Delivered or cancelled outbox events and partner messages older than this are deleted every day.",
    )
    connector_accept_test_documents = fields.Boolean(
        string="Accept Test Documents", config_parameter=PARAM_ACCEPT_TEST_DOCUMENTS,
        help="Apply partners' test-mode documents (for a test database only).",
    )

    connector_sidecar_down_since = fields.Datetime(
        string="Sidecar Unreachable Since", compute="_compute_connector_sidecar_health",
        help="The after-commit nudge has failed since then; events wait in the outbox and the sidecar polls when back.",
    )
    connector_nudge_failures = fields.Integer(
        string="Failed Nudges", compute="_compute_connector_sidecar_health",
        help="Failed nudges in the current (or last) outage.",
    )
    connector_nudge_last_error = fields.Char(string="Last Nudge Error", compute="_compute_connector_sidecar_health")
    connector_sidecar_recovered_at = fields.Datetime(
        string="Sidecar Reachable Again", compute="_compute_connector_sidecar_health",
    )

    @api.depends("company_id")
    def _compute_connector_sidecar_health(self):
        health = self.env["connector.sidecar.health"].sudo()._get_health()
        for settings in self:
            settings.connector_sidecar_down_since = health["down_since"]
            settings.connector_nudge_failures = health["failures"] or 0
            settings.connector_nudge_last_error = health["last_error"] if health["down_since"] else False
            settings.connector_sidecar_recovered_at = health["recovered_at"]

    @api.depends("company_id")
    def _compute_connector_nudge_secret_set(self):
        is_set = bool(self.env["ir.config_parameter"].sudo().get_param(PARAM_NUDGE_SECRET))
        for settings in self:
            settings.connector_nudge_secret_set = is_set

    @api.constrains("connector_ack_delay_hours", "connector_milestone_delay_hours", "connector_retention_days")
    def _check_connector_delays(self):
        for settings in self:
            if min(settings.connector_ack_delay_hours, settings.connector_milestone_delay_hours) < 1:
                raise ValidationError(_("Delays are whole numbers of hours, at least 1."))
            if settings.connector_retention_days < 1:
                raise ValidationError(_("Events are kept at least 1 day."))

    def set_values(self):
        super().set_values()
        if self.env.user.has_group("base.group_system"):
            secret = (self.connector_nudge_secret or "").strip()
            if secret:
                self.env["ir.config_parameter"].sudo().set_param(PARAM_NUDGE_SECRET, secret)
