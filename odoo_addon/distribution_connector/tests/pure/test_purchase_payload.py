import datetime
import json
import unittest

from _load import CONTRACTS_DIR, load_tools

tools = load_tools()
payload = tools.purchase_payload

DT = datetime.datetime


def example_inputs():
    """The plain values behind contracts/v1/examples/purchase_order.confirmed.json."""
    return dict(
        po_number="P00042",
        vendor_reference=False,
        vendor=payload.build_vendor(id=7, name="Wood Corner", partner_code="WOODCORNER", vat="BE0477472701"),
        currency="EUR",
        order_date=DT(2026, 11, 26, 9, 12),
        planned_date=DT(2026, 12, 3, 8, 0),
        amount_untaxed=1575.0,
        amount_total=1905.75,
        lines=[
            dict(line_number=20, product_code="FURN_0001", vendor_product_code=False,
                 description="Wood panel, oak", quantity=22.5, unit_price=10.0,
                 uom_xmlid="uom.product_uom_kgm", uom_name="kg", uom_category="Weight",
                 planned_date=DT(2026, 12, 3, 8, 0)),
            dict(line_number=10, product_code="FURN_7800", vendor_product_code="WC-DESK-CMB",
                 description="[FURN_7800] Desk Combination", quantity=3, unit_price=450,
                 uom_xmlid="uom.product_uom_unit", uom_name="Units", uom_category="Unit",
                 planned_date=DT(2026, 12, 3, 8, 0)),
            dict(line_number=30, product_code=None, vendor_product_code=None,
                 description="cancelled", quantity=0, unit_price=1,
                 uom_xmlid="uom.product_uom_unit", planned_date=None),
        ],
    )


class TestPurchaseOrderData(unittest.TestCase):
    def test_matches_the_contract_example(self):
        example_path = CONTRACTS_DIR / "examples" / "purchase_order.confirmed.json"
        if not example_path.exists():
            self.skipTest("contracts folder not found at %s" % example_path)
        example = json.loads(example_path.read_text())
        self.assertEqual(payload.build_purchase_order_data(**example_inputs()), example["data"])

    def test_lines_sorted_and_zero_quantity_left_out(self):
        data = payload.build_purchase_order_data(**example_inputs())
        self.assertEqual([line["line_number"] for line in data["lines"]], [10, 20])

    def test_blank_strings_become_null(self):
        vendor = payload.build_vendor(id=1, name="V", partner_code="  ", vat=False)
        self.assertIsNone(vendor["partner_code"])
        self.assertIsNone(vendor["vat"])

    def test_unknown_uom_is_zz(self):
        line = dict(example_inputs()["lines"][0], uom_xmlid=None, uom_name="Pallet", uom_category="Unit")
        with self.assertLogs(tools.vocabulary.__name__, level="WARNING"):
            built = payload.build_line(**line)
        self.assertEqual(built["uom"], "ZZ")

    def test_amounts_optional(self):
        inputs = example_inputs()
        del inputs["amount_total"], inputs["amount_untaxed"]
        data = payload.build_purchase_order_data(**inputs)
        self.assertNotIn("amount_total", data)


if __name__ == "__main__":
    unittest.main()
