import datetime
import json
import unittest

from _load import CONTRACTS_DIR, load_tools

tools = load_tools()
payload = tools.purchase_payload

DT = datetime.datetime
VAT21 = {"amount_type": "percent", "amount": 21.0}
EU = ("BE", "DE", "FR", "NL")
BE_PARTIES = dict(buyer_country="BE", vendor_country="BE", vendor_has_vat=True, eea_countries=EU)


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
        ship_to=payload.build_order_address(
            id=payload.address_reference(partner_id=1, warehouse_code="WH"), name="YourCompany",
            street="Rue de la Loi 16", street2="Warehouse gate 3", city="Brussels", zip="1000", country="be",
            phone="+32 2 290 34 90", email="warehouse@yourcompany.example.com",
        ),
        bill_to=payload.build_order_address(
            id=payload.address_reference(partner_id=1, ref=False), name="YourCompany", company="YourCompany",
            street="Rue de la Loi 16", city="Brussels", zip="1000", country="BE", phone="+32 2 290 34 90",
            email="info@yourcompany.example.com",
        ),
        buyer=payload.build_contact(name="Mitchell Admin", email="admin@yourcompany.example.com", phone="+32 2 290 34 91"),
        incoterm=payload.build_incoterm(code="DAP", location="Brussels"),
        payment_terms=payload.build_payment_terms(
            name="30 Days", lines=[dict(value="percent", value_amount=100.0, delay_type="days_after", nb_days=30)]
        ),
        lines=[
            dict(line_number=20, product_code="FURN_0001", vendor_product_code=False,
                 description="Wood panel, oak", quantity=22.5, unit_price=10.0,
                 uom_xmlid="uom.product_uom_kgm", uom_name="kg", uom_category="Weight",
                 planned_date=DT(2026, 12, 3, 8, 0), tax=payload.build_tax([VAT21], **BE_PARTIES)),
            dict(line_number=10, product_code="FURN_7800", vendor_product_code="WC-DESK-CMB",
                 description="[FURN_7800] Desk Combination", quantity=3, unit_price=450,
                 uom_xmlid="uom.product_uom_unit", uom_name="Units", uom_category="Unit",
                 planned_date=DT(2026, 12, 3, 8, 0), vendor_product_aux_code=" Black ",
                 classification=payload.build_classification(scheme="UNSPSC", code="56101703"),
                 tax=payload.build_tax([VAT21], **BE_PARTIES)),
            dict(line_number=30, product_code=None, vendor_product_code=None,
                 description="cancelled", quantity=0, unit_price=1,
                 uom_xmlid="uom.product_uom_unit", planned_date=None),
        ],
    )


class TestOrderParties(unittest.TestCase):
    def test_address_reference_prefers_the_warehouse_then_the_contact_reference(self):
        self.assertEqual(payload.address_reference(partner_id=5, ref="DEPOT-1", warehouse_code="WH2"), "WH2")
        self.assertEqual(payload.address_reference(partner_id=5, ref=" DEPOT-1 ", warehouse_code=False), "DEPOT-1")
        self.assertEqual(payload.address_reference(partner_id=5, ref=False), "res.partner-5")

    def test_contact_without_a_name_is_none(self):
        self.assertIsNone(payload.build_contact(name=" ", email="a@b.c"))
        self.assertEqual(payload.build_contact(name="Ann", email=False, phone=" "), {"name": "Ann", "email": None, "phone": None})

    def test_incoterm_needs_a_three_letter_code(self):
        self.assertEqual(payload.build_incoterm(code="fca", location=" Antwerp "), {"code": "FCA", "location": "Antwerp"})
        self.assertIsNone(payload.build_incoterm(code=False))
        self.assertIsNone(payload.build_incoterm(code="FC4"))

    def test_payment_days_only_for_one_whole_instalment(self):
        whole = dict(value="percent", value_amount=100.0, delay_type="days_after", nb_days=45)
        self.assertEqual(payload.build_payment_terms(name="45 Days", lines=[whole]), {"name": "45 Days", "days": 45})
        self.assertIsNone(payload.build_payment_terms(name="45 Days", lines=[dict(whole, delay_type="days_after_end_of_month")])["days"])
        self.assertIsNone(payload.build_payment_terms(name="30/70", lines=[dict(whole, value_amount=30.0), dict(whole, value_amount=70.0)])["days"])
        self.assertIsNone(payload.build_payment_terms(name=False, lines=[whole]))

    def test_vat_category_follows_odoos_peppol_rules(self):
        eu = dict(eea_countries=EU)
        self.assertEqual(payload.vat_category(21.0, buyer_country="BE", vendor_country="BE", vendor_has_vat=True, **eu), "S")
        self.assertEqual(payload.vat_category(0.0, buyer_country="BE", vendor_country="BE", vendor_has_vat=True, **eu), "E")
        self.assertEqual(payload.vat_category(0.0, buyer_country="BE", vendor_country="DE", vendor_has_vat=True, **eu), "K")
        self.assertEqual(payload.vat_category(0.0, buyer_country="US", vendor_country="NO", vendor_has_vat=True, **eu), "G")
        self.assertEqual(payload.vat_category(0.0, buyer_country="BE", vendor_country="DE", vendor_has_vat=False, **eu), "E")
        self.assertEqual(payload.vat_category(19.0, buyer_country="BE", vendor_country="DE", vendor_has_vat=True, **eu), "S")

    def test_tax_is_known_for_one_percentage_tax_only(self):
        self.assertEqual(payload.build_tax([VAT21], **BE_PARTIES), {"category": "S", "percent": 21.0})
        self.assertIsNone(payload.build_tax([], **BE_PARTIES))
        self.assertIsNone(payload.build_tax([VAT21, VAT21], **BE_PARTIES))
        self.assertIsNone(payload.build_tax([{"amount_type": "fixed", "amount": 2.0}], **BE_PARTIES))

    def test_classification_needs_scheme_and_code(self):
        self.assertEqual(payload.build_classification(scheme="UNSPSC", code="56101703"), {"scheme": "UNSPSC", "code": "56101703"})
        self.assertIsNone(payload.build_classification(scheme="UNSPSC", code=False))


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
