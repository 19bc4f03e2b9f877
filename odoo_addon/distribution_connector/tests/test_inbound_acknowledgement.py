import datetime
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from . import inbound_data as data
from .common import InboundCase


@tagged("post_install", "-at_install")
class TestAcknowledgement(InboundCase):
    def setUp(self):
        super().setUp()
        self.order = self.create_order(user_id=self.buyer.id)
        self.order.button_confirm()
        self.desk_line, self.panel_line = self.order.order_line.sorted("connector_line_number")

    def ack_item(self, status="accepted", lines=(), partner="WOODCORNER", order=None, **extra):
        order = order or self.order
        return data.item(
            "supplier.order_acknowledged", partner, order.name, data.ack(order.name, status, lines, **extra)
        )

    def test_accept_with_promised_dates(self):
        item = self.ack_item("accepted", [
            data.ack_line(10, data.portion(delivery="2026-12-03")),
            data.ack_line(20, data.portion(quantity=22.5, uom="KGM", delivery="2026-12-05")),
        ])
        answer = self.apply_one(item)
        self.assertEqual(answer, {
            "event_id": item["event_id"], "outcome": "applied", "duplicate": False,
            "detail": "accepted: line 10 promised 2026-12-03; line 20 promised 2026-12-05",
            "record": {"model": "purchase.order", "id": self.order.id, "ref": self.order.name},
        })
        self.assertEqual(self.order.connector_supplier_status, "accepted")
        self.assertEqual(self.order.connector_ack_at, datetime.datetime(2026, 11, 26, 16, 0))
        self.assertEqual(self.order.connector_ack_ref, "CONF-1")
        self.assertEqual(self.desk_line.date_planned, datetime.datetime(2026, 12, 3, 12, 0))
        self.assertEqual(self.desk_line.connector_ack_status, "accepted")
        self.assertEqual(self.panel_line.connector_promised_date, datetime.datetime(2026, 12, 5, 12, 0))
        self.assertEqual(self.order.picking_ids.move_ids.filtered(
            lambda move: move.purchase_line_id == self.desk_line).date_deadline, datetime.datetime(2026, 12, 3, 12, 0))
        row = self.inbound_of(answer)
        self.assertEqual((row.outcome, row.partner_code, row.purchase_ids), ("applied", "WOODCORNER", self.order))
        self.assertEqual(self.order.connector_last_inbound_id, row)
        self.assertEqual(self.order.connector_inbound_count, 1)
        self.assertIn("Vendor answer CONF-1: accepted", self.last_note(self.order).body)
        self.assertEqual(self.last_note(self.order).author_id, self.integration_user.partner_id)
        # Applying the vendor's own answer is not announced back to the vendor as a change.
        self.env.flush_all()
        self.assertEqual(self.outbox_of(self.order).mapped("event_type"), ["purchase_order.confirmed"])

    def test_backorder_keeps_the_quantity_and_records_the_later_date(self):
        answer = self.apply_one(self.ack_item("partially_accepted", [
            data.ack_line(20, data.portion("accepted", 20, "KGM", "2026-12-03"),
                          data.portion("backordered", 2.5, "KGM", "2026-12-17"), status="backordered"),
        ]))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(self.order.connector_supplier_status, "changed")
        self.assertEqual(self.panel_line.product_qty, 22.5)
        self.assertEqual(self.panel_line.connector_ack_status, "backordered")
        self.assertEqual(self.panel_line.connector_backorder_qty, 2.5)
        self.assertEqual(self.panel_line.connector_backorder_date, datetime.datetime(2026, 12, 17, 12, 0))
        self.assertEqual(self.panel_line.date_planned, datetime.datetime(2026, 12, 3, 12, 0))
        self.assertIn("2.5 backordered until 2026-12-17", answer["detail"])

    def test_quantity_change_reaches_the_receipt(self):
        answer = self.apply_one(self.ack_item("changed", [
            data.ack_line(10, data.portion("changed", 2, "C62"), status="changed"),
        ]))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(self.desk_line.product_qty, 2)
        self.assertEqual(self.desk_line.connector_ack_qty, 2)
        receipt_moves = self.order.picking_ids.move_ids.filtered(
            lambda move: move.purchase_line_id == self.desk_line and move.state != "cancel")
        self.assertEqual(sum(receipt_moves.mapped("product_uom_qty")), 2)
        self.env.flush_all()
        self.assertEqual(self.outbox_of(self.order).mapped("event_type"), ["purchase_order.confirmed"])

    def test_rejected_line(self):
        answer = self.apply_one(self.ack_item("partially_accepted", [
            data.ack_line(10, data.portion("rejected"), status="rejected"), data.ack_line(20),
        ]))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(self.desk_line.product_qty, 0)
        self.assertEqual(self.desk_line.connector_ack_status, "rejected")
        self.assertEqual(self.panel_line.product_qty, 22.5)
        self.assertEqual(self.order.connector_supplier_status, "changed")

    def test_acknowledged_only(self):
        answer = self.apply_one(self.ack_item("acknowledged_only"))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(self.order.connector_supplier_status, "acknowledged")
        self.assertFalse(self.desk_line.connector_ack_status)

    def test_whole_order_rejection_is_an_exception_for_the_buyer(self):
        answer = self.apply_one(self.ack_item("rejected", note="Discontinued"))
        self.assertEqual(answer["outcome"], "exception")
        self.assertEqual(answer["detail"], "vendor rejected the order: Discontinued")
        self.assertEqual(self.order.connector_supplier_status, "rejected")
        self.assertEqual(self.order.state, "purchase")
        self.assertEqual(self.desk_line.product_qty, 3)
        activity = self.exception_activities(self.order)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.buyer)
        self.assertEqual(activity.summary, "Vendor rejected %s" % self.order.name)

    def test_late_acknowledgement_on_a_cancelled_order(self):
        self.order.button_cancel()
        before = self.order.read(["connector_supplier_status", "date_planned"])
        answer = self.apply_one(self.ack_item("accepted", [data.ack_line(10, data.portion(delivery="2026-12-09"))]))
        self.assertEqual(answer["outcome"], "exception")
        self.assertIn("late acknowledgement", answer["detail"])
        self.assertEqual(self.order.read(["connector_supplier_status", "date_planned"]), before)
        self.assertFalse(self.desk_line.connector_ack_status)
        self.assertEqual(self.exception_activities(self.order).summary, "Late vendor answer: %s" % self.order.name)
        self.assertIn("not applied", self.last_note(self.order).body)

    def test_late_acknowledgement_on_a_received_order(self):
        self.apply_one(self.ack_item("accepted"))
        receipt = self.order.picking_ids
        for move in receipt.move_ids:
            move.quantity = move.product_uom_qty
        receipt.move_ids.picked = True
        receipt._action_done()
        self.assertEqual(self.order.receipt_status, "full")
        answer = self.apply_one(self.ack_item("changed", [
            data.ack_line(10, data.portion("changed", 1, "C62"), status="changed")], version=2))
        self.assertEqual(answer["outcome"], "exception")
        self.assertIn("already received", answer["detail"])
        self.assertEqual(self.order.connector_supplier_status, "accepted")
        self.assertEqual(self.desk_line.product_qty, 3)

    def test_acknowledgement_of_an_unconfirmed_order(self):
        rfq = self.create_order(user_id=self.buyer.id)
        answer = self.apply_one(self.ack_item("accepted", order=rfq))
        self.assertEqual(answer["outcome"], "exception")
        self.assertIn("not confirmed", answer["detail"])
        self.assertFalse(rfq.connector_supplier_status)

    def test_older_version_is_stale(self):
        self.apply_one(self.ack_item("accepted", [data.ack_line(10, data.portion(delivery="2026-12-09"))], version=2))
        answer = self.apply_one(self.ack_item("changed", [
            data.ack_line(10, data.portion("changed", 1, "C62", "2026-12-20"), status="changed")], version=1))
        self.assertEqual(answer["outcome"], "stale")
        self.assertEqual(answer["detail"], "version 1 is older than the applied version 2")
        self.assertEqual(self.desk_line.product_qty, 3)
        self.assertEqual(self.desk_line.date_planned, datetime.datetime(2026, 12, 9, 12, 0))
        self.assertEqual(self.order.connector_supplier_status, "accepted")
        self.assertEqual(self.inbound_of(answer).outcome, "stale")
        # The same version again, corrected, applies.
        answer = self.apply_one(self.ack_item("accepted", [data.ack_line(10, data.portion(delivery="2026-12-10"))], version=2))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(self.desk_line.date_planned, datetime.datetime(2026, 12, 10, 12, 0))

    def test_older_issue_time_is_stale_without_versions(self):
        self.apply_one(self.ack_item("accepted", version=None, issued_at="2026-11-26T12:00:00Z"))
        answer = self.apply_one(self.ack_item("rejected", version=None, issued_at="2026-11-26T09:00:00Z"))
        self.assertEqual(answer["outcome"], "stale")
        self.assertEqual(self.order.connector_supplier_status, "accepted")
        self.assertFalse(self.exception_activities(self.order))
        answer = self.apply_one(self.ack_item("rejected", version=None, issued_at="2026-11-27T09:00:00Z"))
        self.assertEqual(answer["outcome"], "exception")

    def test_newer_version_replaces_the_answer(self):
        self.apply_one(self.ack_item("accepted", version=1))
        answer = self.apply_one(self.ack_item("changed", [
            data.ack_line(20, data.portion("changed", 20, "KGM"), status="changed")], version=2))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(self.panel_line.product_qty, 20)
        self.assertEqual(self.order.connector_ack_version, 2)

    def test_quantity_change_after_a_receipt_does_not_reconcile(self):
        receipt = self.order.picking_ids
        desk_move = receipt.move_ids.filtered(lambda move: move.purchase_line_id == self.desk_line)
        desk_move.quantity = 1
        desk_move.picked = True
        receipt.with_context(cancel_backorder=False)._action_done()
        answer = self.apply_one(self.ack_item("changed", [
            data.ack_line(10, data.portion("changed", 2, "C62"), status="changed")]))
        self.assertEqual(answer["outcome"], "exception")
        self.assertEqual(answer["detail"], "line 10: quantity 2 after 1 received")
        self.assertEqual(self.desk_line.product_qty, 3)
        self.assertEqual(self.order.connector_supplier_status, "exception")
        self.assertEqual(self.exception_activities(self.order).user_id, self.buyer)

    def test_other_things_that_do_not_reconcile(self):
        cases = [
            ("line 30 is not in the order", data.ack_line(30)),
            ("quantities in KGM, ordered in C62", data.ack_line(10, data.portion(quantity=3, uom="KGM"))),
            ("price 500 instead of 450", data.ack_line(10, data.portion(unit_price={"amount": 500.0, "currency": None}))),
        ]
        for expected, line in cases:
            with self.subTest(expected=expected):
                answer = self.apply_one(self.ack_item("changed", [line]))
                self.assertEqual(answer["outcome"], "exception")
                self.assertIn(expected, answer["detail"])
                self.assertEqual(self.desk_line.product_qty, 3)
                self.assertFalse(self.desk_line.connector_ack_status)

    def test_unknown_references(self):
        answer = self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", "P99999", data.ack("P99999")))
        self.assertEqual((answer["outcome"], answer["record"]), ("unknown_reference", None))
        self.assertEqual(answer["detail"], "no purchase order P99999")
        self.assertEqual(self.inbound_of(answer).outcome, "unknown_reference")
        answer = self.apply_one(self.ack_item("accepted", partner="OTHER-VENDOR"))
        self.assertEqual(answer["outcome"], "unknown_reference")
        self.assertEqual(answer["detail"], "%s belongs to another vendor" % self.order.name)
        self.assertFalse(self.order.connector_supplier_status)

    def test_duplicate_returns_the_stored_outcome_and_changes_nothing(self):
        item = self.ack_item("changed", [data.ack_line(10, data.portion("changed", 2, "C62"), status="changed")])
        first = self.apply_one(item)
        self.desk_line.product_qty = 3
        messages = len(self.order.message_ids)
        again = self.apply_one(dict(item, data=data.ack(self.order.name, "rejected")))
        self.assertEqual(again, dict(first, duplicate=True))
        self.assertEqual(self.desk_line.product_qty, 3)
        self.assertEqual(len(self.order.message_ids), messages)
        self.assertEqual(self.Inbound.search_count([("event_uuid", "=", item["event_id"])]), 1)

    def test_odoo_refusing_the_change_is_an_exception(self):
        with patch.object(type(self.env["purchase.order"]), "_connector_apply_acknowledgement",
                          side_effect=UserError("locked by a test")):
            answer = self.apply_one(self.ack_item("accepted"))
        self.assertEqual(answer["outcome"], "exception")
        self.assertEqual(answer["detail"], "could not apply: locked by a test")
        self.assertEqual(answer["record"]["id"], self.order.id)
        self.assertTrue(self.exception_activities(self.order))

    def test_one_bad_event_does_not_stop_the_others(self):
        bad = self.ack_item("accepted")
        bad["data"]["status"] = "maybe"
        good = self.ack_item("accepted")
        answers = self.apply(bad, good)
        self.assertEqual([answer["outcome"] for answer in answers], ["rejected", "applied"])
        self.assertEqual([answer["event_id"] for answer in answers], [bad["event_id"], good["event_id"]])
        self.assertIn("data/status", answers[0]["detail"])
        self.assertEqual(self.inbound_of(answers[0]).outcome, "rejected")


