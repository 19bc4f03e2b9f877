import datetime

from odoo.tests import tagged

from . import inbound_data as data
from .common import InboundCase

NUMBER = "9400100110368066352811"


@tagged("post_install", "-at_install")
class TestCarrierBooking(InboundCase):
    def booking_item(self, picking, numbers=(NUMBER,), label="https://labels.example/l1.png",
                     occurred_at="2026-11-26T09:31:07Z", partner="EASYPOST-USPS", ref=None):
        return data.item("carrier.shipment_booked", partner, ref or picking.name,
                         data.booking(picking.name, numbers, label), occurred_at=occurred_at, format="easypost")

    def test_booking_sets_tracking_and_label(self):
        picking = self.delivery_order()
        answer = self.apply_one(self.booking_item(picking))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(answer["detail"], "tracking %s (USPS GroundAdvantage)" % NUMBER)
        self.assertEqual(picking.carrier_tracking_ref, NUMBER)
        self.assertEqual(picking.connector_label_url, "https://labels.example/l1.png")
        self.assertEqual(picking.connector_carrier_status, "pre_transit")
        self.assertIn("Label bought", self.last_note(picking).body)

    def test_rebooking_replaces_and_older_booking_is_stale(self):
        picking = self.delivery_order()
        self.apply_one(self.booking_item(picking))
        answer = self.apply_one(self.booking_item(picking, ("9400100110368066359999",), occurred_at="2026-11-26T10:00:00Z"))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(picking.carrier_tracking_ref, "9400100110368066359999")
        self.assertIn("replacing tracking %s" % NUMBER, self.last_note(picking).body)
        older = self.apply_one(self.booking_item(picking, ("940010011036806635000",), occurred_at="2026-11-26T08:00:00Z"))
        self.assertEqual(older["outcome"], "stale")
        same = self.apply_one(self.booking_item(picking, ("9400100110368066359999",), occurred_at="2026-11-26T11:00:00Z"))
        self.assertEqual((same["outcome"], same["detail"]), ("stale", "booking already applied"))
        self.assertEqual(picking.carrier_tracking_ref, "9400100110368066359999")

    def test_booking_for_a_cancelled_delivery(self):
        picking = self.delivery_order()
        picking.action_cancel()
        answer = self.apply_one(self.booking_item(picking))
        self.assertEqual(answer["outcome"], "exception")
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertEqual(self.exception_activities(picking).user_id, self.picker)

    def test_unknown_or_other_carrier(self):
        picking = self.delivery_order()
        answer = self.apply_one(self.booking_item(picking, ref="WH/OUT/99999"))
        self.assertEqual(answer["outcome"], "applied")  # found by the reference in the data
        unknown = data.item("carrier.shipment_booked", "EASYPOST-USPS", "WH/OUT/99999",
                            data.booking("WH/OUT/99999", ("NOPE",)))
        self.assertEqual(self.apply_one(unknown)["outcome"], "unknown_reference")
        answer = self.apply_one(self.booking_item(picking, partner="DHL-EXPRESS"))
        self.assertEqual(answer["outcome"], "unknown_reference")
        self.assertEqual(answer["detail"], "%s is shipped by another carrier" % picking.name)

    def test_test_mode_documents_are_rejected_unless_allowed(self):
        picking = self.delivery_order()
        item = self.booking_item(picking)
        item["data"]["test_mode"] = True
        answer = self.apply_one(item)
        self.assertEqual(answer["outcome"], "rejected")
        self.assertIn("test-mode", answer["detail"])
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertTrue(self.inbound_of(answer).test_mode)
        self.env["ir.config_parameter"].set_param("distribution_connector.accept_test_documents", "True")
        item = self.booking_item(picking)
        item["test_mode"] = True
        self.assertEqual(self.apply_one(item)["outcome"], "applied")


