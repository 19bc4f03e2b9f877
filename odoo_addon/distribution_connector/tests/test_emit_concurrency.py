import psycopg2.errors

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestEmitConcurrency(TransactionCase):
    """Two transactions emitting about the same document, on real connections.

    Odoo runs transactions in REPEATABLE READ: a transaction that started before another one
    committed an event about the same document cannot see that event. Its own event must then
    fail with a serialization failure, which Odoo retries, and never take the same sequence.
    """

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.partner_id = env["res.partner"].create({"name": "Concurrent subject"}).id
            cr.commit()
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.db.cursor() as cr:
            for table in ("connector_outbox", "connector_outbox_sequence"):
                cr.execute(
                    "DELETE FROM %s WHERE subject_model = 'res.partner' AND subject_id = %%s" % table, [self.partner_id]
                )
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.partner_id])
            cr.commit()

    def emit(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        row = env["connector.outbox"]._emit("test.concurrent", env["res.partner"].browse(self.partner_id), {})
        env.flush_all()
        return row

    def sequences(self):
        with self.db.cursor() as cr:
            cr.execute(
                "SELECT sequence FROM connector_outbox WHERE subject_model = 'res.partner' AND subject_id = %s"
                " ORDER BY sequence", [self.partner_id],
            )
            return [row[0] for row in cr.fetchall()]

    def test_a_late_snapshot_is_retried_not_given_a_taken_sequence(self):
        for first_ever in (True, False):
            with self.subTest(first_ever=first_ever), self.db.cursor() as cr_a, self.db.cursor() as cr_b:
                cr_b.execute("SELECT 1")  # B's snapshot is taken before A commits
                self.emit(cr_a)
                cr_a.commit()
                with self.assertRaises(psycopg2.errors.SerializationFailure), mute_logger("odoo.sql_db"):
                    self.emit(cr_b)
                cr_b.rollback()
                # Odoo retries B's request in a new transaction: it takes the next sequence.
                self.emit(cr_b)
                cr_b.commit()
        self.assertEqual(self.sequences(), [1, 2, 3, 4])
