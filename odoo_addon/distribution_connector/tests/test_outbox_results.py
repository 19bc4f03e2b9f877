from datetime import datetime

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ConnectorCase

UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


@tagged("post_install", "-at_install")
class TestOutboxResults(ConnectorCase):
    def result(self, row, state, **values):
        entry = {
            "event_id": row.event_uuid, "state": state, "partner": "WOODCORNER",
            "attempts": 1, "error": None, "at": "2026-11-26T10:00:00Z",
        }
        entry.update(values)
        return entry

    def test_delivered(self):
        _order, row = self.claimed_row()
        answer = self.record([self.result(row, "delivered")])
        self.assertEqual(answer, {"updated": 1, "unknown": [], "ignored": []})
        self.assertRecordValues(row, [{
            "state": "delivered",
            "delivered_at": datetime(2026, 11, 26, 10, 0),
            "lease_until": False,
            "last_error": False,
        }])
        self.assertFalse(row.sudo().lease_token)

    def test_failed_keeps_the_error_and_the_highest_attempt_count(self):
        _order, row = self.claimed_row()
        self.record([self.result(row, "failed", attempts=4, error="HTTP 503 from partner")])
        self.assertRecordValues(row, [{
            "state": "failed", "attempts": 4, "last_error": "[WOODCORNER] HTTP 503 from partner",
            "delivered_at": False,
        }])
        self.record([self.result(row, "failed", attempts=2, error="timeout")])
        self.assertRecordValues(row, [{"state": "failed", "attempts": 4, "last_error": "[WOODCORNER] timeout"}])

    def test_dead_tells_a_person_on_the_order(self):
        order, row = self.claimed_row()
        order.user_id = self.buyer
        self.record([self.result(row, "dead", attempts=8, error="partner rejected the order")])
        self.assertEqual(row.state, "dead")
        activity = order.activity_ids.filtered(
            lambda act: act.activity_type_id == self.env.ref("distribution_connector.mail_activity_type_connector_dead")
        )
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.buyer)
        # A second dead letter on the same order does not pile up activities.
        self.record([self.result(row, "dead", attempts=9)])
        self.assertEqual(len(order.activity_ids.filtered(lambda act: act.activity_type_id == activity.activity_type_id)), 1)

    def test_unknown_event_is_reported(self):
        _order, row = self.claimed_row()
        answer = self.record([self.result(row, "delivered"), {"event_id": UNKNOWN_UUID, "state": "failed"}])
        self.assertEqual(answer, {"updated": 1, "unknown": [UNKNOWN_UUID], "ignored": []})

    def test_delivered_is_not_overwritten_by_a_later_failure(self):
        _order, row = self.claimed_row()
        self.record([self.result(row, "delivered")])
        answer = self.record([self.result(row, "failed", error="late failure")])
        self.assertEqual(answer, {"updated": 0, "unknown": [], "ignored": [row.event_uuid]})
        self.assertRecordValues(row, [{"state": "delivered", "last_error": False}])

    def test_a_later_success_clears_a_dead_letter(self):
        _order, row = self.claimed_row()
        self.record([self.result(row, "dead", error="gave up")])
        self.record([self.result(row, "delivered")])
        self.assertEqual(row.state, "delivered")

    def test_most_final_outcome_wins_within_one_call(self):
        _order, row = self.claimed_row()
        answer = self.record([self.result(row, "delivered"), self.result(row, "failed", error="x")])
        self.assertEqual(answer["updated"], 1)
        self.assertEqual(row.state, "delivered")

    def test_cancelled_and_unclaimed_rows_are_left_alone(self):
        _order, cancelled = self.claimed_row()
        cancelled.with_user(self.connector_manager).action_cancel()
        _order, pending = self.confirmed_row()
        answer = self.record([self.result(cancelled, "delivered"), self.result(pending, "delivered")])
        self.assertEqual(answer["updated"], 0)
        self.assertEqual(sorted(answer["ignored"]), sorted([cancelled.event_uuid, pending.event_uuid]))
        self.assertEqual(cancelled.state, "cancelled")
        self.assertEqual(pending.state, "pending")

    def test_malformed_input_raises_and_changes_nothing(self):
        _order, row = self.claimed_row()
        _order, other = self.claimed_row()
        malformed = [
            [self.result(row, "delivered"), self.result(other, "lost")],
            [self.result(row, "delivered"), {"event_id": "not-a-uuid", "state": "failed"}],
            [self.result(row, "delivered"), self.result(other, "failed", attempts="3")],
            [self.result(row, "delivered"), self.result(other, "failed", error="x" * 2001)],
            [self.result(row, "delivered"), self.result(other, "failed", at="yesterday")],
            [self.result(row, "delivered"), dict(self.result(other, "failed"), color="red")],
            {"event_id": row.event_uuid, "state": "delivered"},
            "delivered",
        ]
        for results in malformed:
            with self.subTest(results=results), self.assertRaises(ValidationError):
                self.record(results)
        self.assertRecordValues(row + other, [{"state": "leased"}, {"state": "leased"}])

    def test_empty_batch(self):
        self.assertEqual(self.record([]), {"updated": 0, "unknown": [], "ignored": []})
