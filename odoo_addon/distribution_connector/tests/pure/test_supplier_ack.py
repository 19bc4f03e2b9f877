import datetime
import json
import unittest

from _load import CONTRACTS_DIR, load_tools

supplier_ack = load_tools().supplier_ack
EXAMPLE = CONTRACTS_DIR / "examples" / "supplier.order_acknowledged.json"


def order(**overrides):
    value = {
        "name": "P00042",
        "state": "purchase",
        "received_all": False,
        "currency": "EUR",
        "lines": {
            10: {"quantity": 3.0, "uom": "C62", "received": 0.0, "price": 450.0},
            20: {"quantity": 22.5, "uom": "KGM", "received": 0.0, "price": 10.0},
        },
    }
    value.update(overrides)
    return value


def day(text):
    return {"raw": text, "kind": "date", "utc": None, "local": text, "offset": None}


def portion(status="accepted", quantity=None, uom=None, delivery=None, **extra):
    value = {
        "status": status, "partner_status": status, "quantity": quantity, "uom": uom,
        "promised_shipment_date": None,
        "promised_delivery": {"start": day(delivery), "end": day(delivery)} if delivery else None,
        "unit_price": None, "substitution": None, "comment": None,
    }
    value.update(extra)
    return value


def line(number, *portions, status="accepted", uom=None):
    return {
        "line_number": number, "partner_line_id": None, "status": status, "ordered_quantity": None,
        "uom": uom, "quantities": {}, "portions": list(portions) or [portion()], "supplier_part": None, "note": None,
    }


def ack(status="accepted", lines=(), **extra):
    value = {
        "po_number": "P00042", "partner_document_id": "CONF-1", "partner_order_id": None, "status": status,
        "partner_status": status, "operation": "new", "version": 1, "previous_document_ref": None,
        "order_message_ref": None, "issued_at": None, "currency": "EUR", "promised_delivery": None,
        "note": None, "lines": list(lines),
    }
    value.update(extra)
    return value


class TestPlanAcknowledgement(unittest.TestCase):
    def test_contract_example_backorder_keeps_quantities(self):
        if not EXAMPLE.is_file():
            self.skipTest("contracts folder not found")
        data = json.loads(EXAMPLE.read_text())["data"]
        plan = supplier_ack.plan_acknowledgement(order(), data)
        self.assertEqual(plan["outcome"], "applied")
        self.assertEqual(plan["status"], "changed")
        by_number = {line["line_number"]: line for line in plan["lines"]}
        self.assertIsNone(by_number[10]["quantity"])
        self.assertEqual(by_number[10]["promised_date"], datetime.datetime(2026, 12, 3, 7, 0))
        self.assertEqual(by_number[20]["status"], "backordered")
        self.assertIsNone(by_number[20]["quantity"])
        self.assertEqual(by_number[20]["backordered_quantity"], 2.5)
        self.assertEqual(by_number[20]["backorder_date"], datetime.datetime(2026, 12, 17, 12, 0))
        self.assertEqual(by_number[20]["promised_date"], datetime.datetime(2026, 12, 3, 12, 0))
        self.assertIn("line 20 2.5 backordered until 2026-12-17", plan["detail"])

    def test_accept_without_lines_applies_the_header_date_to_every_line(self):
        plan = supplier_ack.plan_acknowledgement(
            order(), ack(promised_delivery={"start": day("2026-12-05"), "end": None})
        )
        self.assertEqual(plan["status"], "accepted")
        self.assertEqual([line["promised_date"].day for line in plan["lines"]], [5, 5])
        self.assertEqual(plan["detail"], "accepted: line 10 promised 2026-12-05; line 20 promised 2026-12-05")

    def test_acknowledged_only_changes_no_line(self):
        plan = supplier_ack.plan_acknowledgement(order(), ack("acknowledged_only"))
        self.assertEqual((plan["outcome"], plan["status"], plan["lines"]), ("applied", "acknowledged", []))

    def test_quantity_change(self):
        plan = supplier_ack.plan_acknowledgement(order(), ack("changed", [line(10, portion("changed", 2.0, "C62"), status="changed")]))
        self.assertEqual(plan["outcome"], "applied")
        self.assertEqual(plan["status"], "changed")
        self.assertEqual(plan["lines"][0]["quantity"], 2.0)

    def test_accepted_with_another_quantity_is_a_change(self):
        plan = supplier_ack.plan_acknowledgement(order(), ack("accepted", [line(10, portion("accepted", 5.0))]))
        self.assertEqual((plan["status"], plan["lines"][0]["status"], plan["lines"][0]["quantity"]), ("changed", "changed", 5.0))

    def test_rejected_line_goes_to_zero(self):
        plan = supplier_ack.plan_acknowledgement(
            order(), ack("partially_accepted", [line(10, portion("rejected"), status="rejected"), line(20)])
        )
        self.assertEqual(plan["outcome"], "applied")
        self.assertEqual(plan["lines"][0]["quantity"], 0.0)
        self.assertIsNone(plan["lines"][1]["quantity"])
        self.assertIn("line 10 quantity 0, rejected", plan["detail"])

    def test_partial_accept_with_rejected_rest(self):
        plan = supplier_ack.plan_acknowledgement(
            order(), ack("partially_accepted", [line(10, portion("accepted", 2.0), portion("rejected", 1.0), status="changed")])
        )
        self.assertEqual(plan["lines"][0]["quantity"], 2.0)

    def test_unknown_portions_decide_nothing(self):
        plan = supplier_ack.plan_acknowledgement(order(), ack("accepted", [line(10, portion("unknown", 3.0))]))
        self.assertEqual((plan["outcome"], plan["lines"]), ("applied", []))

    def test_whole_order_rejection_is_an_exception_with_status_rejected(self):
        plan = supplier_ack.plan_acknowledgement(order(), ack("rejected", note="Out of stock until March"))
        self.assertEqual((plan["outcome"], plan["status"]), ("exception", "rejected"))
        self.assertEqual(plan["detail"], "vendor rejected the order: Out of stock until March")
        self.assertEqual(plan["lines"], [])

    def test_late_acknowledgements(self):
        cases = {
            "cancelled": order(state="cancel"),
            "received": order(state="done", received_all=True),
            "not confirmed": order(state="draft"),
        }
        for why, value in cases.items():
            with self.subTest(why=why):
                plan = supplier_ack.plan_acknowledgement(value, ack())
                self.assertEqual((plan["outcome"], plan["status"], plan["lines"], plan["late"]), ("exception", None, [], True))
                self.assertIn(why, plan["detail"])

    def test_locked_order_takes_dates_but_not_quantities(self):
        plan = supplier_ack.plan_acknowledgement(order(state="done"), ack("accepted", [line(10, portion(delivery="2026-12-09"))]))
        self.assertEqual(plan["outcome"], "applied")
        plan = supplier_ack.plan_acknowledgement(order(state="done"), ack("changed", [line(10, portion("changed", 1.0))]))
        self.assertEqual(plan["outcome"], "exception")
        self.assertIn("locked", plan["detail"])

    def test_things_that_do_not_reconcile(self):
        received = order()
        received["lines"][10]["received"] = 1.0
        cases = [
            ("after 1 received", received, line(10, portion("changed", 2.0), status="changed")),
            ("not in the order", order(), line(30)),
            ("vendor added a line", order(), dict(line(None), status="added", supplier_part="WC-EXTRA")),
            ("quantities in KGM, ordered in C62", order(), line(10, portion(uom="KGM"))),
            ("substitute offered (WC-DESK-2)", order(), line(10, portion(substitution={
                "supplier_part": "WC-DESK-2", "gtin": None, "description": None, "partner_line_id": None}))),
            ("price 460 instead of 450", order(), line(10, portion(unit_price={"amount": 460.0, "currency": "EUR"}))),
            ("price in USD", order(), line(10, portion(unit_price={"amount": 450.0, "currency": "USD"}))),
        ]
        for expected, value, ack_line in cases:
            with self.subTest(expected=expected):
                plan = supplier_ack.plan_acknowledgement(value, ack("changed", [ack_line]))
                self.assertEqual((plan["outcome"], plan["status"], plan["lines"]), ("exception", "exception", []))
                self.assertIn(expected, plan["detail"])

    def test_same_price_restated_is_fine(self):
        plan = supplier_ack.plan_acknowledgement(order(), ack("accepted", [line(10, portion(unit_price={"amount": 450.0, "currency": None}))]))
        self.assertEqual((plan["outcome"], plan["status"]), ("applied", "accepted"))


