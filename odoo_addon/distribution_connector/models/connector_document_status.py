from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import carrier_status

# What partners and the sidecar report about a document, kept here rather than on the document:
# the fields a document shows through non-stored computed fields (see the models' _inherit).
TRACKING_FIELDS = ("carrier_status", "last_milestone", "last_milestone_at", "eta", "tracking_url")
NEWS_FIELDS = TRACKING_FIELDS + ("last_inbound_id",)


def effective_sent_at_sql(alias):
    """SQL of an order's sent date (kept in connector.document.status)."""
    return SQL(
        "(SELECT s.sent_at FROM connector_document_status s WHERE s.res_model = 'purchase.order' AND s.res_id = %s.id)",
        SQL.identifier(alias),
    )


def effective_status_sql(alias):
    """SQL of an order's vendor status: ``sent`` while a delivery is newer than the vendor's answer."""
    po = SQL.identifier(alias)
    return SQL(
        "(CASE WHEN %(sent)s > COALESCE(%(po)s.connector_answer_after, '-infinity'::timestamp) THEN 'sent'"
        " ELSE %(po)s.connector_answer_status END)",
        sent=effective_sent_at_sql(alias), po=po,
    )


class ConnectorDocumentStatus(models.Model):
    """The connector's own news about a business document, written by the sidecar's calls.

    ``record_results`` writes here, never on the purchase order or picking itself: a person
    may be validating that document at the same moment, and Odoo runs transactions in
    REPEATABLE READ, so a write from the sidecar to the same row makes the person's
    transaction fail with a serialization failure (and retry). The documents show these
    values through non-stored computed fields.

    ``res_id`` is a plain integer, not a foreign key: inserting a row that references the
    document would take a share lock on the document's row.
    """

    _name = "connector.document.status"
    _description = "Integration Status of a Document"
    _rec_name = "res_model"

    res_model = fields.Char(required=True, readonly=True)
    res_id = fields.Integer(required=True, readonly=True)
    sent_at = fields.Datetime(
        readonly=True, help="When the latest version of the document reached the partner (the vendor, for an order)."
    )

    # A carrier's news about a delivery order (and a vendor's tracking link for a receipt):
    # informative, so never written on the picking a person may be validating.
    carrier_status = fields.Selection(list(carrier_status.STATUSES), readonly=True)
    last_milestone = fields.Char(readonly=True)
    last_milestone_at = fields.Datetime(readonly=True)
    eta = fields.Datetime(readonly=True)
    tracking_url = fields.Char(readonly=True)
    last_inbound_id = fields.Many2one("connector.inbound", readonly=True, index="btree_not_null")

    _sql_constraints = [
        ("document_uniq", "unique (res_model, res_id)", "A document has one integration status."),
    ]

    @api.model
    def _sent_at_by_id(self, res_model, res_ids):
        """``{res_id: sent_at}`` of the documents that have one."""
        if not res_ids:
            return {}
        self.flush_model(["res_model", "res_id", "sent_at"])
        self.env.cr.execute(SQL(
            "SELECT res_id, sent_at FROM connector_document_status"
            " WHERE res_model = %s AND res_id = ANY(%s) AND sent_at IS NOT NULL",
            res_model, list(res_ids),
        ))
        return dict(self.env.cr.fetchall())

    @api.model
    def _record_sent(self, res_model, sent_at_by_id, replace=False):
        """Upsert the documents' sent date: the latest one wins, unless ``replace`` sets it as given."""
        if not sent_at_by_id:
            return
        self.flush_model(["res_model", "res_id", "sent_at"])
        values = SQL(", ").join(
            SQL("(%s, %s, %s::timestamp)", res_model, res_id, sent_at) for res_id, sent_at in sorted(sent_at_by_id.items())
        )
        new_value = SQL("EXCLUDED.sent_at") if replace else SQL(
            "GREATEST(connector_document_status.sent_at, EXCLUDED.sent_at)"
        )
        self.env.cr.execute(SQL(
            """
            INSERT INTO connector_document_status (res_model, res_id, sent_at, create_uid, create_date, write_uid, write_date)
            SELECT v.res_model, v.res_id, v.sent_at, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM (VALUES %(values)s) AS v(res_model, res_id, sent_at)
            ON CONFLICT (res_model, res_id) DO UPDATE
               SET sent_at = %(new_value)s, write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
            """,
            uid=self.env.uid, values=values, new_value=new_value,
        ))
        self.invalidate_model(["sent_at"])
        if res_model == "purchase.order":
            self.env[res_model].invalidate_model(["connector_sent_at", "connector_supplier_status"])

    @api.model
    def _news_by_id(self, res_model, res_ids):
        """``{res_id: {field: value}}`` of the news fields of the documents that have a row."""
        res_ids = [res_id for res_id in res_ids if res_id]
        if not res_ids:
            return {}
        self.flush_model(("res_model", "res_id") + NEWS_FIELDS)
        self.env.cr.execute(SQL(
            "SELECT res_id, %s FROM connector_document_status WHERE res_model = %s AND res_id = ANY(%s)",
            SQL(", ").join(SQL.identifier(name) for name in NEWS_FIELDS), res_model, res_ids,
        ))
        return {row[0]: dict(zip(NEWS_FIELDS, row[1:])) for row in self.env.cr.fetchall()}

    @api.model
    def _record_news(self, res_model, res_ids, values):
        """Upsert ``values`` (news fields only) for the documents, in one statement; the rest kept."""
        unknown = set(values) - set(NEWS_FIELDS)
        if unknown:
            raise ValueError("not a document news field: %s" % ", ".join(sorted(unknown)))
        res_ids = sorted(set(res_id for res_id in res_ids if res_id))
        if not res_ids or not values:
            return
        self.flush_model(("res_model", "res_id") + NEWS_FIELDS)
        names = sorted(values)
        converted = []
        for name in names:
            value = values[name]
            field = self._fields[name]
            if field.type == "many2one":
                value = (value.id if isinstance(value, models.BaseModel) else value) or None
            elif field.type == "datetime":
                value = fields.Datetime.to_datetime(value) or None
            else:
                value = value or None
            converted.append(value)
        casts = {"datetime": SQL("timestamp"), "many2one": SQL("integer")}
        row = SQL(", ").join(
            SQL("%s::%s", value, casts.get(self._fields[name].type, SQL("varchar"))) for name, value in zip(names, converted)
        )
        columns = SQL(", ").join(SQL.identifier(name) for name in names)
        self.env.cr.execute(SQL(
            """
            INSERT INTO connector_document_status (res_model, res_id, %(columns)s, create_uid, create_date, write_uid, write_date)
            SELECT %(res_model)s, ids.res_id, %(row)s, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM unnest(%(ids)s::integer[]) AS ids(res_id)
            ON CONFLICT (res_model, res_id) DO UPDATE
               SET %(updates)s, write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
            """,
            columns=columns, res_model=res_model, row=row, uid=self.env.uid, ids=res_ids,
            updates=SQL(", ").join(SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name)) for name in names),
        ))
        self.invalidate_model(list(names))
        self.env[res_model].invalidate_model(["connector_%s" % name for name in names if "connector_%s" % name in self.env[res_model]._fields])
