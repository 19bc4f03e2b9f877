from odoo import Command
from odoo.tests import tagged

from .common import ConnectorCase, contract_validation_unavailable, validate_against_contract


@tagged("post_install", "-at_install")
class TestStockEvents(ConnectorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env.ref("stock.warehouse0")
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.carrier = cls.env["delivery.carrier"].create({
            "name": "DHL Express",
            "delivery_type": "fixed",
            "fixed_price": 12.0,
            "connector_partner_code": "DHL-EXPRESS",
            "product_id": cls.env["product.product"].create({"name": "DHL shipping", "type": "service"}).id,
        })
        cls.customer = cls.env["res.partner"].create({
            "name": "Brandon Freeman",
            "parent_id": cls.env["res.partner"].create({"name": "Azure Interior", "is_company": True}).id,
            "street": "4557 De Silva St",
            "city": "Fremont",
            "zip": "94538",
            "country_id": cls.env.ref("base.us").id,
            "email": "brandon.freeman55@example.com",
        })

    def assert_contract(self, row):
        reason = contract_validation_unavailable()
        if not reason:
            validate_against_contract(row.payload)

    def events(self, record):
        return self.outbox_of(record).mapped("event_type")

    # ------------------------------------------------------------------
    # receipt.validated
    # ------------------------------------------------------------------

    def receive(self, receipt, quantities):
        for move, quantity in zip(receipt.move_ids.sorted("id"), quantities):
            move.quantity = quantity
            move.picked = True
        receipt.with_context(cancel_backorder=False)._action_done()

    def test_receipt_validated_carries_the_order_line_numbers(self):
        order, _confirmed = self.confirmed_row()
        receipt = order.picking_ids
        self.receive(receipt, [3, 22.5])
        self.assertEqual(receipt.state, "done")
        row = self.outbox_of(receipt)
        self.assertEqual(row.mapped("event_type"), ["receipt.validated"])
        self.assertEqual(row.partner_code, "WOODCORNER")
        data = row.payload["data"]
        self.assertEqual(data["receipt"], receipt.name)
        self.assertEqual(data["po_number"], order.name)
        self.assertEqual(data["vendor"]["partner_code"], "WOODCORNER")
        self.assertEqual(data["destination"], receipt.location_dest_id.complete_name)
        self.assertIsNone(data["backorder_of"])
        self.assertEqual(
            [(line["line_number"], line["product_code"], line["quantity"], line["uom"]) for line in data["lines"]],
            [(10, "FURN_7800", 3.0, "C62"), (20, "FURN_0001", 22.5, "KGM")],
        )
        self.assert_contract(row)

    def test_partial_receipt_then_backorder(self):
        order, _confirmed = self.confirmed_row()
        receipt = order.picking_ids
        self.receive(receipt, [1, 22.5])
        backorder = order.picking_ids - receipt
        self.assertEqual(len(backorder), 1)
        self.assertEqual([line["quantity"] for line in self.outbox_of(receipt).payload["data"]["lines"]], [1.0, 22.5])
        self.assertFalse(self.outbox_of(backorder))
        self.receive(backorder, [2])
        row = self.outbox_of(backorder)
        self.assertEqual(row.payload["data"]["backorder_of"], receipt.name)
        self.assertEqual([(line["line_number"], line["quantity"]) for line in row.payload["data"]["lines"]], [(10, 2.0)])
        self.assert_contract(row)

    # ------------------------------------------------------------------
    # shipment.*
    # ------------------------------------------------------------------

    def create_delivery(self, quantity=2):
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id,
            "partner_id": self.customer.id,
            "carrier_id": self.carrier.id,
            "origin": "S00017",
            "location_id": self.stock_location.id,
            "location_dest_id": self.customers.id,
            "move_ids": [Command.create({
                "name": self.product_desk.name,
                "product_id": self.product_desk.id,
                "product_uom_qty": quantity,
                "product_uom": self.uom_unit.id,
                "location_id": self.stock_location.id,
                "location_dest_id": self.customers.id,
            })],
        })
        picking.action_confirm()
        return picking

    def put_in_stock(self, quantity):
        self.env["stock.quant"]._update_available_quantity(self.product_desk, self.stock_location, quantity)

    def test_ready_when_reserved_once(self):
        self.product_desk.weight = 15.0
        self.put_in_stock(10)
        picking = self.create_delivery()
        picking.action_assign()
        self.assertEqual(picking.state, "assigned")
        row = self.outbox_of(picking)
        self.assertEqual(row.mapped("event_type"), ["shipment.ready"])
        self.assertEqual(row.partner_code, "DHL-EXPRESS")
        data = row.payload["data"]
        self.assertEqual(data["picking"], picking.name)
        self.assertEqual(data["carrier"], {"partner_code": "DHL-EXPRESS", "name": "DHL Express", "service": None})
        self.assertEqual(data["ship_to"]["name"], "Brandon Freeman")
        self.assertEqual(data["ship_to"]["company"], "Azure Interior")
        self.assertEqual(data["ship_to"]["country"], "US")
        self.assertEqual(data["parcels"], [{
            "package": None, "weight": 30.0, "weight_uom": "KGM",
            "length": None, "width": None, "height": None, "dimension_uom": None,
        }])
        self.assertEqual(data["lines"], [{
            "product_code": "FURN_7800", "description": "Desk Combination", "quantity": 2.0, "uom": "C62",
        }])
        self.assert_contract(row)
        # Unreserving and reserving again does not book the carrier twice.
        picking.do_unreserve()
        picking.action_assign()
        self.assertEqual(self.events(picking), ["shipment.ready"])

    def test_not_ready_without_stock_then_ready_when_it_arrives(self):
        picking = self.create_delivery()
        picking.action_assign()
        self.assertNotEqual(picking.state, "assigned")
        self.assertFalse(self.outbox_of(picking))
        self.put_in_stock(5)
        picking.move_ids._action_assign()
        self.assertEqual(self.events(picking), ["shipment.ready"])

    def test_dispatched_with_tracking_reference(self):
        self.put_in_stock(10)
        picking = self.create_delivery()
        picking.action_assign()
        picking.carrier_tracking_ref = "JD014600003828449371"
        picking.move_ids.picked = True
        picking._action_done()
        self.assertEqual(picking.state, "done")
        self.assertEqual(self.events(picking), ["shipment.ready", "shipment.dispatched"])
        row = self.outbox_of(picking)[-1]
        self.assertEqual(row.sequence, 2)
        data = row.payload["data"]
        self.assertEqual(data["tracking_ref"], "JD014600003828449371")
        self.assertEqual(picking.connector_outbox_count, 2)
        self.assertEqual(self.Outbox.search(picking.action_view_connector_outbox()["domain"]), self.outbox_of(picking))
        self.assertTrue(data["date_done"].endswith("Z"))
        self.assertEqual(data["lines"][0]["quantity"], 2.0)
        self.assert_contract(row)

    def test_dispatched_from_the_warehouse_address_with_the_weight_shipped(self):
        self.product_desk.weight = 15.0
        warehouse = self.env.ref("stock.warehouse0")
        depot = self.env["res.partner"].create({
            "name": "Depot West", "parent_id": self.company.partner_id.id, "type": "delivery", "street": "7 Dock Road",
            "city": "Antwerp", "zip": "2000", "country_id": self.env.ref("base.be").id, "phone": "+32 3 000 00 00",
        })
        warehouse.partner_id = depot
        self.put_in_stock(10)
        picking = self.create_delivery()
        picking.action_assign()
        picking.move_ids.quantity = 1  # one of the two desks leaves
        picking.move_ids.picked = True
        picking.with_context(cancel_backorder=True)._action_done()
        data = self.outbox_of(picking)[-1].payload["data"]
        self.assertEqual(data["ship_from"], {
            "name": "Depot West", "company": self.company.partner_id.name, "street": "7 Dock Road", "street2": None,
            "city": "Antwerp", "state": None, "zip": "2000", "country": "BE", "phone": "+32 3 000 00 00", "email": None,
        })
        self.assertEqual(data["parcels"], [{
            "package": None, "weight": 15.0, "weight_uom": "KGM",
            "length": None, "width": None, "height": None, "dimension_uom": None,
        }])
        # Without a warehouse address, the company's.
        warehouse.partner_id = False
        picking2 = self.create_delivery()
        picking2.action_assign()
        picking2.move_ids.picked = True
        picking2._action_done()
        self.assertEqual(self.outbox_of(picking2)[-1].payload["data"]["ship_from"]["name"], self.company.partner_id.name)

    def test_cancelled_ready_delivery(self):
        self.put_in_stock(10)
        picking = self.create_delivery()
        picking.action_assign()
        picking.action_cancel()
        self.assertEqual(picking.state, "cancel")
        self.assertEqual(self.events(picking), ["shipment.ready", "shipment.cancelled"])
        row = self.outbox_of(picking)[-1]
        self.assertEqual(row.payload["data"]["lines"][0]["quantity"], 2.0)
        self.assert_contract(row)

    def test_cancelled_draft_delivery_emits_nothing(self):
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id,
            "location_id": self.stock_location.id,
            "location_dest_id": self.customers.id,
        })
        picking.action_cancel()
        self.assertFalse(self.outbox_of(picking))

    # ------------------------------------------------------------------
    # stock.adjusted
    # ------------------------------------------------------------------

    def count(self, product, quantity, location=None):
        quant = self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": product.id,
            "location_id": (location or self.stock_location).id,
            "inventory_quantity": quantity,
        })
        quant.action_apply_inventory()
        return quant

    def test_inventory_adjustment(self):
        self.count(self.product_desk, 7)
        row = self.outbox_of(self.product_desk)
        self.assertEqual(row.mapped("event_type"), ["stock.adjusted"])
        self.assertFalse(row.partner_code)
        data = row.payload["data"]
        self.assertEqual(data["product_code"], "FURN_7800")
        self.assertEqual(data["uom"], "C62")
        self.assertEqual(data["adjustments"], [{
            "location": self.stock_location.complete_name, "lot": None, "package": None,
            "quantity_before": 0.0, "quantity_after": 7.0, "difference": 7.0,
        }])
        self.assertEqual(data["quantity_on_hand"], 7.0)
        self.assert_contract(row)
        self.count(self.product_desk, 5)
        second = self.outbox_of(self.product_desk)[-1]
        self.assertEqual(second.sequence, 2)
        self.assertEqual(
            [(a["quantity_before"], a["quantity_after"], a["difference"]) for a in second.payload["data"]["adjustments"]],
            [(7.0, 5.0, -2.0)],
        )
        self.assertEqual(second.payload["data"]["quantity_on_hand"], 5.0)

    def test_one_event_per_product(self):
        quants = self.env["stock.quant"].with_context(inventory_mode=True).create([
            {"product_id": self.product_desk.id, "location_id": self.stock_location.id, "inventory_quantity": 4},
            {"product_id": self.product_panel.id, "location_id": self.stock_location.id, "inventory_quantity": 12.5},
        ])
        quants.action_apply_inventory()
        self.assertEqual(self.events(self.product_desk), ["stock.adjusted"])
        panel = self.outbox_of(self.product_panel)
        self.assertEqual(panel.payload["data"]["uom"], "KGM")
        self.assertEqual(panel.payload["data"]["quantity_on_hand"], 12.5)
