from odoo import api, fields, models


class ConnectorSubjectMixin(models.AbstractModel):
    """Business documents whose integration events staff can open from the document."""

    _name = "connector.subject.mixin"
    _description = "Integration Event Subject"

    connector_outbox_count = fields.Integer(
        string="Integration Events", compute="_compute_connector_outbox_count"
    )

    @api.depends_context("uid")
    def _compute_connector_outbox_count(self):
        counts = {}
        outbox = self.env["connector.outbox"]
        if self.ids and outbox.has_access("read"):
            groups = outbox._read_group(
                [("subject_model", "=", self._name), ("subject_id", "in", self.ids)],
                groupby=["subject_id"],
                aggregates=["__count"],
            )
            counts = dict(groups)
        for record in self:
            record.connector_outbox_count = counts.get(record.id, 0)

    def action_view_connector_outbox(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("distribution_connector.connector_outbox_action")
        action["domain"] = [("subject_model", "=", self._name), ("subject_id", "=", self.id)]
        action["context"] = {}
        return action