@tagged("post_install", "-at_install")
class TestTrackingUpdates(InboundCase):
    def setUp(self):
        super().setUp()
        self.picking = self.delivery_order(done=True)
        self.picking.carrier_tracking_ref = NUMBER

    def track(self, status, at, ref=NUMBER, **kwargs):
        return self.apply_one(data.item(
            "carrier.tracking_updated", kwargs.pop("partner", "EASYPOST-USPS"), ref,
            data.tracking(kwargs.pop("number", NUMBER), status, at, **kwargs), occurred_at=at, format="shippo",
        ))

    def test_milestones_in_order(self):
        answer = self.track("in_transit", "2026-12-02T10:00:00Z", detail="Departed facility",
                            eta="2026-12-03T20:00:00Z", public_url="https://tools.usps.com/t/%s" % NUMBER)
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(answer["record"]["id"], self.picking.id)
        self.assertEqual(self.picking.connector_carrier_status, "in_transit")
        self.assertEqual(self.picking.connector_last_milestone, "In Transit: Departed facility, Pleasant Hill CA US")
        self.assertEqual(self.picking.connector_last_milestone_at, datetime.datetime(2026, 12, 2, 10, 0))
        self.assertEqual(self.picking.connector_eta, datetime.datetime(2026, 12, 3, 20, 0))
        self.assertEqual(self.picking.connector_tracking_url, "https://tools.usps.com/t/%s" % NUMBER)
        self.assertEqual(self.track("out_for_delivery", "2026-12-03T07:42:00Z", detail="Out for delivery")["outcome"], "applied")
        self.assertEqual(self.picking.connector_last_milestone, "Out for delivery, Pleasant Hill CA US")
        answer = self.track("delivered", "2026-12-03T15:00:00Z")
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(self.picking.connector_carrier_status, "delivered")
        self.assertIn("Carrier: Delivered", self.last_note(self.picking).body)

    def test_older_milestone_is_stale(self):
        self.track("out_for_delivery", "2026-12-03T07:42:00Z")
        answer = self.track("in_transit", "2026-12-02T10:00:00Z")
        self.assertEqual(answer["outcome"], "stale")
        self.assertIn("older than the last milestone", answer["detail"])
        self.assertEqual(self.picking.connector_carrier_status, "out_for_delivery")
        self.assertEqual(self.inbound_of(answer).outcome, "stale")

    def test_delivered_never_moves_back(self):
        self.track("delivered", "2026-12-03T15:00:00Z")
        for status in ("in_transit", "out_for_delivery", "exception", "attempt_failed"):
            with self.subTest(status=status):
                answer = self.track(status, "2026-12-04T09:00:00Z")
                self.assertEqual(answer["outcome"], "stale")
                self.assertIn("not moved back", answer["detail"])
                self.assertEqual(self.picking.connector_carrier_status, "delivered")
        self.assertFalse(self.exception_activities(self.picking))
        self.assertEqual(self.track("returned", "2026-12-05T09:00:00Z")["outcome"], "applied")
        self.assertEqual(self.track("in_transit", "2026-12-06T09:00:00Z")["outcome"], "stale")
        self.assertEqual(self.picking.connector_carrier_status, "returned")

    def test_cancelled_label_is_final_too(self):
        self.track("cancelled", "2026-12-02T10:00:00Z")
        self.assertEqual(self.track("in_transit", "2026-12-03T10:00:00Z")["outcome"], "stale")
        self.assertEqual(self.picking.connector_carrier_status, "cancelled")

    def test_exception_and_failed_attempt_raise_an_activity(self):
        answer = self.track("attempt_failed", "2026-12-03T12:00:00Z", detail="No access to delivery location")
        self.assertEqual(answer["outcome"], "exception")
        self.assertEqual(self.picking.connector_carrier_status, "attempt_failed")
        activity = self.exception_activities(self.picking)
        self.assertEqual(activity.user_id, self.picker)
        self.assertIn("Delivery Attempt Failed", activity.summary)
        self.assertIn("No access", self.last_note(self.picking).body)
        answer = self.track("exception", "2026-12-03T18:00:00Z", detail="Damaged")
        self.assertEqual(answer["outcome"], "exception")
        self.assertEqual(len(self.exception_activities(self.picking)), 1)
        self.assertEqual(self.track("delivered", "2026-12-04T10:00:00Z")["outcome"], "applied")

    def test_found_by_tracking_number_among_several(self):
        self.picking.carrier_tracking_ref = "111,%s" % NUMBER
        self.assertEqual(self.track("in_transit", "2026-12-02T10:00:00Z")["record"]["id"], self.picking.id)

    def test_recycled_tracking_number_goes_to_the_latest_delivery(self):
        newer = self.delivery_order(done=True)
        newer.carrier_tracking_ref = NUMBER
        self.assertEqual(self.track("in_transit", "2026-12-02T10:00:00Z")["record"]["id"], newer.id)
        self.assertFalse(self.picking.connector_carrier_status)

    def test_tracking_number_sets_an_empty_reference(self):
        self.picking.carrier_tracking_ref = False
        answer = self.track("in_transit", "2026-12-02T10:00:00Z", ref=self.picking.name)
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(self.picking.carrier_tracking_ref, NUMBER)

    def test_unknown_tracking_number_and_other_carrier(self):
        self.assertEqual(self.track("in_transit", "2026-12-02T10:00:00Z", ref="ZZZ", number="ZZZ")["outcome"],
                         "unknown_reference")
        answer = self.track("in_transit", "2026-12-02T10:00:00Z", partner="OTHER")
        self.assertEqual(answer["outcome"], "unknown_reference")
        self.assertFalse(self.picking.connector_carrier_status)

    def test_news_for_a_cancelled_delivery(self):
        picking = self.delivery_order()
        picking.carrier_tracking_ref = "CANCELLED-1"
        picking.action_cancel()
        answer = self.track("in_transit", "2026-12-02T10:00:00Z", ref="CANCELLED-1", number="CANCELLED-1")
        self.assertEqual(answer["outcome"], "exception")
        self.assertFalse(picking.connector_carrier_status)
        self.assertEqual(self.exception_activities(picking).user_id, self.picker)

    def test_test_mode_tracking_is_rejected(self):
        answer = self.track("delivered", "2026-12-03T15:00:00Z", test_mode=True)
        self.assertEqual(answer["outcome"], "rejected")
        self.assertFalse(self.picking.connector_carrier_status)
