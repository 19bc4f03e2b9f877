import json
from pathlib import Path

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

# The repository's contracts, next to odoo_addon/ (absent when the addon is deployed alone).
CONTRACTS_DIR = Path(__file__).resolve().parents[3] / "contracts" / "v1"

try:
    import jsonschema
except ImportError:  # pragma: no cover - depends on the machine
    jsonschema = None


def contract_validation_unavailable():
    """Why payloads cannot be checked against contracts/v1 here, or None when they can."""
    if jsonschema is None:
        return "python module jsonschema is not installed (Debian: python3-jsonschema)"
    if not (CONTRACTS_DIR / "envelope.schema.json").is_file():
        return "contracts folder not found at %s" % CONTRACTS_DIR
    return None


def validate_against_contract(document):
    """Validate an event envelope against contracts/v1/events/<type>.schema.json."""
    # Every schema of the folder, by $id: event schemas refer to the envelope and to each other.
    schemas = [json.loads(path.read_text()) for path in sorted(CONTRACTS_DIR.rglob("*.schema.json"))]
    event_schema = json.loads((CONTRACTS_DIR / "events" / ("%s.schema.json" % document["type"])).read_text())
    validator_class = jsonschema.Draft202012Validator
    try:
        from referencing import Registry, Resource  # jsonschema >= 4.18
    except ImportError:
        resolver = jsonschema.RefResolver.from_schema(
            event_schema, store={schema["$id"]: schema for schema in schemas}
        )
        validator = validator_class(event_schema, resolver=resolver, format_checker=validator_class.FORMAT_CHECKER)
    else:
        registry = Registry().with_resources(
            (schema["$id"], Resource.from_contents(schema)) for schema in schemas
        )
        validator = validator_class(event_schema, registry=registry, format_checker=validator_class.FORMAT_CHECKER)
    validator.validate(document)


class ConnectorCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        cls.company = cls.env.company
        cls.company.po_double_validation = "one_step"
        cls.Outbox = cls.env["connector.outbox"]
        cls.uom_unit = cls.env.ref("uom.product_uom_unit")
        cls.uom_kg = cls.env.ref("uom.product_uom_kgm")
        cls.vendor = cls.env["res.partner"].create({
            "name": "Wood Corner",
            "is_company": True,
            "connector_partner_code": "WOODCORNER",
            "vat": "BE0477472701",
        })
        cls.product_desk = cls.env["product.product"].create({
            "name": "Desk Combination",
            "default_code": "FURN_7800",
            "type": "consu",
            "is_storable": True,
            "seller_ids": [Command.create({
                "partner_id": cls.vendor.id,
                "product_code": "WC-DESK-CMB",
                "price": 450.0,
            })],
        })
        cls.product_panel = cls.env["product.product"].create({
            "name": "Wood panel, oak",
            "default_code": "FURN_0001",
            "type": "consu",
            "is_storable": True,
            "uom_id": cls.uom_kg.id,
            "uom_po_id": cls.uom_kg.id,
        })
        cls.integration_user = new_test_user(
            cls.env, login="odc_integration", groups="distribution_connector.group_connector_integration"
        )
        cls.staff_user = new_test_user(
            cls.env, login="odc_staff", groups="base.group_user,stock.group_stock_user,distribution_connector.group_connector_user"
        )
        cls.connector_manager = new_test_user(
            cls.env, login="odc_manager", groups="base.group_user,distribution_connector.group_connector_manager"
        )
        cls.buyer = new_test_user(
            cls.env, login="odc_buyer", groups="base.group_user,purchase.group_purchase_user,stock.group_stock_user"
        )

    @classmethod
    def create_order(cls, partner=None, company=None, **values):
        orders = cls.env["purchase.order"]
        if company:
            orders = orders.with_company(company)
        return orders.create({
            "partner_id": (partner or cls.vendor).id,
            "order_line": [
                Command.create({"product_id": cls.product_desk.id, "product_qty": 3, "price_unit": 450.0}),
                Command.create({
                    "product_id": cls.product_panel.id,
                    "product_qty": 22.5,
                    "product_uom": cls.uom_kg.id,
                    "price_unit": 10.0,
                }),
            ],
            **values,
        })

    def outbox_of(self, record):
        return self.Outbox.search(
            [("subject_model", "=", record._name), ("subject_id", "=", record.id)], order="sequence"
        )

    def confirmed_row(self):
        """A confirmed order and its one outbox row."""
        order = self.create_order()
        order.button_confirm()
        return order, self.outbox_of(order)

    def claim(self, **kwargs):
        return self.Outbox.with_user(self.integration_user).claim_batch(**kwargs)

    def record(self, results):
        return self.Outbox.with_user(self.integration_user).record_results(results)

    def claimed_row(self):
        order, row = self.confirmed_row()
        answer = self.claim()
        self.assertIn(row.id, [event["outbox_id"] for event in answer["events"]])
        return order, row


class InboundCase(ConnectorCase):
    """Helpers to send partner news through the intent method, as the sidecar does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Inbound = cls.env["connector.inbound"]
        cls.warehouse = cls.env.ref("stock.warehouse0")
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.carrier = cls.env["delivery.carrier"].create({
            "name": "USPS via EasyPost",
            "delivery_type": "fixed",
            "fixed_price": 6.0,
            "connector_partner_code": "EASYPOST-USPS",
            "product_id": cls.env["product.product"].create({"name": "USPS shipping", "type": "service"}).id,
        })
        cls.customer = cls.env["res.partner"].create({
            "name": "Azure Interior", "is_company": True, "street": "4557 De Silva St", "city": "Fremont",
            "zip": "94538", "country_id": cls.env.ref("base.us").id,
        })
        cls.picker = new_test_user(
            cls.env, login="odc_picker", groups="base.group_user,stock.group_stock_user"
        )

    def apply(self, *items):
        return self.Inbound.with_user(self.integration_user).apply_events(list(items))

    def apply_one(self, item):
        [answer] = self.apply(item)
        return answer

    def inbound_of(self, answer):
        return self.Inbound.search([("event_uuid", "=", answer["event_id"])])

    def confirmed_order(self):
        order = self.create_order()
        order.button_confirm()
        return order

    def delivery_order(self, quantity=2, carrier=None, done=False, user=None):
        """A delivery order of the desk, with stock, ready (or done) and shipped by ``carrier``."""
        self.env["stock.quant"]._update_available_quantity(self.product_desk, self.stock_location, quantity)
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id,
            "partner_id": self.customer.id,
            "location_id": self.stock_location.id,
            "location_dest_id": self.customers.id,
            "carrier_id": (carrier or self.carrier).id,
            "user_id": (user or self.picker).id,
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
        picking.action_assign()
        if done:
            picking.move_ids.picked = True
            picking._action_done()
        return picking

    def exception_activities(self, record):
        activity_type = self.env.ref("distribution_connector.mail_activity_type_connector_exception")
        return record.activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type)

    def last_note(self, record):
        return record.message_ids.filtered(lambda message: message.subtype_id == self.env.ref("mail.mt_note"))[:1]
