import uuid

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import ConnectorCase


@tagged("post_install", "-at_install")
class TestOutboxReconcile(ConnectorCase):
    """connector.outbox.reconcile_view: what the sidecar's reconciliation reads; it changes nothing."""

    def view(self, **kwargs):
        return self.Outbox.with_user(self.integration_user).reconcile_view(**kwargs)

    def _expire_lease(self, row):
        self.env.cr.execute(
            "UPDATE connector_outbox SET lease_until = (now() AT TIME ZONE 'UTC') - interval '1 second'"
            " WHERE id = %s",
            [row.id],
        )
        row.invalidate_recordset()

    def test_rows_by_event_id_whatever_their_state(self):
        _order, delivered = self.claimed_row()
        self.record([{"event_id": delivered.event_uuid, "state": "delivered"}])
        _order, pending = self.confirmed_row()
        answer = self.view(event_ids=[delivered.event_uuid.upper(), pending.event_uuid, str(uuid.uuid4())])
        self.assertRegex(answer["now"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIs(answer["leased_truncated"], False)
        self.assertEqual(answer["rows"], [
            {"outbox_id": delivered.id, "event_id": delivered.event_uuid, "state": "delivered", "replay": False,
             "lease_consumer": None, "lease_generation": None, "lease_until": None, "attempts": 1},
            {"outbox_id": pending.id, "event_id": pending.event_uuid, "state": "pending", "replay": False,
             "lease_consumer": None, "lease_generation": None, "lease_until": None, "attempts": 0},
        ])

    def test_rows_leased_to_the_consumer_and_expired_leases_of_anyone(self):
        _order, ours = self.confirmed_row()
        self.claim(consumer="odc-a", generation=3)
        _order, theirs = self.confirmed_row()
        self.claim(consumer="odc-b", generation=1)
        _order, expired = self.confirmed_row()
        self.claim(consumer="odc-b", generation=1)
        self._expire_lease(expired)
        _order, _pending = self.confirmed_row()
        answer = self.view(consumer="odc-a")
        self.assertEqual([row["outbox_id"] for row in answer["rows"]], [ours.id, expired.id])
        first = answer["rows"][0]
        self.assertEqual((first["state"], first["lease_consumer"], first["lease_generation"]), ("leased", "odc-a", 3))
        self.assertRegex(first["lease_until"], r"Z$")
        self.assertEqual(answer["rows"][1]["lease_consumer"], "odc-b")
        self.assertNotIn(theirs.id, [row["outbox_id"] for row in answer["rows"]])
        limited = self.view(consumer="odc-a", limit=1)
        self.assertEqual([row["outbox_id"] for row in limited["rows"]], [ours.id])
        self.assertIs(limited["leased_truncated"], True)
        # Reading changes nothing.
        self.assertRecordValues(ours | expired, [{"state": "leased", "attempts": 1}] * 2)

    def test_refuses_bad_arguments(self):
        for kwargs in (
            {"event_ids": "not a list"},
            {"event_ids": ["nope"]},
            {"event_ids": [str(uuid.uuid4())] * 5001},
            {"consumer": "bad id!"},
            {"consumer": 7},
            {"limit": 0},
            {"limit": True},
            {"limit": 5001},
        ):
            with self.subTest(kwargs=kwargs), self.assertRaises(ValidationError):
                self.view(**kwargs)

    def test_only_the_integration_user_reads_it(self):
        _order, row = self.claimed_row()
        for user in (self.staff_user, self.connector_manager, self.env.ref("base.user_admin")):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.Outbox.with_user(user).reconcile_view(event_ids=[row.event_uuid])

    def test_other_companies_rows_are_not_shown(self):
        other_company = self.env["res.company"].create({"name": "Reconcile Other Co"})
        order = self.create_order(company=other_company)
        order.button_confirm()
        row = self.outbox_of(order)
        self.assertEqual(self.view(event_ids=[row.event_uuid])["rows"], [])
