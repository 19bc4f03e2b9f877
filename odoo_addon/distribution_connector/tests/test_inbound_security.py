from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from . import inbound_data as data
from .common import InboundCase


@tagged("post_install", "-at_install")
class TestInboundCall(InboundCase):
    def test_only_the_integration_user_applies_events(self):
        order = self.confirmed_order()
        item = data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name))
        for user in (self.staff_user, self.connector_manager, self.buyer, self.env.ref("base.user_admin")):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.Inbound.with_user(user).apply_events([item])
        self.assertFalse(order.connector_supplier_status)
        self.assertFalse(self.Inbound.search([("event_uuid", "=", item["event_id"])]))

    def test_malformed_calls_change_nothing(self):
        order = self.confirmed_order()
        good = data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name))
        for events in ({"events": [good]}, [good, "x"], [good] * 201, None):
            with self.subTest(events=str(events)[:30]):
                with self.assertRaises(ValidationError):
                    self.apply(*events) if isinstance(events, list) else \
                        self.Inbound.with_user(self.integration_user).apply_events(events)
        self.assertFalse(order.connector_supplier_status)
        self.assertFalse(self.Inbound.search([]))
        self.assertEqual(self.apply(), [])

    def test_event_without_a_usable_id_is_answered_not_kept(self):
        order = self.confirmed_order()
        item = data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name), event_id="42")
        answer = self.apply_one(item)
        self.assertEqual(answer["event_id"], "42")
        self.assertEqual(answer["outcome"], "rejected")
        self.assertIn("event_id", answer["detail"])
        self.assertFalse(self.Inbound.search([]))
        self.assertFalse(order.connector_supplier_status)

    def test_rejected_event_is_kept_with_its_problems(self):
        item = data.item("carrier.tracking_updated", "EASYPOST-USPS", "X", {"tracking_number": "X"})
        answer = self.apply_one(item)
        self.assertEqual(answer["outcome"], "rejected")
        row = self.inbound_of(answer)
        self.assertEqual(row.detail, answer["detail"])
        self.assertEqual(row.payload["data"], {"tracking_number": "X"})
        self.assertEqual(self.apply_one(item), dict(answer, duplicate=True))


@tagged("post_install", "-at_install")
class TestIntegrationUserIsConfined(InboundCase):
    """The sidecar's user reaches Odoo through its methods only, never through the ORM."""

    def test_refused_everywhere_else(self):
        user = self.integration_user
        order = self.confirmed_order()
        picking = self.delivery_order()
        self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name)))
        checks = {
            "res.partner read": lambda env: env["res.partner"].browse(self.vendor.id).read(["name"]),
            "res.partner write": lambda env: env["res.partner"].browse(self.vendor.id).write({"name": "x"}),
            "res.partner create": lambda env: env["res.partner"].create({"name": "x"}),
            "res.users read": lambda env: env["res.users"].browse(self.buyer.id).read(["login"]),
            "account.move read": lambda env: env["account.move"].search([]),
            "purchase.order read": lambda env: env["purchase.order"].browse(order.id).read(["name"]),
            "purchase.order write": lambda env: env["purchase.order"].browse(order.id).write({"partner_ref": "x"}),
            "stock.picking read": lambda env: env["stock.picking"].browse(picking.id).read(["name"]),
            "stock.picking write": lambda env: env["stock.picking"].browse(picking.id).write({"carrier_tracking_ref": "x"}),
            "connector.inbound read": lambda env: env["connector.inbound"].search([]).read(["detail"]),
            "connector.attention read": lambda env: env["connector.attention"].search([]),
            "ir.config_parameter read": lambda env: env["ir.config_parameter"].get_param("distribution_connector.nudge_secret"),
            "res.config.settings": lambda env: env["res.config.settings"].create({}),
            "product.product write": lambda env: env["product.product"].browse(self.product_desk.id).write({"name": "x"}),
            "mail.message read": lambda env: env["mail.message"].browse(order.message_ids[:1].id).read(["body"]),
        }
        for name, check in checks.items():
            with self.subTest(name):
                with self.assertRaises(AccessError):
                    check(self.env(user=user))
                    self.env.flush_all()
        self.assertEqual(self.vendor.name, "Wood Corner")

    def test_its_own_methods_work(self):
        order = self.confirmed_order()
        self.assertTrue(self.claim()["events"])
        answer = self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name)))
        self.assertEqual(answer["outcome"], "applied")


@tagged("post_install", "-at_install")
class TestInboundAccess(InboundCase):
    def test_staff_see_and_review_but_do_not_edit(self):
        answer = self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", "P99999", data.ack("P99999")))
        row = self.inbound_of(answer).with_user(self.staff_user)
        self.assertEqual(row.read(["outcome"])[0]["outcome"], "unknown_reference")
        with self.assertRaises(AccessError):
            row.write({"outcome": "applied"})
        with self.assertRaises(AccessError):
            row.unlink()
        row.action_mark_reviewed()
        self.assertTrue(row.reviewed)
        with self.assertRaises(AccessError):
            row.with_user(self.buyer).read(["outcome"])
        with self.assertRaises(AccessError):
            self.inbound_of(answer).with_user(self.buyer).action_mark_reviewed()
        with self.assertRaises(AccessError):
            self.env["connector.attention"].with_user(self.buyer).search([])
        self.assertTrue(self.env["connector.attention"].with_user(self.staff_user).search([]) is not None)

    def test_other_company_documents_and_messages(self):
        other = self.env["res.company"].create({"name": "Other Distribution Co"})
        order = self.create_order(company=other)
        order.button_confirm()
        item = data.item("supplier.order_acknowledged", "WOODCORNER", order.name, data.ack(order.name))
        answer = self.apply_one(item)
        self.assertEqual(answer["outcome"], "unknown_reference")
        self.assertFalse(order.connector_supplier_status)
        self.integration_user.company_ids |= other
        answer = self.apply_one(dict(item, event_id=data.new_id()))
        self.assertEqual(answer["outcome"], "applied")
        self.assertEqual(order.connector_supplier_status, "accepted")
        row = self.inbound_of(answer)
        self.assertEqual(row.company_id, other)
        self.assertFalse(self.Inbound.with_user(self.staff_user).search([("id", "=", row.id)]))
        self.staff_user.company_ids |= other
        self.assertTrue(
            self.Inbound.with_user(self.staff_user).with_context(allowed_company_ids=[self.company.id, other.id])
            .search([("id", "=", row.id)])
        )
