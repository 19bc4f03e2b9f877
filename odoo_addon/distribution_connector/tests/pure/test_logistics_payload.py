import datetime
import json
import unittest

from _load import CONTRACTS_DIR, load_tools

tools = load_tools()
logistics = tools.logistics_payload
DT = datetime.datetime


def example_data(event_type):
    path = CONTRACTS_DIR / "examples" / ("%s.json" % event_type)
    if not path.exists():
        raise unittest.SkipTest("contracts folder not found at %s" % path)
    return json.loads(path.read_text())["data"]


SHIP_FROM = dict(name="YourCompany", company="YourCompany", street="250 Executive Park Blvd, Suite 3400",
                 city="San Francisco", state="CA", zip="94134", country="us", phone="+1 555-555-5556",
                 email="info@yourcompany.com")
SHIP_TO = dict(name="Brandon Freeman", company="Azure Interior", street="4557 De Silva St", street2=False,
               city="Fremont", state="CA", zip="94538", country="US", phone="(355)-687-3262",
               email="brandon.freeman55@example.com")


def shipment_inputs():
    return dict(
        picking="WH/OUT/00031", origin="S00017", scheduled_date=DT(2026, 12, 4, 9, 0),
        carrier_code="DHL-EXPRESS", carrier_name="DHL Express",
        ship_from=logistics.build_address(**SHIP_FROM), ship_to=logistics.build_address(**SHIP_TO),
        parcels=[
            logistics.build_parcel(package="PACK0000007", weight=12.4, weight_uom="KGM",
                                   length=600, width=400, height=300, dimension_uom="MMT"),
            logistics.build_parcel(weight=1.5, weight_uom="KGM", length=0, dimension_uom="MMT"),
        ],
        lines=[
            dict(product_code="FURN_7800", description="[FURN_7800] Desk Combination", quantity=1,
                 uom_xmlid="uom.product_uom_unit"),
            dict(product_code="E-COM11", description="[E-COM11] Cabinet with Doors", quantity=2,
                 uom_xmlid="uom.product_uom_unit"),
            dict(product_code="X", description="not reserved", quantity=0, uom_xmlid="uom.product_uom_unit"),
        ],
    )


class TestShipment(unittest.TestCase):
    def test_ready_matches_the_contract_example(self):
        self.assertEqual(logistics.build_shipment_data(**shipment_inputs()), example_data("shipment.ready"))

    def test_dispatched_matches_the_contract_example(self):
        data = logistics.build_shipment_data(
            **shipment_inputs(), date_done=DT(2026, 12, 4, 15, 20, 44), tracking_ref="JD014600003828449371",
            tracking_url="https://www.dhl.com/en/express/tracking.html?AWB=JD014600003828449371",
        )
        self.assertEqual(data, example_data("shipment.dispatched"))

    def test_address_of_a_company_itself_has_no_separate_company(self):
        address = logistics.build_address(name="Azure Interior", company="Azure Interior", country=False)
        self.assertIsNone(address["company"])
        self.assertIsNone(address["country"])

    def test_address_never_has_an_empty_name(self):
        self.assertEqual(logistics.build_address(name=False, company="Azure")["name"], "Azure")

    def test_parcel_without_weight_or_dimensions(self):
        parcel = logistics.build_parcel(weight=0.0, weight_uom="LBR", dimension_uom="FOT")
        self.assertEqual(parcel, {"package": None, "weight": None, "weight_uom": "LBR", "length": None,
                                  "width": None, "height": None, "dimension_uom": None})


class TestReceipt(unittest.TestCase):
    def test_matches_the_contract_example(self):
        vendor = tools.purchase_payload.build_vendor(id=7, name="Wood Corner", partner_code="WOODCORNER",
                                                     vat="BE0477472701")
        data = logistics.build_receipt_data(
            receipt="WH/IN/00012", origin="P00042", po_number="P00042", vendor=vendor,
            scheduled_date=DT(2026, 12, 3, 8, 0), date_done=DT(2026, 12, 3, 10, 41, 7),
            destination="WH/Stock", backorder_of=False,
            lines=[
                dict(line_number=10, product_code="FURN_7800", description="[FURN_7800] Desk Combination",
                     quantity=2, uom_xmlid="uom.product_uom_unit", lots=[]),
                dict(line_number=20, product_code="FURN_0001", description="Wood panel, oak", quantity=22.5,
                     uom_name="kg", uom_category="Weight", lots=["LOT-2026-118", "LOT-2026-118"]),
                dict(line_number=30, product_code="NONE", description="nothing received", quantity=0,
                     uom_xmlid="uom.product_uom_unit", lots=[]),
            ],
        )
        self.assertEqual(data, example_data("receipt.validated"))

    def test_goods_not_on_the_order_have_no_line_number(self):
        data = logistics.build_receipt_data(
            receipt="WH/IN/1", origin=None, po_number=None, vendor=None, scheduled_date=None,
            date_done=DT(2026, 1, 1), destination="WH/Stock", backorder_of=None,
            lines=[dict(line_number=0, product_code=None, description="x", quantity=1, uom_xmlid="uom.product_uom_unit")],
        )
        self.assertIsNone(data["lines"][0]["line_number"])
        self.assertEqual(data["lines"][0]["lots"], [])


class TestStockAdjusted(unittest.TestCase):
    def test_matches_the_contract_example(self):
        data = logistics.build_stock_adjusted_data(
            product_code="FURN_7800", description="[FURN_7800] Desk Combination", uom_xmlid="uom.product_uom_unit",
            applied_at=DT(2026, 12, 5, 17, 30),
            adjustments=[
                dict(location="WH/Stock/Shelf 1", lot=False, package=False, quantity_before=14, quantity_after=12),
                dict(location="WH/Stock/Shelf 2", lot=None, package=None, quantity_before=0, quantity_after=3),
            ],
            quantity_on_hand=15,
        )
        self.assertEqual(data, example_data("stock.adjusted"))

    def test_difference_has_no_float_noise(self):
        data = logistics.build_stock_adjusted_data(
            product_code=None, description="x", uom_xmlid="uom.product_uom_kgm", applied_at=DT(2026, 1, 1),
            adjustments=[dict(location="WH/Stock", quantity_before=0.1, quantity_after=0.4)], quantity_on_hand=0.4,
        )
        self.assertEqual(data["adjustments"][0]["difference"], 0.3)


if __name__ == "__main__":
    unittest.main()
