import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ConnectorCase


@tagged("post_install", "-at_install")
class TestOutboxClaim(ConnectorCase):
    def _expire_lease(self, row):
        self.env.cr.execute(
            "UPDATE connector_outbox SET lease_until = (now() AT TIME ZONE 'UTC') - interval '1 second'"
            " WHERE id = %s",
            [row.id],
        )

    def test_claim_leases_the_row_and_returns_the_envelope(self):
        _order, row = self.confirmed_row()
        answer = self.claim(limit=10, lease_seconds=60)
        self.assertEqual([event["outbox_id"] for event in answer["events"]], [row.id])
        event = answer["events"][0]
        self.assertIs(event["replay"], False)
        self.assertEqual(event["event"], row.payload)
        self.assertRegex(answer["lease_token"], r"^[0-9a-f]{32}$")
        self.assertRegex(answer["lease_until"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRecordValues(row, [{"state": "leased", "attempts": 1}])
        self.assertEqual(row.sudo().lease_token, answer["lease_token"])
        now = fields.Datetime.now()
        self.assertTrue(now + timedelta(seconds=30) < row.lease_until < now + timedelta(seconds=90))

    def test_claim_can_return_each_event_as_its_json_text(self):
        _order, row = self.confirmed_row()
        answer = self.env["connector.outbox"].with_user(self.integration_user).claim_batch(
            limit=10, lease_seconds=60, raw_payload=True
        )
        event = answer["events"][0]
        self.assertNotIn("event", event)
        self.assertIsInstance(event["event_json"], str)
        self.assertEqual(json.loads(event["event_json"]), row.payload)
        with self.assertRaises(ValidationError):
            self.env["connector.outbox"].with_user(self.integration_user).claim_batch(raw_payload="yes")

    def test_a_leased_row_is_not_claimed_again_until_the_lease_expires(self):
        _order, row = self.claimed_row()
        self.assertFalse(self.claim()["events"])
        self._expire_lease(row)
        again = self.claim()
        self.assertEqual([event["outbox_id"] for event in again["events"]], [row.id])
        self.assertEqual(row.attempts, 2)
        self.assertEqual(row.sudo().lease_token, again["lease_token"])

    def test_claim_is_oldest_first_and_honours_the_limit(self):
        rows = self.Outbox
        for _i in range(3):
            rows |= self.confirmed_row()[1]
        first = self.claim(limit=2)
        self.assertEqual([event["outbox_id"] for event in first["events"]], sorted(rows.ids)[:2])
        second = self.claim(limit=2)
        self.assertEqual([event["outbox_id"] for event in second["events"]], sorted(rows.ids)[2:])

    def test_delivered_failed_dead_and_cancelled_rows_are_not_claimed(self):
        _order, row = self.confirmed_row()
        for state in ("delivered", "failed", "dead", "cancelled"):
            row.sudo().state = state
            self.assertFalse(self.claim()["events"], state)

    def test_claim_with_nothing_pending(self):
        answer = self.claim()
        self.assertEqual(answer["events"], [])
        self.assertTrue(answer["lease_until"].endswith("Z"))

    def test_bad_arguments_are_refused(self):
        _order, row = self.confirmed_row()
        for kwargs in ({"limit": 0}, {"limit": 5001}, {"limit": "10"}, {"lease_seconds": 0}, {"lease_seconds": 1.5}):
            with self.subTest(**kwargs), self.assertRaises(ValidationError):
                self.claim(**kwargs)
        self.assertEqual(row.state, "pending")

    def test_a_restarted_consumer_takes_back_the_rows_it_held(self):
        _order, row = self.confirmed_row()
        first = self.claim(limit=10, lease_seconds=600, consumer="odc-a", generation=1)
        self.assertEqual([event["outbox_id"] for event in first["events"]], [row.id])
        self.assertRecordValues(row.sudo(), [{"lease_consumer": "odc-a", "lease_generation": 1}])
        # The same start, another replica, or an older start: the lease holds.
        for kwargs in ({"consumer": "odc-a", "generation": 1}, {"consumer": "odc-b", "generation": 5}, {}):
            with self.subTest(**kwargs):
                self.assertEqual(self.claim(limit=10, lease_seconds=600, **kwargs)["events"], [])
        # The replica restarted (generation 2): its rows come back at once, leased anew.
        second = self.claim(limit=10, lease_seconds=600, consumer="odc-a", generation=2)
        self.assertEqual([event["outbox_id"] for event in second["events"]], [row.id])
        self.assertRecordValues(row.sudo(), [{"state": "leased", "attempts": 2, "lease_generation": 2}])
        self.assertEqual(row.sudo().lease_token, second["lease_token"])
        self.assertEqual(self.claim(limit=10, lease_seconds=600, consumer="odc-a", generation=2)["events"], [])
        # Its result clears the lease and who held it.
        self.record([{"event_id": row.event_uuid, "state": "delivered"}])
        self.assertRecordValues(row.sudo(), [{"state": "delivered", "lease_consumer": False, "lease_generation": 0}])

    def test_bad_consumer_arguments_are_refused(self):
        _order, row = self.confirmed_row()
        for kwargs in ({"consumer": "odc-a"}, {"generation": 1}, {"consumer": "", "generation": 1},
                       {"consumer": "a b", "generation": 1}, {"consumer": "odc-a", "generation": 0},
                       {"consumer": "odc-a", "generation": "2"}, {"consumer": ["odc-a"], "generation": 1}):
            with self.subTest(**kwargs), self.assertRaises(ValidationError):
                self.claim(**kwargs)
        self.assertEqual(row.state, "pending")

    def test_rows_of_other_companies_are_not_claimed(self):
        other_company = self.env["res.company"].create({"name": "Other Distribution Co"})
        order = self.create_order(company=other_company)
        order.button_confirm()
        row = self.outbox_of(order)
        self.assertEqual(row.company_id, other_company)
        self.assertNotIn(row.id, [event["outbox_id"] for event in self.claim()["events"]])
        self.integration_user.company_ids |= other_company
        self.assertIn(row.id, [event["outbox_id"] for event in self.claim()["events"]])
