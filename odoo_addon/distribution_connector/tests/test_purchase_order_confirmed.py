import json
import os

from odoo import Command
from odoo.tests import tagged

from .common import ConnectorCase, contract_validation_unavailable, validate_against_contract


@tagged("post_install", "-at_install")
class TestPurchaseOrderConfirmed(ConnectorCase):
    def test_confirm_emits_one_event_with_the_canonical_payload(self):
        order, row = self.confirmed_row()
        self.assertEqual(len(row), 1)
        self.assertRecordValues(row, [{
            "event_type": "purchase_order.confirmed",
            "subject_model": "purchase.order",
            "subject_id": order.id,
            "subject_ref": order.name,
            "sequence": 1,
            "partner_code": "WOODCORNER",
            "state": "pending",
            "attempts": 0,
            "replay": False,
            "company_id": self.company.id,
        }])
        payload = row.payload
        self.assertEqual(payload["id"], row.event_uuid)
        self.assertEqual(payload["type"], "purchase_order.confirmed")
        self.assertEqual(payload["version"], 1)
        self.assertTrue(payload["occurred_at"].endswith("Z"))
        self.assertEqual(payload["source"], {
            "system": "odoo",
            "database": self.env.cr.dbname,
            "company": {"id": self.company.id, "name": self.company.name},
        })
        self.assertEqual(payload["subject"], {"model": "purchase.order", "id": order.id, "ref": order.name})
        self.assertEqual(payload["sequence"], 1)
        data = payload["data"]
        self.assertEqual(data["po_number"], order.name)
        self.assertEqual(data["currency"], order.currency_id.name)
        self.assertEqual(data["vendor"], {
            "id": self.vendor.id, "name": "Wood Corner", "partner_code": "WOODCORNER", "vat": "BE0477472701",
        })
        self.assertTrue(data["order_date"].endswith("Z"))
        self.assertAlmostEqual(data["amount_untaxed"], 1575.0)
        lines = data["lines"]
        self.assertEqual([line["line_number"] for line in lines], [10, 20])
        self.assertEqual([line["product_code"] for line in lines], ["FURN_7800", "FURN_0001"])
        self.assertEqual([line["vendor_product_code"] for line in lines], ["WC-DESK-CMB", None])
        self.assertEqual([line["uom"] for line in lines], ["C62", "KGM"])
        self.assertEqual([line["quantity"] for line in lines], [3.0, 22.5])
        self.assertEqual([line["unit_price"] for line in lines], [450.0, 10.0])
        self.assertTrue(all(line["planned_date"].endswith("Z") for line in lines))
        self.assertEqual(order.order_line.mapped("connector_line_number"), [10, 20])

    def test_payload_validates_against_the_contract(self):
        reason = contract_validation_unavailable()
        if reason:
            self.skipTest("payload not checked against contracts/v1: %s" % reason)
        _order, row = self.confirmed_row()
        validate_against_contract(row.payload)

    def test_contact_uses_its_company_code_and_sections_are_not_sent(self):
        contact = self.env["res.partner"].create({"name": "Buyer desk", "parent_id": self.vendor.id})
        order = self.create_order(partner=contact)
        order.order_line = [Command.create({"display_type": "line_section", "name": "Furniture", "product_qty": 0})]
        order.button_confirm()
        row = self.outbox_of(order)
        self.assertEqual(row.partner_code, "WOODCORNER")
        self.assertEqual(len(row.payload["data"]["lines"]), 2)
        self.assertEqual(row.payload["data"]["vendor"]["id"], self.vendor.id)

    def test_vendor_without_code_still_emits_with_null_code(self):
        vendor = self.env["res.partner"].create({"name": "No Code Ltd", "is_company": True})
        order = self.create_order(partner=vendor)
        order.button_confirm()
        row = self.outbox_of(order)
        self.assertFalse(row.partner_code)
        self.assertIsNone(row.payload["data"]["vendor"]["partner_code"])

    def test_unknown_unit_is_sent_as_zz(self):
        pallet = self.env["uom.uom"].create({
            "name": "Pallet",
            "category_id": self.uom_unit.category_id.id,
            "uom_type": "bigger",
            "factor_inv": 40,
        })
        order = self.create_order()
        order.order_line[0].product_uom = pallet
        with self.assertLogs("odoo.addons.distribution_connector.tools.vocabulary", level="WARNING"):
            order.button_confirm()
        self.assertEqual(self.outbox_of(order).payload["data"]["lines"][0]["uom"], "ZZ")

    def test_two_step_approval_emits_only_on_approval(self):
        self.company.write({"po_double_validation": "two_step", "po_double_validation_amount": 0})
        order = self.create_order()
        order.with_user(self.buyer).button_confirm()
        self.assertEqual(order.state, "to approve")
        self.assertFalse(self.outbox_of(order))
        order.button_approve()
        self.assertEqual(order.state, "purchase")
        row = self.outbox_of(order)
        self.assertEqual(len(row), 1)
        self.assertEqual(row.event_type, "purchase_order.confirmed")

    def test_locked_on_confirmation(self):
        self.company.po_lock = "lock"
        order, row = self.confirmed_row()
        self.assertEqual(order.state, "done")
        self.assertEqual(row.event_type, "purchase_order.confirmed")
        self.assertEqual([line["line_number"] for line in row.payload["data"]["lines"]], [10, 20])

    def test_buyer_without_connector_rights_confirms(self):
        order = self.create_order()
        order.with_user(self.buyer).button_confirm()
        self.assertEqual(order.state, "purchase")
        self.assertEqual(len(self.outbox_of(order)), 1)

    def test_approving_twice_emits_once(self):
        order, _row = self.confirmed_row()
        order.button_approve()
        self.assertEqual(len(self.outbox_of(order)), 1)

    def test_sequence_increments_per_subject(self):
        order, first = self.confirmed_row()
        second = self.Outbox._emit("purchase_order.changed", order, {"po_number": order.name})
        third = self.Outbox._emit("purchase_order.changed", order, {"po_number": order.name})
        self.assertEqual((first + second + third).mapped("sequence"), [1, 2, 3])
        self.assertEqual(third.payload["sequence"], 3)
        _other, other_row = self.confirmed_row()
        self.assertEqual(other_row.sequence, 1)

    def test_line_numbers_are_never_reused(self):
        order = self.create_order()
        order._connector_assign_line_numbers()
        self.assertEqual(order.order_line.mapped("connector_line_number"), [10, 20])
        order.order_line[1].unlink()
        order.order_line = [Command.create({"product_id": self.product_desk.id, "product_qty": 1})]
        order.button_confirm()
        self.assertEqual(order.order_line.mapped("connector_line_number"), [10, 30])
        self.assertEqual([line["line_number"] for line in self.outbox_of(order).payload["data"]["lines"]], [10, 30])

    def test_line_number_is_not_copied(self):
        order, _row = self.confirmed_row()
        copy = order.copy()
        self.assertEqual(copy.order_line.mapped("connector_line_number"), [0, 0])
        self.assertEqual(copy.connector_last_line_number, 0)

    def test_outbox_count_on_the_order(self):
        order, _row = self.confirmed_row()
        self.assertEqual(order.connector_outbox_count, 1)
        # A buyer who may not read the outbox sees no count rather than an error.
        self.assertEqual(order.with_user(self.buyer).connector_outbox_count, 0)
        action = order.action_view_connector_outbox()
        self.assertEqual(self.Outbox.search(action["domain"]), self.outbox_of(order))


