import datetime

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from . import inbound_data as data
from .common import InboundCase


@tagged("post_install", "-at_install")
class TestAttention(InboundCase):
    def attention(self, kind=None):
        domain = [("kind", "=", kind)] if kind else []
        return self.env["connector.attention"].with_user(self.staff_user).search(domain)

    def of(self, record, kind):
        return self.attention(kind).filtered(lambda row: row.res_model == record._name and row.res_id == record.id)

    def hours_ago(self, hours):
        return fields.Datetime.now() - datetime.timedelta(hours=hours)

    def test_orders_waiting_for_the_vendor_past_the_delay(self):
        order = self.confirmed_order()
        order.write({"connector_supplier_status": "sent", "connector_sent_at": self.hours_ago(10)})
        self.assertFalse(self.of(order, "ack_overdue"))
        self.env["ir.config_parameter"].set_param("distribution_connector.ack_delay_hours", "8")
        row = self.of(order, "ack_overdue")
        self.assertEqual(row.name, order.name)
        self.assertEqual(row.partner_code, "WOODCORNER")
        self.assertEqual(row.warehouse_id, self.warehouse)
        self.assertAlmostEqual(row.waiting_hours, 10, delta=0.1)
        self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name)))
        self.assertFalse(self.of(order, "ack_overdue"))

    def test_a_vendor_or_carrier_may_have_its_own_delay(self):
        order = self.confirmed_order()
        order.write({"connector_supplier_status": "sent", "connector_sent_at": self.hours_ago(3)})
        self.assertFalse(self.of(order, "ack_overdue"))
        order.partner_id.commercial_partner_id.connector_ack_delay_hours = 2
        self.assertTrue(self.of(order, "ack_overdue"))
        order.partner_id.commercial_partner_id.connector_ack_delay_hours = 0  # empty: the settings' delay
        self.assertFalse(self.of(order, "ack_overdue"))
        picking = self.delivery_order(done=True)
        picking.date_done = self.hours_ago(5)
        self.assertFalse(self.of(picking, "no_milestone"))
        self.carrier.connector_milestone_delay_hours = 4
        self.assertTrue(self.of(picking, "no_milestone"))
        with self.assertRaises(ValidationError):
            self.carrier.connector_milestone_delay_hours = -1
        with self.assertRaises(ValidationError):
            order.partner_id.commercial_partner_id.connector_ack_delay_hours = -3

    def test_a_bad_delay_falls_back_to_the_default(self):
        order = self.confirmed_order()
        order.write({"connector_supplier_status": "sent", "connector_sent_at": self.hours_ago(50)})
        self.env["ir.config_parameter"].set_param("distribution_connector.ack_delay_hours", "two days")
        self.assertTrue(self.of(order, "ack_overdue"))

    def test_vendor_exceptions(self):
        order = self.confirmed_order()
        answer = self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name, "rejected")))
        self.assertIn("rejected", self.of(order, "vendor_exception").detail)
        # Listed once, with its order: the message itself is not "to review" as well.
        self.assertFalse(self.of(self.inbound_of(answer), "inbound_exception"))

    def test_exceptions_no_document_shows_are_messages_to_review(self):
        order = self.confirmed_order()
        order.button_cancel()
        answer = self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name)))
        self.assertEqual(answer["outcome"], "exception")
        self.assertTrue(self.of(self.inbound_of(answer), "inbound_exception"))
        rejected = self.apply_one(data.item("carrier.tracking_updated", "EASYPOST-USPS", "X", {"tracking_number": "X"}))
        self.assertTrue(self.of(self.inbound_of(rejected), "inbound_exception"))

    def test_shipments_without_carrier_news(self):
        picking = self.delivery_order(done=True)
        picking.carrier_tracking_ref = "T-1"
        picking.date_done = self.hours_ago(30)
        row = self.of(picking, "no_milestone")
        self.assertEqual((row.carrier_id, row.warehouse_id), (self.carrier, self.warehouse))
        self.assertEqual(row.detail, "dispatched, no carrier news")
        at = fields.Datetime.to_string(self.hours_ago(2)).replace(" ", "T") + "Z"
        self.apply_one(data.item("carrier.tracking_updated", "EASYPOST-USPS", "T-1", data.tracking("T-1", "in_transit", at)))
        self.assertFalse(self.of(picking, "no_milestone"))
        # Stuck in transit for longer than the delay counts too.
        picking.connector_last_milestone_at = self.hours_ago(25)
        self.assertTrue(self.of(picking, "no_milestone"))
        picking.connector_carrier_status = "delivered"
        self.assertFalse(self.of(picking, "no_milestone"))

    def test_carrier_exceptions(self):
        picking = self.delivery_order(done=True)
        picking.carrier_tracking_ref = "T-2"
        self.apply_one(data.item("carrier.tracking_updated", "EASYPOST-USPS", "T-2",
                                 data.tracking("T-2", "exception", "2026-12-03T12:00:00Z", detail="Damaged")))
        self.assertIn("Damaged", self.of(picking, "carrier_exception").detail)
        self.assertFalse(self.of(picking, "no_milestone"))

    def test_dead_events_backlog_and_messages_to_review(self):
        order, row = self.claimed_row()
        backlog = self.of(row, "backlog")
        self.assertEqual(backlog.warehouse_id, self.warehouse)
        self.assertEqual(backlog.partner_code, "WOODCORNER")
        self.record([{"event_id": row.event_uuid, "state": "dead", "error": "HTTP 503"}])
        self.assertFalse(self.of(row, "backlog"))
        self.assertEqual(self.of(row, "dead_event").detail, "HTTP 503")
        answer = self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", "P99999", data.ack("P99999")))
        message = self.inbound_of(answer)
        self.assertTrue(self.of(message, "inbound_exception"))
        message.with_user(self.staff_user).action_mark_reviewed()
        self.assertFalse(self.of(message, "inbound_exception"))

    def test_backlog_by_warehouse_and_by_carrier(self):
        self.confirmed_order()
        self.delivery_order()  # shipment.ready, pending
        Attention = self.env["connector.attention"].with_user(self.staff_user)
        by_warehouse = dict(Attention._read_group([("kind", "=", "backlog")], ["warehouse_id"], ["__count"]))
        self.assertGreaterEqual(by_warehouse[self.warehouse], 2)
        by_carrier = dict(Attention._read_group([("kind", "=", "backlog")], ["carrier_id"], ["__count"]))
        self.assertEqual(by_carrier[self.carrier], 1)

    def test_open_the_document(self):
        order, row = self.claimed_row()
        action = self.of(row, "backlog").action_open_record()
        self.assertEqual((action["res_model"], action["res_id"]), ("connector.outbox", row.id))
