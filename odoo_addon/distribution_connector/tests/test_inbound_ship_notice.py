import datetime

from odoo.tests import tagged

from . import inbound_data as data
from .common import InboundCase


@tagged("post_install", "-at_install")
class TestShipNotice(InboundCase):
    def setUp(self):
        super().setUp()
        self.order = self.create_order(user_id=self.buyer.id)
        self.order.button_confirm()
        self.receipt = self.order.picking_ids
        self.scheduled = self.receipt.scheduled_date

    def notice_item(self, shipment_id="WC-SHP-1", lines=None, operation="new", notice_at="2026-12-01T15:05:00Z",
                    delivery="2026-12-03", portions=None, partner="WOODCORNER", tracking=("1Z999AA10123456784",)):
        if portions is None:
            if lines is None:
                lines = [data.notice_line(10, 3, "C62", serials=["DSK-1", "DSK-2", "DSK-3"]),
                         data.notice_line(20, 20, "KGM", lots=["OAK-2026-11"])]
            portions = [data.notice_portion(self.order.name, lines)]
        notice = data.notice(shipment_id, portions, operation, delivery, notice_at, tracking)
        return data.item("supplier.shipment_noticed", partner, shipment_id, notice, occurred_at=notice_at)

    def test_new_notice_updates_the_receipt(self):
        answer = self.apply_one(self.notice_item())
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(answer["detail"], "ship notice WC-SHP-1: 2 lines expected")
        self.assertEqual(answer["record"], {"model": "stock.picking", "id": self.receipt.id, "ref": self.receipt.name})
        self.assertEqual(self.receipt.scheduled_date, datetime.datetime(2026, 12, 3, 12, 0))
        self.assertEqual(self.receipt.carrier_tracking_ref, "1Z999AA10123456784")
        self.assertEqual(self.receipt.connector_tracking_url, "https://www.ups.com/track?tracknum=1Z999AA10123456784")
        self.assertEqual(self.receipt.connector_asn_ref, "WC-SHP-1")
        self.assertEqual(self.receipt.connector_asn_note.splitlines(), [
            "Ship notice WC-SHP-1 (actual, partial) by UPS tracking 1Z999AA10123456784 expected 2026-12-03",
            "Line 10: 3 C62, serials DSK-1, DSK-2, DSK-3",
            "Line 20: 20 KGM, lot OAK-2026-11",
        ])
        row = self.inbound_of(answer)
        self.assertEqual((row.picking_ids, row.purchase_ids), (self.receipt, self.order))
        self.assertEqual(self.receipt.connector_inbound_count, 1)
        self.assertEqual(self.order.connector_inbound_count, 1)
        self.assertIn("Ship notice received", self.last_note(self.receipt).body)

    def test_notice_covering_two_orders(self):
        second = self.create_order(user_id=self.buyer.id)
        second.button_confirm()
        portions = [
            data.notice_portion(self.order.name, [data.notice_line(10, 3, "C62")]),
            data.notice_portion(second.name, [data.notice_line(20, 22.5, "KGM")]),
        ]
        answer = self.apply_one(self.notice_item(portions=portions))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual((self.receipt | second.picking_ids).mapped("connector_asn_ref"), ["WC-SHP-1", "WC-SHP-1"])
        self.assertIn("Line 20: 22.5 KGM", second.picking_ids.connector_asn_note)
        self.assertNotIn("Line 10", second.picking_ids.connector_asn_note)

    def test_header_level_notice(self):
        portions = [data.notice_portion(self.order.name, [], lines_known=False)]
        answer = self.apply_one(self.notice_item(portions=portions))
        self.assertEqual(answer["outcome"], "applied")
        self.assertIn("Lines not given", self.receipt.connector_asn_note)

    def test_update_replaces_and_older_update_is_stale(self):
        self.apply_one(self.notice_item())
        answer = self.apply_one(self.notice_item(
            operation="update", notice_at="2026-12-02T09:00:00Z", delivery="2026-12-04",
            lines=[data.notice_line(10, 2, "C62")], tracking=("1Z999AA10123456799",)))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(self.receipt.scheduled_date, datetime.datetime(2026, 12, 4, 12, 0))
        self.assertEqual(self.receipt.carrier_tracking_ref, "1Z999AA10123456799")
        self.assertIn("Line 10: 2 C62", self.receipt.connector_asn_note)
        self.assertIn("Ship notice updated", self.last_note(self.receipt).body)
        late = self.apply_one(self.notice_item(operation="update", notice_at="2026-12-01T20:00:00Z", delivery="2026-12-20"))
        self.assertEqual(late["outcome"], "stale")
        self.assertEqual(self.receipt.scheduled_date, datetime.datetime(2026, 12, 4, 12, 0))

    def test_delete_reverts_the_receipt(self):
        self.apply_one(self.notice_item())
        answer = self.apply_one(self.notice_item(operation="delete", notice_at="2026-12-02T09:00:00Z", portions=[]))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(answer["detail"], "ship notice WC-SHP-1 withdrawn")
        self.assertEqual(self.receipt.scheduled_date, self.scheduled)
        self.assertFalse(self.receipt.carrier_tracking_ref)
        self.assertFalse(self.receipt.connector_asn_ref)
        self.assertFalse(self.receipt.connector_asn_note)

    def test_delete_of_an_unknown_notice(self):
        for portions in ([], None):
            with self.subTest(portions=portions):
                answer = self.apply_one(self.notice_item(shipment_id="NEVER-SENT", operation="delete", portions=portions))
                self.assertEqual((answer["outcome"], answer["record"]), ("unknown_reference", None))
                self.assertEqual(answer["detail"], "no earlier ship notice NEVER-SENT to delete")
        self.assertEqual(self.receipt.scheduled_date, self.scheduled)

    def test_delete_after_receipt_is_an_exception(self):
        self.apply_one(self.notice_item())
        for move in self.receipt.move_ids:
            move.quantity = move.product_uom_qty
        self.receipt.move_ids.picked = True
        self.receipt._action_done()
        answer = self.apply_one(self.notice_item(operation="delete", notice_at="2026-12-05T09:00:00Z", portions=[]))
        self.assertEqual(answer["outcome"], "exception")
        self.assertIn("withdrawn after", answer["detail"])
        self.assertEqual(self.exception_activities(self.receipt).user_id, self.buyer)

    def test_more_than_ordered_does_not_reconcile(self):
        answer = self.apply_one(self.notice_item(lines=[data.notice_line(10, 5, "C62")]))
        self.assertEqual(answer["outcome"], "exception")
        self.assertEqual(answer["detail"], "%s line 10: 5 shipped, 3 expected" % self.order.name)
        self.assertEqual(self.receipt.scheduled_date, self.scheduled)
        self.assertFalse(self.receipt.connector_asn_ref)
        self.assertEqual(self.exception_activities(self.receipt).user_id, self.buyer)

    def test_notice_for_a_cancelled_order(self):
        self.order.button_cancel()
        answer = self.apply_one(self.notice_item())
        self.assertEqual(answer["outcome"], "exception")
        self.assertIn("is cancelled", answer["detail"])
        self.assertEqual(self.exception_activities(self.order).user_id, self.buyer)

    def test_unknown_order_or_other_vendor(self):
        answer = self.apply_one(self.notice_item(portions=[data.notice_portion("P99999", [])]))
        self.assertEqual(answer["outcome"], "unknown_reference")
        answer = self.apply_one(self.notice_item(partner="OTHER-VENDOR"))
        self.assertEqual(answer["outcome"], "unknown_reference")
        self.assertFalse(self.receipt.connector_asn_ref)
