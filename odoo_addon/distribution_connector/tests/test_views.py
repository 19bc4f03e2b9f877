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

    def test_integration_screens_load_for_staff(self):
        for model, view_types in (
            ("connector.inbound", ("list", "form", "search")),
            ("connector.attention", ("list", "pivot", "search")),
        ):
            with self.subTest(model=model):
                views = self.env[model].with_user(self.staff_user).get_views([(False, view) for view in view_types])
                self.assertEqual(set(views["views"]), set(view_types))
        search = self.env["connector.attention"].with_user(self.staff_user).get_views([(False, "search")])
        self.assertIn("searchpanel", search["views"]["search"]["arch"])
        root = self.env.ref("distribution_connector.connector_root_menu")
        self.assertIn(self.env.ref("distribution_connector.group_connector_user"), root.groups_id)
        visible = self.env["ir.ui.menu"].with_user(self.staff_user)._visible_menu_ids()
        self.assertIn(root.id, visible)
        self.assertNotIn(root.id, self.env["ir.ui.menu"].with_user(self.buyer)._visible_menu_ids())
        self.assertNotIn(self.env.ref("distribution_connector.connector_settings_menu").id, visible)

    def test_status_fields_on_order_and_transfer_forms(self):
        order, _row = self.confirmed_row()
        order.connector_supplier_status = "accepted"
        form = order.with_user(self.buyer).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("connector_supplier_status", form)
        self.assertNotIn("connector_last_inbound_id", form)  # staff of the connector only
        staff_form = order.with_user(self.staff_user).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_view_connector_inbound", staff_form)
        picking_form = self.env["stock.picking"].with_user(self.buyer).get_views([(False, "form")])["views"]["form"]["arch"]
        for field in ("connector_carrier_status", "connector_tracking_url", "connector_last_milestone", "connector_eta",
                      "connector_asn_note"):
            self.assertIn(field, picking_form)
        self.assertEqual(Form(order.with_user(self.buyer)).connector_supplier_status, "accepted")
        # Labels reach the screens (Odoo keeps them for list selections only).
        labels = self.env["ir.model.fields"].get_field_selection
        self.assertIn(("accepted", "Accepted"), labels("purchase.order", "connector_supplier_status"))
        self.assertIn(("out_for_delivery", "Out for Delivery"), labels("stock.picking", "connector_carrier_status"))

    def test_settings_page_loads(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        for field in ("connector_sidecar_url", "connector_nudge_secret", "connector_ack_delay_hours",
                      "connector_milestone_delay_hours", "connector_retention_days"):
            self.assertIn(field, arch)