@tagged("post_install", "-at_install")
class TestDocumentStatusAndSent(InboundCase):
    def test_delivery_marks_the_order_sent_then_the_answer_wins(self):
        order, row = self.claimed_row()
        self.record([{"event_id": row.event_uuid, "state": "delivered", "at": "2026-11-26T08:00:00Z"}])
        self.assertEqual(order.connector_supplier_status, "sent")
        self.assertEqual(order.connector_sent_at, datetime.datetime(2026, 11, 26, 8, 0))
        self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name),
                                 occurred_at="2026-11-26T09:00:00Z"))
        self.assertEqual(order.connector_supplier_status, "accepted")
        # A replayed delivery reported later, but that happened before the answer, changes nothing.
        order._connector_mark_sent({order.id: datetime.datetime(2026, 11, 26, 8, 30)})
        self.assertEqual(order.connector_supplier_status, "accepted")

    def test_document_status(self):
        order = self.create_order(user_id=self.buyer.id)
        order.button_confirm()
        answer = self.apply_one(data.item("supplier.document_status", "WOODCORNER", order.name, data.document_status()))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(order.connector_supplier_status, "acknowledged")
        error = data.document_status("client_error", 400, "Bad Request")
        answer = self.apply_one(data.item("supplier.document_status", "WOODCORNER", order.name, error,
                                          occurred_at="2026-11-26T17:00:00Z"))
        self.assertEqual(answer["outcome"], "exception")
        self.assertEqual(order.connector_supplier_status, "exception")
        self.assertEqual(self.exception_activities(order).user_id, self.buyer)

    def test_document_status_found_by_our_message_id(self):
        order, row = self.confirmed_row()
        ref = "%s@odoo-distribution-connector" % row.event_uuid
        answer = self.apply_one(data.item("supplier.document_status", "WOODCORNER", ref, data.document_status(document_ref=ref)))
        self.assertEqual((answer["outcome"], answer["record"]["id"]), ("applied", order.id))
