import datetime
import unittest

from _load import load_tools

carrier_status = load_tools().carrier_status
APPLY, STALE = carrier_status.APPLY, carrier_status.STALE
T0 = datetime.datetime(2026, 12, 3, 7, 0)
LATER = T0 + datetime.timedelta(hours=2)
EARLIER = T0 - datetime.timedelta(hours=2)


class TestTrackingDecision(unittest.TestCase):
    def decide(self, current, current_at, new, new_at):
        return carrier_status.tracking_decision(current, current_at, new, new_at)[0]

    def test_first_milestone_applies(self):
        for status in carrier_status.STATUS_CODES:
            with self.subTest(status=status):
                self.assertEqual(self.decide(None, None, status, T0), APPLY)

    def test_newer_milestones_apply(self):
        self.assertEqual(self.decide("in_transit", T0, "out_for_delivery", LATER), APPLY)
        self.assertEqual(self.decide("in_transit", T0, "in_transit", LATER), APPLY)
        self.assertEqual(self.decide("out_for_delivery", T0, "attempt_failed", LATER), APPLY)
        self.assertEqual(self.decide("exception", T0, "in_transit", LATER), APPLY)
        self.assertEqual(self.decide("pre_transit", None, "in_transit", T0), APPLY)

    def test_older_milestones_are_stale(self):
        for current in carrier_status.STATUS_CODES:
            for new in carrier_status.STATUS_CODES:
                with self.subTest(current=current, new=new):
                    self.assertEqual(self.decide(current, T0, new, EARLIER), STALE)

    def test_final_statuses_never_move_back(self):
        for final in sorted(carrier_status.FINAL_STATUSES):
            for new in carrier_status.STATUS_CODES:
                if new in carrier_status.FINAL_STATUSES:
                    continue
                with self.subTest(final=final, new=new):
                    decision, reason = carrier_status.tracking_decision(final, T0, new, LATER)
                    self.assertEqual(decision, STALE)
                    self.assertIn("not moved back", reason)

    def test_delivered_then_returned_when_newer(self):
        self.assertEqual(self.decide("delivered", T0, "returned", LATER), APPLY)

    def test_same_instant_keeps_the_lifecycle_order(self):
        self.assertEqual(self.decide("in_transit", T0, "out_for_delivery", T0), APPLY)
        self.assertEqual(self.decide("out_for_delivery", T0, "in_transit", T0), STALE)
        self.assertEqual(self.decide("in_transit", T0, "in_transit", T0), STALE)
        self.assertEqual(self.decide("out_for_delivery", T0, "delivered", T0), APPLY)

    def test_unknown_status_is_an_error(self):
        with self.assertRaises(ValueError):
            carrier_status.tracking_decision("in_transit", T0, "teleported", LATER)

    def test_booking_status(self):
        self.assertEqual(carrier_status.booking_status(None), "pre_transit")
        self.assertEqual(carrier_status.booking_status("unknown"), "pre_transit")
        self.assertEqual(carrier_status.booking_status("cancelled"), "cancelled")
        self.assertEqual(carrier_status.booking_status("in_transit"), "in_transit")

    def test_labels(self):
        self.assertEqual(len(carrier_status.STATUSES), 10)
        self.assertEqual(carrier_status.label("out_for_delivery"), "Out for Delivery")


if __name__ == "__main__":
    unittest.main()