class TestStaleness(unittest.TestCase):
    T1 = datetime.datetime(2026, 11, 26, 10)
    T2 = datetime.datetime(2026, 11, 27, 10)

    def test_versions_decide_when_both_known(self):
        self.assertIsNone(supplier_ack.staleness(1, self.T2, 2, self.T1))
        self.assertIn("older", supplier_ack.staleness(2, None, 1, None))
        # The same version again (a corrected resend) applies, unless issued before.
        self.assertIsNone(supplier_ack.staleness(2, None, 2, None))
        self.assertIsNotNone(supplier_ack.staleness(2, self.T2, 2, self.T1))

    def test_times_decide_otherwise(self):
        self.assertIsNone(supplier_ack.staleness(None, self.T1, None, self.T2))
        self.assertIsNotNone(supplier_ack.staleness(None, self.T2, None, self.T1))
        self.assertIsNone(supplier_ack.staleness(1, self.T2, None, self.T2))
        self.assertIsNotNone(supplier_ack.staleness(1, self.T2, None, self.T1))
        self.assertIsNone(supplier_ack.staleness(None, None, 1, None))
        self.assertIsNone(supplier_ack.staleness(None, None, None, None))


class TestOtherRules(unittest.TestCase):
    T1 = datetime.datetime(2026, 11, 26, 10)
    T2 = datetime.datetime(2026, 11, 27, 10)

    def test_document_status(self):
        self.assertEqual(supplier_ack.document_status_decision("sent", None, self.T1, "success"), ("applied", "acknowledged"))
        self.assertEqual(supplier_ack.document_status_decision("accepted", self.T1, self.T2, "success"), ("applied", None))
        self.assertEqual(supplier_ack.document_status_decision("sent", None, self.T1, "client_error"), ("exception", "exception"))
        self.assertEqual(supplier_ack.document_status_decision("accepted", self.T2, self.T1, "server_error"), ("stale", None))
        self.assertEqual(supplier_ack.document_status_decision(None, None, self.T1, "other"), ("applied", None))

    def test_status_after_delivery(self):
        self.assertEqual(supplier_ack.status_after_delivery(None, None, None, self.T1), ("sent", self.T1))
        self.assertEqual(supplier_ack.status_after_delivery("accepted", self.T1, self.T1, self.T2), ("sent", self.T2))
        # The vendor's answer was recorded before the delivery result: it stays.
        self.assertIsNone(supplier_ack.status_after_delivery("accepted", None, self.T2, self.T1))
        # A replay of an older delivery does not move the sent date back.
        self.assertIsNone(supplier_ack.status_after_delivery("sent", self.T2, None, self.T1))
        self.assertIsNone(supplier_ack.status_after_delivery("sent", None, None, None))


if __name__ == "__main__":
    unittest.main()
