from odoo import api, fields, models

CONNECTOR_MANAGER_GROUP = "distribution_connector.group_connector_manager"


class ConnectorSubjectMixin(models.AbstractModel):
    """Business documents whose integration events staff can open from the document."""

    _name = "connector.subject.mixin"
    _description = "Integration Event Subject"
    # Field of connector.inbound that links partner messages to documents of this model.
    _connector_inbound_field = None

    connector_outbox_count = fields.Integer(
        string="Integration Events", compute="_compute_connector_outbox_count"
    )
    connector_inbound_count = fields.Integer(
        string="Partner Messages", compute="_compute_connector_inbound_count"
    )
    # Kept in connector.document.status, never on the document (see there): the sidecar's
    # calls record partners' news while a person may be working on the document.
    connector_last_inbound_id = fields.Many2one(
        "connector.inbound", string="Last Partner Message", readonly=True,
        compute="_compute_connector_news", inverse="_inverse_connector_news",
        search="_search_connector_last_inbound_id",
    )

    # Document field -> connector.document.status field, computed by _compute_connector_news.
    _connector_news_fields = {"connector_last_inbound_id": "last_inbound_id"}

    def _compute_connector_news(self):
        news = self.env["connector.document.status"].sudo()._news_by_id(self._name, self.ids)
        for record in self:
            row = news.get(record.id) or {}
            for name, source in self._connector_news_fields.items():
                value = row.get(source)
                record[name] = (self.env["connector.inbound"].browse(value) if value else False) \
                    if name == "connector_last_inbound_id" else (value or False)

    def _inverse_connector_news(self):
        for record in self.filtered("id"):
            record._connector_record_news({
                source: record[name] for name, source in self._connector_news_fields.items()
            })

    def _connector_record_news(self, values):
        """Record partners' news about these documents (``values`` in connector.document.status terms).

        Never through ``write``: that would also update the document's row (write_date).
        """
        self.env["connector.document.status"].sudo()._record_news(self._name, self.ids, values)

    def _search_connector_last_inbound_id(self, operator, value):
        return self._connector_search_news("last_inbound_id", operator, value)

    @api.model
    def _connector_search_news(self, source, operator, value):
        """Domain on a news field, as a domain on the documents' ids."""
        Status = self.env["connector.document.status"].sudo()
        if operator in ("=", "!=") and not value:
            with_value = Status.search([("res_model", "=", self._name), (source, "!=", False)]).mapped("res_id")
            return [("id", "not in" if operator == "=" else "in", with_value)]
        matching = Status.search([("res_model", "=", self._name), (source, operator, value)]).mapped("res_id")
        return [("id", "in", matching)]

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

    @api.depends_context("uid")
    def _compute_connector_inbound_count(self):
        counts = {}
        inbound = self.env["connector.inbound"]
        field = self._connector_inbound_field
        if field and self.ids and inbound.has_access("read"):
            groups = inbound._read_group([(field, "in", self.ids)], groupby=[field], aggregates=["__count"])
            counts = {record.id: count for record, count in groups}
        for record in self:
            record.connector_inbound_count = counts.get(record.id, 0)

    def action_view_connector_outbox(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("distribution_connector.connector_outbox_action")
        action["domain"] = [("subject_model", "=", self._name), ("subject_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_connector_inbound(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("distribution_connector.connector_inbound_action")
        action["domain"] = [(self._connector_inbound_field, "in", self.ids)]
        action["context"] = {}
        return action

    def _connector_responsible(self):
        """Who is told when a partner's news about this document needs a person."""
        self.ensure_one()
        for user in self._connector_responsible_candidates():
            if user and user.active and not user.share:
                return user
        managers = self.env.ref(CONNECTOR_MANAGER_GROUP).users.filtered(lambda user: not user.share and user.active)
        return managers[:1]

    def _connector_responsible_candidates(self):
        return [self.user_id] if "user_id" in self._fields else []
