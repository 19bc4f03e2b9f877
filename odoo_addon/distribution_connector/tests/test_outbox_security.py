from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ConnectorCase


@tagged("post_install", "-at_install")
class TestOutboxSecurity(ConnectorCase):
    def test_only_the_integration_user_claims_and_records(self):
        _order, row = self.confirmed_row()
        for user in (self.staff_user, self.connector_manager, self.buyer, self.env.ref("base.user_admin")):
            outbox = self.Outbox.with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    outbox.claim_batch()
                with self.assertRaises(AccessError):
                    outbox.record_results([{"event_id": row.event_uuid, "state": "delivered"}])
        self.assertEqual(row.state, "pending")

    def test_staff_reads_but_does_not_edit(self):
        _order, row = self.confirmed_row()
        self.assertEqual(row.with_user(self.staff_user).read(["state"])[0]["state"], "pending")
        with self.assertRaises(AccessError):
            row.with_user(self.staff_user).write({"state": "delivered"})
        with self.assertRaises(AccessError):
            row.with_user(self.staff_user).unlink()
        with self.assertRaises(AccessError):
            self.Outbox.with_user(self.staff_user).create({
                "event_uuid": "x", "event_type": "a.b", "subject_model": "x", "subject_id": 1, "sequence": 1,
            })

    def test_cancel_is_for_managers(self):
        _order, row = self.confirmed_row()
        with self.assertRaises(AccessError):
            row.with_user(self.staff_user).action_cancel()
        row.with_user(self.connector_manager).action_cancel()
        self.assertEqual(row.state, "cancelled")

    def test_users_outside_the_connector_groups_see_no_outbox(self):
        _order, row = self.confirmed_row()
        with self.assertRaises(AccessError):
            row.with_user(self.buyer).read(["state"])
        with self.assertRaises(AccessError):
            row.with_user(self.buyer).action_retry()

    def test_integration_user_reads_only_the_outbox(self):
        _order, row = self.confirmed_row()
        self.assertEqual(row.with_user(self.integration_user).read(["event_uuid"])[0]["event_uuid"], row.event_uuid)
        with self.assertRaises(AccessError):
            row.with_user(self.integration_user).write({"state": "delivered"})
        with self.assertRaises(AccessError):
            self.env["purchase.order"].with_user(self.integration_user).search([])

    def test_outbox_of_another_company_is_hidden(self):
        other_company = self.env["res.company"].create({"name": "Other Distribution Co"})
        order = self.create_order(company=other_company)
        order.button_confirm()
        row = self.outbox_of(order)
        self.assertFalse(self.Outbox.with_user(self.staff_user).search([("id", "=", row.id)]))
        self.staff_user.company_ids |= other_company
        self.assertTrue(
            self.Outbox.with_user(self.staff_user)
            .with_context(allowed_company_ids=[self.company.id, other_company.id])
            .search([("id", "=", row.id)])
        )

    def test_partner_code_is_set_by_managers_only(self):
        self.buyer.groups_id |= self.env.ref("base.group_partner_manager")
        with self.assertRaises(AccessError):
            self.vendor.with_user(self.buyer).write({"connector_partner_code": "OTHER"})
        # Other fields stay editable by buyers, and re-writing the same code is harmless.
        self.vendor.with_user(self.buyer).write({"phone": "+32 2 000 00 00", "connector_partner_code": "WOODCORNER"})
        self.assertFalse(self.vendor.with_user(self.buyer).connector_can_edit_partner_code)
        purchase_manager = self.env["res.users"].create({
            "name": "Purchase manager", "login": "odc_purchase_manager",
            "groups_id": [(6, 0, [self.env.ref("purchase.group_purchase_manager").id])],
        })
        self.assertTrue(self.vendor.with_user(purchase_manager).connector_can_edit_partner_code)
        self.vendor.with_user(purchase_manager).write({"connector_partner_code": "WOOD-2"})
        self.assertEqual(self.vendor.connector_partner_code, "WOOD-2")

    def test_partner_code_format(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.vendor.connector_partner_code = "has space"
        carrier = self.env["delivery.carrier"].search([], limit=1)
        if carrier:
            with self.assertRaises(ValidationError):
                carrier.connector_partner_code = "-bad"
            carrier.connector_partner_code = "DHL-EXPRESS"
