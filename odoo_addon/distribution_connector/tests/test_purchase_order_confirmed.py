from odoo import Command
from odoo.tests import tagged

from .common import ConnectorCase, contract_validation_unavailable, validate_against_contract


@tagged("post_install", "-at_install")
class TestPurchaseOrderConfirmed(ConnectorCase):
    def test_confirm_emits_one_event_with_the_canonical_payload(self):
        order, row = self.confirmed_row()
        self.assertEqual(len(row), 1)
        self.assertRecordValues(row, [{
            "event_type": "purchase_order.confirmed",
            "subject_model": "purchase.order",
            "subject_id": order.id,
            "subject_ref": order.name,
            "sequence": 1,
            "partner_code": "WOODCORNER",
            "state": "pending",
            "attempts": 0,
            "replay": False,
            "company_id": self.company.id,
        }])
        payload = row.payload
        self.assertEqual(payload["id"], row.event_uuid)
        self.assertEqual(payload["type"], "purchase_order.confirmed")
        self.assertEqual(payload["version"], 1)
        self.assertTrue(payload["occurred_at"].endswith("Z"))
        self.assertEqual(payload["source"], {
            "system": "odoo",
            "database": self.env.cr.dbname,
            "company": {"id": self.company.id, "name": self.company.name},
        })
        self.assertEqual(payload["subject"], {"model": "purchase.order", "id": order.id, "ref": order.name})
        self.assertEqual(payload["sequence"], 1)
        data = payload["data"]
        self.assertEqual(data["po_number"], order.name)
        self.assertEqual(data["currency"], order.currency_id.name)
        self.assertEqual(data["vendor"], {
            "id": self.vendor.id, "name": "Wood Corner", "partner_code": "WOODCORNER", "vat": "BE0477472701",
        })
        self.assertTrue(data["order_date"].endswith("Z"))
        self.assertAlmostEqual(data["amount_untaxed"], 1575.0)
        lines = data["lines"]
        self.assertEqual([line["line_number"] for line in lines], [10, 20])
        self.assertEqual([line["product_code"] for line in lines], ["FURN_7800", "FURN_0001"])
        self.assertEqual([line["vendor_product_code"] for line in lines], ["WC-DESK-CMB", None])
        self.assertEqual([line["uom"] for line in lines], ["C62", "KGM"])
        self.assertEqual([line["quantity"] for line in lines], [3.0, 22.5])
        self.assertEqual([line["unit_price"] for line in lines], [450.0, 10.0])
        self.assertTrue(all(line["planned_date"].endswith("Z") for line in lines))
        self.assertEqual(order.order_line.mapped("connector_line_number"), [10, 20])

    def test_payload_validates_against_the_contract(self):
        reason = contract_validation_unavailable()
        if reason:
            self.skipTest("payload not checked against contracts/v1: %s" % reason)
        _order, row = self.confirmed_row()
        validate_against_contract(row.payload)

    def test_contact_uses_its_company_code_and_sections_are_not_sent(self):
        contact = self.env["res.partner"].create({"name": "Buyer desk", "parent_id": self.vendor.id})
        order = self.create_order(partner=contact)
        order.order_line = [Command.create({"display_type": "line_section", "name": "Furniture", "product_qty": 0})]
        order.button_confirm()
        row = self.outbox_of(order)
        self.assertEqual(row.partner_code, "WOODCORNER")
        self.assertEqual(len(row.payload["data"]["lines"]), 2)
        self.assertEqual(row.payload["data"]["vendor"]["id"], self.vendor.id)

    def test_vendor_without_code_still_emits_with_null_code(self):
        vendor = self.env["res.partner"].create({"name": "No Code Ltd", "is_company": True})
        order = self.create_order(partner=vendor)
        order.button_confirm()
        row = self.outbox_of(order)
        self.assertFalse(row.partner_code)
        self.assertIsNone(row.payload["data"]["vendor"]["partner_code"])

    def test_unknown_unit_is_sent_as_zz(self):
        pallet = self.env["uom.uom"].create({
            "name": "Pallet",
            "category_id": self.uom_unit.category_id.id,
            "uom_type": "bigger",
            "factor_inv": 40,
        })
        order = self.create_order()
        order.order_line[0].product_uom = pallet
        with self.assertLogs("odoo.addons.distribution_connector.tools.vocabulary", level="WARNING"):
            order.button_confirm()
        self.assertEqual(self.outbox_of(order).payload["data"]["lines"][0]["uom"], "ZZ")

    def test_two_step_approval_emits_only_on_approval(self):
        self.company.write({"po_double_validation": "two_step", "po_double_validation_amount": 0})
        order = self.create_order()
        order.with_user(self.buyer).button_confirm()
        self.assertEqual(order.state, "to approve")
        self.assertFalse(self.outbox_of(order))
        order.button_approve()
        self.assertEqual(order.state, "purchase")
        row = self.outbox_of(order)
        self.assertEqual(len(row), 1)
        self.assertEqual(row.event_type, "purchase_order.confirmed")

    def test_locked_on_confirmation(self):
        self.company.po_lock = "lock"
        order, row = self.confirmed_row()
        self.assertEqual(order.state, "done")
        self.assertEqual(row.event_type, "purchase_order.confirmed")
        self.assertEqual([line["line_number"] for line in row.payload["data"]["lines"]], [10, 20])

    def test_buyer_without_connector_rights_confirms(self):
        order = self.create_order()
        order.with_user(self.buyer).button_confirm()
        self.assertEqual(order.state, "purchase")
        self.assertEqual(len(self.outbox_of(order)), 1)

    def test_approving_twice_emits_once(self):
        order, _row = self.confirmed_row()
        order.button_approve()
        self.assertEqual(len(self.outbox_of(order)), 1)

    def test_sequence_increments_per_subject(self):
        order, first = self.confirmed_row()
        second = self.Outbox._emit("purchase_order.changed", order, {"po_number": order.name})
        third = self.Outbox._emit("purchase_order.changed", order, {"po_number": order.name})
        self.assertEqual((first + second + third).mapped("sequence"), [1, 2, 3])
        self.assertEqual(third.payload["sequence"], 3)
        _other, other_row = self.confirmed_row()
        self.assertEqual(other_row.sequence, 1)

    def test_line_numbers_are_never_reused(self):
        order = self.create_order()
        order._connector_assign_line_numbers()
        self.assertEqual(order.order_line.mapped("connector_line_number"), [10, 20])
        order.order_line[1].unlink()
        order.order_line = [Command.create({"product_id": self.product_desk.id, "product_qty": 1})]
        order.button_confirm()
        self.assertEqual(order.order_line.mapped("connector_line_number"), [10, 30])
        self.assertEqual([line["line_number"] for line in self.outbox_of(order).payload["data"]["lines"]], [10, 30])

    def test_line_number_is_not_copied(self):
        order, _row = self.confirmed_row()
        copy = order.copy()
        self.assertEqual(copy.order_line.mapped("connector_line_number"), [0, 0])
        self.assertEqual(copy.connector_last_line_number, 0)

    def test_outbox_count_on_the_order(self):
        order, _row = self.confirmed_row()
        self.assertEqual(order.connector_outbox_count, 1)
        # A buyer who may not read the outbox sees no count rather than an error.
        self.assertEqual(order.with_user(self.buyer).connector_outbox_count, 0)
        action = order.action_view_connector_outbox()
        self.assertEqual(self.Outbox.search(action["domain"]), self.outbox_of(order))
