import copy
import datetime
import json
import unittest

from _load import CONTRACTS_DIR, load_tools

ship_notice = load_tools().ship_notice
EXAMPLE = CONTRACTS_DIR / "examples" / "supplier.shipment_noticed.json"


def orders(**p42):
    first = {
        "name": "P00042", "state": "purchase", "received_all": False, "open_receipt": True,
        "lines": {
            10: {"open_quantity": 3.0, "uom": "C62", "supplier_part": "WC-DESK-CMB", "product_code": "FURN_7800"},
            20: {"open_quantity": 22.5, "uom": "KGM", "supplier_part": None, "product_code": "FURN_0001"},
        },
    }
    first.update(p42)
    return {
        "P00042": first,
        "P00043": {"name": "P00043", "state": "purchase", "received_all": False, "open_receipt": True,
                    "lines": {10: {"open_quantity": 1.25, "uom": "LTR", "supplier_part": "WC-GLUE", "product_code": None}}},
    }


@unittest.skipUnless(EXAMPLE.is_file(), "contracts folder not found")
class TestPlanShipNotice(unittest.TestCase):
    def setUp(self):
        self.notice = json.loads(EXAMPLE.read_text())["data"]

    def test_contract_example(self):
        plan = ship_notice.plan_ship_notice(self.notice, orders())
        self.assertEqual(plan["outcome"], "applied")
        self.assertEqual(plan["detail"], "ship notice WC-SHP-5531: 3 lines expected")
        self.assertEqual([line["line_number"] for line in plan["expected"]["P00042"]], [10, 20])
        self.assertEqual(ship_notice.scheduled_date(self.notice), datetime.datetime(2026, 12, 3, 12))
        self.assertEqual(ship_notice.tracking(self.notice), (
            "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"
        ))

    def test_note_lists_quantities_lots_and_serials(self):
        plan = ship_notice.plan_ship_notice(self.notice, orders())
        note = ship_notice.notice_note(self.notice, plan["expected"]["P00042"])
        self.assertEqual(note.splitlines(), [
            "Ship notice WC-SHP-5531 (actual, partial) by UPS tracking 1Z999AA10123456784 expected 2026-12-03",
            "Line 10 FURN_7800: 3 C62, serials DSK-0001, DSK-0002, DSK-0003",
            "Line 20 WC-OAK-PNL: 20 KGM, lot OAK-2026-11 (expires 2028-01-31)",
        ])

    def test_lines_found_by_reference_or_part(self):
        notice = copy.deepcopy(self.notice)
        lines = notice["portions"][0]["lines"]
        lines[0]["line_number"] = None  # order_line_ref "10" still says it
        lines[1].update(line_number=None, order_line_ref=None, supplier_part=None, buyer_part="FURN_0001")
        plan = ship_notice.plan_ship_notice(notice, orders())
        self.assertEqual(plan["outcome"], "applied")
        self.assertEqual([line["line_number"] for line in plan["expected"]["P00042"]], [10, 20])

    def test_split_lines_add_up(self):
        """UBL splits one order line into despatch lines 3A/3B: their sum is what counts."""
        for quantities, outcome in (((12.5, 10.0), "applied"), ((12.5, 12.5), "exception")):
            notice = copy.deepcopy(self.notice)
            second = notice["portions"][0]["lines"][1]
            notice["portions"][0]["lines"][1:2] = [dict(second, quantity=quantity) for quantity in quantities]
            with self.subTest(quantities=quantities):
                plan = ship_notice.plan_ship_notice(notice, orders())
                self.assertEqual(plan["outcome"], outcome)
                if outcome == "exception":
                    self.assertEqual(plan["detail"], "P00042 line 20: 25 shipped, 22.5 expected")

    def test_header_level_notice(self):
        notice = copy.deepcopy(self.notice)
        notice["portions"] = [{"po_number": "P00042", "order_message_ref": None, "lines_known": False, "lines": []}]
        plan = ship_notice.plan_ship_notice(notice, orders())
        self.assertEqual(plan["outcome"], "applied")
        self.assertEqual(plan["expected"], {"P00042": []})
        self.assertIn("Lines not given", ship_notice.notice_note(notice, []))

    def test_what_does_not_reconcile(self):
        cases = [
            ("P00042 is cancelled", orders(state="cancel"), None),
            ("P00042 has no receipt waiting", orders(open_receipt=False), None),
            ("P00042 is not confirmed", orders(state="draft"), None),
            ("P00042 line 10: 3 shipped, 2 expected", orders(lines={
                10: {"open_quantity": 2.0, "uom": "C62"}, 20: {"open_quantity": 22.5, "uom": "KGM"}}), None),
            ("P00042 line 20: shipped in KGM, ordered in C62", orders(lines={
                10: {"open_quantity": 3.0, "uom": "C62"}, 20: {"open_quantity": 22.5, "uom": "C62"}}), None),
            ("P00042: line 30 not identified", orders(), lambda n: n["portions"][0]["lines"][0].update(
                line_number=30, order_line_ref=None, supplier_part=None, buyer_part=None)),
        ]
        for expected, value, mutate in cases:
            notice = copy.deepcopy(self.notice)
            if mutate:
                mutate(notice)
            with self.subTest(expected=expected):
                plan = ship_notice.plan_ship_notice(notice, value)
                self.assertEqual((plan["outcome"], plan["expected"]), ("exception", {}))
                self.assertIn(expected, plan["detail"])


if __name__ == "__main__":
    unittest.main()
