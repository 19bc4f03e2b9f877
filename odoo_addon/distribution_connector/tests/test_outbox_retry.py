from odoo.tests import tagged

from .common import ConnectorCase


@tagged("post_install", "-at_install")
class TestOutboxRetry(ConnectorCase):
    def _dead_row(self):
        order, row = self.claimed_row()
        self.record([{"event_id": row.event_uuid, "state": "dead", "error": "gave up", "attempts": 8}])
        self.assertEqual(row.state, "dead")
        return order, row

    def test_retry_puts_a_dead_row_back_to_pending_as_a_replay(self):
        order, row = self._dead_row()
        row.with_user(self.staff_user).action_retry()
        self.assertRecordValues(row, [{"state": "pending", "replay": True, "lease_until": False}])
        self.assertFalse(row.sudo().lease_token)
        dead_type = self.env.ref("distribution_connector.mail_activity_type_connector_dead")
        self.assertFalse(order.activity_ids.filtered(lambda act: act.activity_type_id == dead_type))
        answer = self.claim()
        self.assertEqual([(event["outbox_id"], event["replay"]) for event in answer["events"]], [(row.id, True)])

    def test_retry_of_a_delivered_row(self):
        _order, row = self.claimed_row()
        self.record([{"event_id": row.event_uuid, "state": "delivered"}])
        row.with_user(self.staff_user).action_retry()
        self.assertRecordValues(row, [{"state": "pending", "replay": True}])

    def test_retry_leaves_pending_leased_and_cancelled_rows_alone(self):
        _order, leased = self.claimed_row()
        _order, pending = self.confirmed_row()
        _order, cancelled = self.confirmed_row()
        cancelled.with_user(self.connector_manager).action_cancel()
        (pending + leased + cancelled).with_user(self.staff_user).action_retry()
        self.assertEqual((pending + leased + cancelled).mapped("state"), ["pending", "leased", "cancelled"])
        self.assertFalse(any((pending + leased + cancelled).mapped("replay")))

    def test_bulk_retry_from_the_list(self):
        rows = self.Outbox
        for _i in range(3):
            rows |= self._dead_row()[1]
        arch = self.Outbox.with_user(self.staff_user).get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="action_retry"', arch)
        # What the list's header button does with the selected rows.
        self.Outbox.with_user(self.staff_user).browse(rows.ids).action_retry()
        self.assertEqual(set(rows.mapped("state")), {"pending"})
        self.assertTrue(all(rows.mapped("replay")))
