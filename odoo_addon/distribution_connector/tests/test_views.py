from odoo.tests import Form, tagged

from .common import ConnectorCase


@tagged("post_install", "-at_install")
class TestViews(ConnectorCase):
    def test_outbox_views_load_for_staff(self):
        _order, row = self.confirmed_row()
        outbox = self.Outbox.with_user(self.staff_user)
        views = outbox.get_views([(False, "list"), (False, "form"), (False, "search")])
        self.assertEqual(set(views["views"]), {"list", "form", "search"})
        self.assertIn("action_retry", views["views"]["form"]["arch"])
        # The Cancel button is for administrators only.
        self.assertNotIn("action_cancel", views["views"]["form"]["arch"])
        manager_form = self.Outbox.with_user(self.connector_manager).get_views([(False, "form")])
        self.assertIn("action_cancel", manager_form["views"]["form"]["arch"])
        self.assertIn('"po_number"', row.with_user(self.staff_user).payload_display)

    def test_menu_is_visible_to_connector_users_only(self):
        menu = self.env.ref("distribution_connector.connector_outbox_menu")
        self.assertIn(self.env.ref("distribution_connector.group_connector_user"), menu.groups_id)

    def test_vendor_form_shows_the_partner_code(self):
        purchase_manager = self.env["res.users"].create({
            "name": "Purchase manager", "login": "odc_view_purchase_manager",
            "groups_id": [(6, 0, [self.env.ref("purchase.group_purchase_manager").id,
                                  self.env.ref("base.group_partner_manager").id])],
        })
        with Form(self.env["res.partner"].with_user(purchase_manager)) as vendor:
            vendor.name = "Form Vendor"
            vendor.company_type = "company"
            vendor.connector_partner_code = "FORMV"
        self.assertEqual(vendor.record.connector_partner_code, "FORMV")
        # A buyer may edit the vendor, but the code is read-only for them.
        self.buyer.groups_id |= self.env.ref("base.group_partner_manager")
        with Form(vendor.record.with_user(self.buyer)) as buyer_view:
            buyer_view.phone = "+32 2 000 00 00"
            with self.assertRaises(AssertionError):
                buyer_view.connector_partner_code = "OTHER"
        self.assertEqual(vendor.record.connector_partner_code, "FORMV")

    def test_order_and_transfer_forms_load_without_connector_rights(self):
        Form(self.env["purchase.order"].with_user(self.buyer))
        order, _row = self.confirmed_row()
        Form(order.picking_ids.with_user(self.buyer))
