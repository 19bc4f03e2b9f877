import json
import logging

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, plaintext2html

from ..tools import inbound as inbound_tools

_logger = logging.getLogger(__name__)

INTEGRATION_GROUP = "distribution_connector.group_connector_integration"
EXCEPTION_ACTIVITY_XMLID = "distribution_connector.mail_activity_type_connector_exception"
PARAM_ACCEPT_TEST_DOCUMENTS = "distribution_connector.accept_test_documents"
PARAM_RETENTION_DAYS = "distribution_connector.retention_days"
DEFAULT_RETENTION_DAYS = 30
PURGE_BATCH = 5000

EVENT_TYPES = [
    ("supplier.order_acknowledged", "Vendor Acknowledgement"),
    ("supplier.shipment_noticed", "Ship Notice"),
    ("supplier.document_status", "Vendor Document Status"),
    ("carrier.shipment_booked", "Carrier Booking"),
    ("carrier.tracking_updated", "Tracking Update"),
]
OUTCOMES = [
    ("applied", "Applied"),
    ("stale", "Stale"),
    ("exception", "Exception"),
    ("unknown_reference", "Unknown Reference"),
    ("rejected", "Rejected"),
]
# Per event type: the model and its two methods, one that finds the documents the event is
# about (no writes; returns them, or an Outcome when there are none), one that applies it.
HANDLERS = {
    "supplier.order_acknowledged": ("purchase.order", "_connector_find_orders", "_connector_apply_acknowledgement"),
    "supplier.document_status": ("purchase.order", "_connector_find_orders", "_connector_apply_document_status"),
    "supplier.shipment_noticed": ("stock.picking", "_connector_find_notice_orders", "_connector_apply_ship_notice"),
    "carrier.shipment_booked": ("stock.picking", "_connector_find_shipment", "_connector_apply_booking"),
    "carrier.tracking_updated": ("stock.picking", "_connector_find_shipment", "_connector_apply_tracking"),
}


def check_integration_user(env, message=None):
    if not env.user.has_group(INTEGRATION_GROUP):
        raise AccessError(message or env._("Only the integration user may call the connector's intent methods."))


