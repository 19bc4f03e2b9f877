from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import table_exists


class ConnectorOutboxSequence(models.Model):
    """The last event sequence given per subject (document).

    One row per subject, taken with ``INSERT ... ON CONFLICT DO UPDATE``: a second transaction
    emitting about the same document waits for the first to commit, and if its snapshot is
    older than that commit (Odoo runs REPEATABLE READ), PostgreSQL answers a serialization
    failure, which Odoo retries, instead of both taking the same sequence. It also lets the
    retention cron delete old events without a document's sequence starting again at 1.
    """

    _name = "connector.outbox.sequence"
    _description = "Integration Event Sequence per Document"
    _log_access = False

    subject_model = fields.Char(required=True, readonly=True)
    subject_id = fields.Integer(required=True, readonly=True)
    last_sequence = fields.Integer(required=True, readonly=True)

    _sql_constraints = [
        ("subject_uniq", "unique (subject_model, subject_id)", "One sequence per document."),
    ]

    def init(self):
        # Databases that had events before this table: continue from their highest sequence.
        if not table_exists(self.env.cr, "connector_outbox"):
            return
        self.env.cr.execute(SQL(
            """
            INSERT INTO connector_outbox_sequence (subject_model, subject_id, last_sequence)
            SELECT subject_model, subject_id, MAX(sequence) FROM connector_outbox GROUP BY subject_model, subject_id
            ON CONFLICT (subject_model, subject_id) DO UPDATE
               SET last_sequence = GREATEST(connector_outbox_sequence.last_sequence, EXCLUDED.last_sequence)
            """
        ))

    @api.model
    def _take_sql(self, model_name, res_id):
        """SQL returning ``last_sequence``: the subject's next sequence, reserved until this
        transaction ends (a CTE of the outbox insert)."""
        return SQL(
            """
            INSERT INTO connector_outbox_sequence AS s (subject_model, subject_id, last_sequence)
            VALUES (%s, %s, 1)
            ON CONFLICT (subject_model, subject_id) DO UPDATE SET last_sequence = s.last_sequence + 1
            RETURNING last_sequence
            """,
            model_name, res_id,
        )

    @api.model
    def _take(self, model_name, res_id):
        """The next sequence of the subject, reserved until this transaction ends."""
        self.env.cr.execute(self._take_sql(model_name, res_id))
        return self.env.cr.fetchone()[0]
