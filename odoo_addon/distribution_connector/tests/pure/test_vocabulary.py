import unittest

from _load import load_tools

vocabulary = load_tools().vocabulary


class TestUomCode(unittest.TestCase):
    def test_known_units_by_xmlid(self):
        cases = {
            "uom.product_uom_unit": "C62",
            "uom.product_uom_dozen": "DZN",
            "uom.product_uom_kgm": "KGM",
            "uom.product_uom_gram": "GRM",
            "uom.product_uom_ton": "TNE",
            "uom.product_uom_lb": "LBR",
            "uom.product_uom_oz": "ONZ",
            "uom.product_uom_litre": "LTR",
            "uom.product_uom_meter": "MTR",
            "uom.product_uom_cm": "CMT",
            "uom.product_uom_km": "KMT",
            "uom.uom_square_meter": "MTK",
            "uom.product_uom_cubic_meter": "MTQ",
            "uom.product_uom_hour": "HUR",
            "uom.product_uom_day": "DAY",
        }
        for xmlid, code in cases.items():
            with self.subTest(xmlid=xmlid):
                self.assertEqual(vocabulary.uom_code(xmlid=xmlid), code)

    def test_every_code_is_rec20_shaped(self):
        codes = set(vocabulary.UOM_CODE_BY_XMLID.values()) | set(vocabulary.UOM_CODE_BY_NAME.values())
        for code in codes:
            with self.subTest(code=code):
                self.assertRegex(code, r"^[A-Z0-9]{2,3}$")

    def test_by_name_and_category(self):
        self.assertEqual(vocabulary.uom_code(name="kg", category="Weight"), "KGM")
        self.assertEqual(vocabulary.uom_code(name=" Units ", category="unit"), "C62")
        self.assertEqual(vocabulary.uom_code(name="m³", category="Volume"), "MTQ")

    def test_name_in_the_wrong_category_is_not_guessed(self):
        self.assertIsNone(vocabulary.uom_code(name="t", category="Volume"))
        self.assertIsNone(vocabulary.uom_code(name="kg"))

    def test_xmlid_wins_over_name(self):
        self.assertEqual(vocabulary.uom_code(xmlid="uom.product_uom_kgm", name="Units", category="Unit"), "KGM")

    def test_unknown_unit_is_zz_and_logged(self):
        with self.assertLogs(vocabulary.__name__, level="WARNING") as logs:
            code = vocabulary.uom_code_or_unknown(xmlid="x.pallet", name="Pallet", category="Unit")
        self.assertEqual(code, "ZZ")
        self.assertIn("Pallet", logs.output[0])


class TestPartnerCode(unittest.TestCase):
    def test_valid_codes(self):
        for code in ("WOODCORNER", "dhl-express", "A", "a.b_c-1", "X" * 64):
            with self.subTest(code=code):
                self.assertTrue(vocabulary.is_valid_partner_code(code))

    def test_invalid_codes(self):
        for code in ("", "-lead", "has space", "X" * 65, "é", None, 12):
            with self.subTest(code=code):
                self.assertFalse(vocabulary.is_valid_partner_code(code))


if __name__ == "__main__":
    unittest.main()
