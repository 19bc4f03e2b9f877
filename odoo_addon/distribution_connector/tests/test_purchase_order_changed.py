from odoo import Command
from odoo.tests import tagged

from .common import ConnectorCase, contract_validation_unavailable, validate_against_contract


@tagged("post_install", "-at_install")
class TestPurchaseOrderChanged(ConnectorCase):
    def end_transaction(self):
        """What a commit does before committing: flush, then run the pre-commit hooks."""
        self.env.cr.flush()

    def events(self, order):
        return self.outbox_of(order).mapped("event_type")

    def test_quantity_change_emits_the_whole_order_once(self):
        order, _confirmed = self.confirmed_row()
        self.end_transaction()
        order.order_line[0].product_qty = 5
        order.order_line[0].price_unit = 440.0
        order.order_line[1].product_qty = 25
        self.end_transaction()
        rows = self.outbox_of(order)
        self.assertEqual(rows.mapped("event_type"), ["purchase_order.confirmed", "purchase_order.changed"])
        changed = rows[1]
        self.assertEqual(changed.sequence, 2)
        self.assertEqual(changed.partner_code, "WOODCORNER")
        lines = changed.payload["data"]["lines"]
        self.assertEqual([(line["line_number"], line["quantity"], line["unit_price"]) for line in lines],
                         [(10, 5.0, 440.0), (20, 25.0, 10.0)])
        self.assertAlmostEqual(changed.payload["data"]["amount_untaxed"], 5 * 440.0 + 25 * 10.0)

    def test_changed_payload_validates_against_the_contract(self):
        reason = contract_validation_unavailable()
        if reason:
            self.skipTest("payload not checked against contracts/v1: %s" % reason)
        order, _confirmed = self.confirmed_row()
        self.end_transaction()
        order.partner_ref = "WC-SO-991"
        self.end_transaction()
        changed = self.outbox_of(order)[-1]
        self.assertEqual(changed.payload["data"]["vendor_reference"], "WC-SO-991")
        validate_against_contract(changed.payload)

    def test_new_line_gets_the_next_number(self):
        order, _confirmed = self.confirmed_row()
        self.end_transaction()
        order.order_line = [Command.create({"product_id": self.product_desk.id, "product_qty": 1, "price_unit": 450.0})]
        self.end_transaction()
        lines = self.outbox_of(order)[-1].payload["data"]["lines"]
        self.assertEqual([line["line_number"] for line in lines], [10, 20, 30])

    def test_same_transaction_as_the_confirmation_emits_nothing_more(self):
        order, _confirmed = self.confirmed_row()
        self.end_transaction()
        self.assertEqual(self.events(order), ["purchase_order.confirmed"])

    def test_writing_the_same_values_or_other_fields_emits_nothing(self):
        order, _confirmed = self.confirmed_row()
        self.end_transaction()
        order.order_line[0].product_qty = 3
        order.notes = "<p>internal note</p>"
        self.end_transaction()
        self.assertEqual(self.events(order), ["purchase_order.confirmed"])

    def test_receiving_goods_is_not_a_change(self):
        order, _confirmed = self.confirmed_row()
        self.end_transaction()
        receipt = order.picking_ids
        receipt.move_ids.quantity = 1
        receipt.move_ids.picked = True
        receipt.with_context(cancel_backorder=False)._action_done()
        self.end_transaction()
        self.assertNotIn("purchase_order.changed", self.events(order))

    def test_changes_applied_from_the_vendor_are_not_echoed(self):
        order, _confirmed = self.confirmed_row()
        self.end_transaction()
        order.order_line[0].with_context(distribution_connector_no_change_event=True).date_planned = "2026-12-24 08:00:00"
        self.end_transaction()
        self.assertEqual(self.events(order), ["purchase_order.confirmed"])

    def test_drafts_are_not_tracked(self):
        order = self.create_order()
        order.order_line[0].product_qty = 7
        self.end_transaction()
        self.assertFalse(self.outbox_of(order))

    def test_cancel_of_an_approved_order(self):
        order, _confirmed = self.confirmed_row()
        self.end_transaction()
        order.button_cancel()
        self.end_transaction()
        self.assertEqual(self.events(order), ["purchase_order.confirmed", "purchase_order.cancelled"])
        cancelled = self.outbox_of(order)[-1]
        self.assertEqual(cancelled.sequence, 2)
        self.assertEqual(cancelled.payload["data"]["po_number"], order.name)
        reason = contract_validation_unavailable()
        if not reason:
            validate_against_contract(cancelled.payload)

    def test_cancel_of_a_request_for_quotation_emits_nothing(self):
        order = self.create_order()
        order.button_cancel()
        self.end_transaction()
        self.assertFalse(self.outbox_of(order))