class ConnectorInbound(models.Model):
    """One partner message applied (or not) in Odoo: the log behind ``apply_events``."""

    _name = "connector.inbound"
    _description = "Integration Inbound Event"
    _order = "id desc"
    _rec_name = "subject_ref"
    _rec_names_search = ["event_uuid", "subject_ref", "record_ref"]

    event_uuid = fields.Char(string="Event ID", required=True, readonly=True, index=True)
    event_type = fields.Selection(EVENT_TYPES, readonly=True, index=True)
    partner_code = fields.Char(readonly=True, index=True)
    format = fields.Char(readonly=True)
    test_mode = fields.Boolean(readonly=True)
    received_at = fields.Datetime(readonly=True, help="When the sidecar received the partner's message.")
    occurred_at = fields.Datetime(string="Occurred At", readonly=True, help="When the partner says it happened.")
    subject_ref = fields.Char(string="Reference", readonly=True, help="PO number, picking name or tracking number.")
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True, index=True)
    detail = fields.Char(readonly=True)
    payload = fields.Json(readonly=True)
    payload_display = fields.Text(string="Message (JSON)", compute="_compute_payload_display")
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Integer(string="Document ID", readonly=True)
    record_ref = fields.Char(string="Document", readonly=True)
    purchase_ids = fields.Many2many(
        "purchase.order", "connector_inbound_purchase_rel", "inbound_id", "purchase_id",
        string="Purchase Orders", readonly=True,
    )
    picking_ids = fields.Many2many(
        "stock.picking", "connector_inbound_picking_rel", "inbound_id", "picking_id",
        string="Transfers", readonly=True,
    )
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    reviewed = fields.Boolean(readonly=True, help="A person looked at this exception or unknown reference.")
    create_date = fields.Datetime(string="Applied At", readonly=True)

    _sql_constraints = [("event_uuid_uniq", "unique (event_uuid)", "An inbound event ID must be unique.")]

    @api.depends("event_type", "subject_ref")
    def _compute_display_name(self):
        labels = dict(self._fields["event_type"]._description_selection(self.env))
        for row in self:
            row.display_name = "%s · %s" % (labels.get(row.event_type) or _("Event"), row.subject_ref or row.event_uuid)

    @api.depends("payload")
    def _compute_payload_display(self):
        for row in self:
            row.payload_display = json.dumps(row.payload, indent=2, ensure_ascii=False) if row.payload else False

    # ------------------------------------------------------------------
    # Intent method for the sidecar (contracts/odoo-rpc.md, "Intent methods")
    # ------------------------------------------------------------------

    @api.model
    def apply_events(self, events):
        """Reconcile each partner event with the current state of its document; one outcome each."""
        check_integration_user(self.env)
        try:
            inbound_tools.check_call(events)
        except inbound_tools.InvalidCall as exc:
            raise ValidationError(str(exc)) from None
        return [self._apply_event(item) for item in events]

    @api.model
    def _apply_event(self, item):
        event_id = inbound_tools.canonical_uuid(item.get("event_id"))
        if event_id:
            existing = self.sudo().search([("event_uuid", "=", event_id)], limit=1)
            if existing:
                return existing._answer(duplicate=True)
        problems = inbound_tools.validate_item(item)
        if problems:
            outcome = inbound_tools.Outcome("rejected", "; ".join(problems))
        elif inbound_tools.is_test_document(item) and not self._accepts_test_documents():
            outcome = inbound_tools.Outcome("rejected", "test-mode document; this database takes production documents only")
        else:
            outcome = self._reconcile(item)
        if not event_id:
            # Nothing to key it on: answered, not kept.
            return {
                "event_id": item.get("event_id") if isinstance(item.get("event_id"), str) else None,
                "outcome": outcome.outcome, "duplicate": False, "detail": outcome.detail, "record": None,
            }
        return self._store(item, event_id, outcome)._answer(duplicate=False)

    @api.model
    def _accepts_test_documents(self):
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM_ACCEPT_TEST_DOCUMENTS)
        return value not in (None, False, "", "False", "0")

    @api.model
    def _reconcile(self, item):
        model_name, find, apply = HANDLERS[item["type"]]
        model = self.env[model_name].sudo().with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        targets = getattr(model, find)(item)
        if isinstance(targets, inbound_tools.Outcome):
            return targets
        try:
            with self.env.cr.savepoint():
                outcome = getattr(model, apply)(item, targets)
        except (UserError, ValidationError) as exc:
            # Odoo refused the change (e.g. below the received quantity): a person decides.
            first = targets[:1]
            outcome = inbound_tools.Outcome("exception", _("could not apply: %s", exc.args[0] if exc.args else exc), record=first)
            outcome.needs_person(first, _("Partner message could not be applied"))
            outcome.note(first, outcome.detail)
            if first._name == "purchase.order":
                outcome.purchases = first
            else:
                outcome.pickings = first
        self._post_outcome(outcome)
        return outcome

    @api.model
    def _post_outcome(self, outcome):
        """Chatter notes and activities that go with the outcome (as the integration user)."""
        for record, text in outcome.notes:
            body = plaintext2html(text) if "\n" in text else Markup("<p>%s</p>") % text
            record.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
        activity_type = self.env.ref(EXCEPTION_ACTIVITY_XMLID, raise_if_not_found=False)
        for record, summary in outcome.attention:
            if not activity_type or record.activity_ids.filtered(lambda act: act.activity_type_id == activity_type):
                continue
            responsible = record._connector_responsible()
            if responsible:
                record.activity_schedule(
                    EXCEPTION_ACTIVITY_XMLID, summary=summary, note=outcome.detail, user_id=responsible.id
                )

    @api.model
    def _store(self, item, event_id, outcome):
        record = outcome.record or None
        company = (record and "company_id" in record._fields and record.company_id) or self.env.company
        row = self.sudo().create({
            "event_uuid": event_id,
            "event_type": item.get("type") if item.get("type") in HANDLERS else False,
            "partner_code": item.get("partner") if isinstance(item.get("partner"), str) else False,
            "format": item.get("format") if isinstance(item.get("format"), str) else False,
            "test_mode": inbound_tools.is_test_document(item) if isinstance(item.get("data"), dict) else bool(item.get("test_mode")),
            "received_at": inbound_tools.parse_utc_iso(item.get("received_at")),
            "occurred_at": inbound_tools.parse_utc_iso(item.get("occurred_at")),
            "subject_ref": (item.get("subject_ref") or "")[:inbound_tools.SUBJECT_REF_MAX_LENGTH] if isinstance(item.get("subject_ref"), str) else False,
            "outcome": outcome.outcome,
            "detail": outcome.detail,
            "payload": item,
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "record_ref": record.display_name if record else False,
            "purchase_ids": [(6, 0, outcome.purchases.ids)] if outcome.purchases else False,
            "picking_ids": [(6, 0, outcome.pickings.ids)] if outcome.pickings else False,
            "company_id": company.id,
        })
        # Beside the documents, not on them (see connector.document.status).
        if outcome.purchases:
            outcome.purchases._connector_record_news({"last_inbound_id": row.id})
        if outcome.pickings:
            outcome.pickings._connector_record_news({"last_inbound_id": row.id})
        return row

    def _answer(self, duplicate):
        self.ensure_one()
        return {
            "event_id": self.event_uuid,
            "outcome": self.outcome,
            "duplicate": duplicate,
            "detail": self.detail or "",
            "record": {"model": self.res_model, "id": self.res_id, "ref": self.record_ref or ""} if self.res_model else None,
        }

    # ------------------------------------------------------------------
    # Staff actions
    # ------------------------------------------------------------------

    def action_open_record(self):
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_mark_reviewed(self):
        if not self.env.user.has_group("distribution_connector.group_connector_user"):
            raise AccessError(_("Only integration staff may mark partner messages as reviewed."))
        self.sudo().write({"reviewed": True})
        return True

    # ------------------------------------------------------------------
    # Retention
    # ------------------------------------------------------------------

    @api.model
    def _retention_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM_RETENTION_DAYS)
        try:
            days = int(value)
        except (TypeError, ValueError):
            return DEFAULT_RETENTION_DAYS
        return days if days > 0 else DEFAULT_RETENTION_DAYS

    @api.model
    def _purge_old_rows(self, limit=PURGE_BATCH):
        """Delete up to ``limit`` inbound rows older than the retention; return how many."""
        self.flush_model()
        self.env.cr.execute(SQL(
            """
            DELETE FROM connector_inbound WHERE id IN (
                SELECT id FROM connector_inbound
                 WHERE create_date < (now() AT TIME ZONE 'UTC') - make_interval(days => %s)
                 ORDER BY id LIMIT %s)
            """,
            self._retention_days(), limit,
        ))
        count = self.env.cr.rowcount
        if count:
            self.invalidate_model()
        return count