@tagged("post_install", "-at_install")
class TestPurchaseOrderSupplierContent(ConnectorCase):
    """What a supplier needs to fulfil the order: where, who, on which terms, what exactly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        belgium = cls.env.ref("base.be")
        cls.company.partner_id.write({
            "street": "Rue de la Loi 16", "city": "Brussels", "zip": "1000", "country_id": belgium.id,
            "phone": "+32 2 290 34 90", "email": "info@yourcompany.example.com",
        })
        cls.vendor.country_id = belgium
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.warehouse.partner_id = cls.env["res.partner"].create({
            "name": "YourCompany Receiving", "street": "Havenlaan 86", "street2": "Gate 3", "city": "Antwerp",
            "zip": "2030", "country_id": belgium.id, "email": "warehouse@yourcompany.example.com",
        })
        cls.buyer.partner_id.write({
            "name": "Ann Buyer", "email": "buyer@yourcompany.example.com", "phone": "+32 2 290 34 91",
        })
        cls.vat21 = cls.env["account.tax"].create({
            "name": "VAT 21% (purchase)", "amount": 21.0, "amount_type": "percent", "type_tax_use": "purchase",
            "company_id": cls.company.id,
        })
        color = cls.env["product.attribute"].create({
            "name": "Color", "value_ids": [Command.create({"name": "Black"}), Command.create({"name": "White"})],
        })
        cls.chair_template = cls.env["product.template"].create({
            "name": "Office Chair",
            "default_code": "FURN_CHAIR",
            "type": "consu",
            "attribute_line_ids": [Command.create({"attribute_id": color.id, "value_ids": [Command.set(color.value_ids.ids)]})],
            "seller_ids": [Command.create({"partner_id": cls.vendor.id, "product_code": "WC-CHAIR", "price": 120.0})],
        })
        cls.black_chair = cls.chair_template.product_variant_ids.filtered(
            lambda p: p.product_template_attribute_value_ids.name == "Black"
        )

    def supplier_order(self, **values):
        order = self.create_order(**{
            "user_id": self.buyer.id,
            "picking_type_id": self.warehouse.in_type_id.id,
            "incoterm_id": self.env.ref("account.incoterm_DAP").id,
            "incoterm_location": "Antwerp",
            "payment_term_id": self.env.ref("account.account_payment_term_30days").id,
            **values,
        })
        order.order_line[0].taxes_id = self.vat21
        order.order_line = [Command.create({"product_id": self.black_chair.id, "product_qty": 4, "price_unit": 120.0})]
        order.button_confirm()
        return order, self.outbox_of(order)

    def test_ship_to_is_the_receiving_warehouse_and_bill_to_the_company(self):
        _order, row = self.supplier_order()
        data = row.payload["data"]
        self.assertEqual(data["ship_to"], {
            "id": self.warehouse.code, "name": "YourCompany Receiving", "company": None,
            "street": "Havenlaan 86", "street2": "Gate 3", "city": "Antwerp", "state": None, "zip": "2030",
            "country": "BE", "phone": None, "email": "warehouse@yourcompany.example.com",
        })
        self.assertEqual(data["bill_to"]["id"], "res.partner-%d" % self.company.partner_id.id)
        self.assertEqual(
            [data["bill_to"][k] for k in ("name", "street", "city", "zip", "country")],
            [self.company.name, "Rue de la Loi 16", "Brussels", "1000", "BE"],
        )

    def test_buyer_contact_incoterm_and_payment_terms(self):
        _order, row = self.supplier_order()
        data = row.payload["data"]
        self.assertEqual(data["buyer"], {
            "name": self.buyer.name, "email": "buyer@yourcompany.example.com", "phone": "+32 2 290 34 91",
        })
        self.assertEqual(data["incoterm"], {"code": "DAP", "location": "Antwerp"})
        self.assertEqual(data["payment_terms"], {"name": "30 Days", "days": 30})

    def test_lines_carry_vendor_codes_variant_tax_and_classification(self):
        _order, row = self.supplier_order()
        lines = {line["line_number"]: line for line in row.payload["data"]["lines"]}
        self.assertEqual([lines[n]["vendor_product_code"] for n in (10, 20, 30)], ["WC-DESK-CMB", None, "WC-CHAIR"])
        # The vendor's chair code covers both colours: the variant tells them apart.
        self.assertEqual([lines[n]["vendor_product_aux_code"] for n in (10, 20, 30)], [None, None, "Black"])
        self.assertEqual(lines[10]["tax"], {"category": "S", "percent": 21.0})
        has_unspsc = "unspsc_code_id" in self.env["product.product"]._fields
        if not has_unspsc:
            # Without the product_unspsc module Odoo has no classification: the partner's configured one is used.
            self.assertEqual([line["classification"] for line in lines.values()], [None, None, None])

    def test_unspsc_classification_when_product_unspsc_is_installed(self):
        if "unspsc_code_id" not in self.env["product.product"]._fields:
            self.skipTest("module product_unspsc is not installed in this database")
        code = self.env["product.unspsc.code"].search([("code", "=", "56101703")], limit=1)
        self.product_desk.unspsc_code_id = code
        _order, row = self.supplier_order()
        self.assertEqual(row.payload["data"]["lines"][0]["classification"], {"scheme": "UNSPSC", "code": "56101703"})

    def test_dropship_address_is_the_ship_to(self):
        customer = self.env["res.partner"].create({
            "name": "Azure Interior", "ref": "AZURE-01", "street": "4557 De Silva St", "city": "Fremont",
            "zip": "94538", "country_id": self.env.ref("base.us").id,
        })
        dropship = self.warehouse.in_type_id.copy({
            "name": "Dropship (test)", "sequence_code": "DSTEST",
            "default_location_dest_id": self.env.ref("stock.stock_location_customers").id,
        })
        _order, row = self.supplier_order(picking_type_id=dropship.id, dest_address_id=customer.id)
        ship_to = row.payload["data"]["ship_to"]
        self.assertEqual([ship_to[k] for k in ("id", "name", "city", "country")], ["AZURE-01", "Azure Interior", "Fremont", "US"])

    def test_changing_the_delivery_terms_is_a_change_for_the_vendor(self):
        order, _row = self.supplier_order()
        self.env.cr.flush()
        order.incoterm_id = self.env.ref("account.incoterm_EXW")
        self.env.cr.flush()
        rows = self.outbox_of(order)
        self.assertEqual(rows.mapped("event_type"), ["purchase_order.confirmed", "purchase_order.changed"])
        self.assertEqual(rows[-1].payload["data"]["incoterm"]["code"], "EXW")

    def test_payload_validates_against_the_contract(self):
        reason = contract_validation_unavailable()
        if reason:
            self.skipTest("payload not checked against contracts/v1: %s" % reason)
        _order, row = self.supplier_order()
        validate_against_contract(row.payload)

    def test_payload_is_captured_for_the_sidecar(self):
        """ODC_CAPTURE_PO_PAYLOAD=<file> odoo-test.sh writes this real payload; the sidecar's tests render it
        (sidecar/src/partners/test-support/documents/odoo18_purchase_order_confirmed.json). Captured
        in a database with product_unspsc installed, the desk carries its UNSPSC code."""
        if "unspsc_code_id" in self.env["product.product"]._fields:
            self.product_desk.unspsc_code_id = self.env["product.unspsc.code"].search([("code", "=", "56101703")], limit=1)
        _order, row = self.supplier_order()
        json.dumps(row.payload)  # what the outbox stores must be JSON as it is
        target = os.environ.get("ODC_CAPTURE_PO_PAYLOAD")
        if not target:
            self.skipTest("ODC_CAPTURE_PO_PAYLOAD not set: payload not written")
        with open(target, "w", encoding="utf-8") as handle:
            json.dump(row.payload, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
