from unittest.mock import patch

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged

from ..models.connector_outbox import ConnectorOutbox


@tagged("post_install", "-at_install")
class TestOutboxConcurrency(TransactionCase):
    """Two sidecar replicas claiming at once over real, separate database connections.

    The rows must be committed to be seen by two connections, so this test commits them on
    its own connection and deletes them afterwards (the test transaction itself is untouched).
    """

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        self.subject_id = 2_000_000_000 - self.env.cr.dbname.__hash__() % 1000
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.row_ids = env["connector.outbox"].create([
                {
                    "event_uuid": "00000000-0000-4000-8000-%012d" % i,
                    "event_type": "test.concurrency",
                    "subject_model": "test.concurrency",
                    "subject_id": self.subject_id,
                    "sequence": i,
                    "payload": {"id": "00000000-0000-4000-8000-%012d" % i},
                    "company_id": False,
                }
                for i in (1, 2, 3)
            ]).ids
            cr.commit()
        self.addCleanup(self._delete_rows)
        # The integration user would have to be committed too; the claim itself is what is tested.
        patcher = patch.object(ConnectorOutbox, "_check_integration_access", lambda self: None)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _delete_rows(self):
        with self.db.cursor() as cr:
            cr.execute("DELETE FROM connector_outbox WHERE id = ANY(%s)", [self.row_ids])
            cr.commit()

    def _claimed_ids(self, answer):
        return [event["outbox_id"] for event in answer["events"] if event["outbox_id"] in self.row_ids]

    def test_a_second_claimer_skips_rows_the_first_holds(self):
        with self.db.cursor() as cr_a, self.db.cursor() as cr_b:
            outbox_a = api.Environment(cr_a, SUPERUSER_ID, {})["connector.outbox"]
            outbox_b = api.Environment(cr_b, SUPERUSER_ID, {})["connector.outbox"]
            first = self._claimed_ids(outbox_a.claim_batch(limit=2))
            # A has not committed: its rows are locked, B neither waits nor takes them.
            second = self._claimed_ids(outbox_b.claim_batch(limit=5))
            self.assertEqual(first, self.row_ids[:2])
            self.assertEqual(second, self.row_ids[2:])
            cr_a.rollback()
            # A gave up (crashed before committing): its rows are claimable again at once.
            third = self._claimed_ids(outbox_b.claim_batch(limit=5))
            self.assertEqual(third, self.row_ids[:2])
            cr_b.rollback()
