import logging
from unittest.mock import patch

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.tests import TransactionCase, tagged

from ..models import connector_inbound
from ..models.connector_outbox import ConnectorOutbox
from . import inbound_data as data

CODE = "ODC-CONCURRENT"


@tagged("post_install", "-at_install")
class TestResultsWhileStaffValidate(TransactionCase):
    """The sidecar records results while staff validate receipts and delivery orders.

    Real, separate connections in Odoo's REPEATABLE READ: a transaction that writes a row
    another transaction changed and committed after its snapshot fails with a serialization
    failure and Odoo retries the person's request (what the sidecar's ``record_results`` did to
    purchase orders when it wrote their sent date). ``record_results`` must never write a
    row a person's validation writes, nor wait for one.

    The documents must be committed to be seen by two connections: they are created on a
    connection of their own and deleted afterwards (the test transaction is untouched).
    """

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        patcher = patch.object(ConnectorOutbox, "_check_integration_access", lambda self: None)
        patcher.start()
        self.addCleanup(patcher.stop)
        patcher = patch.object(connector_inbound, "check_integration_user", lambda env: None)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.created = {}
        self.addCleanup(self._cleanup)
        with self.db.cursor() as cr:
            self._create_documents(api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True}))
            cr.commit()

    def _create_documents(self, env):
        env.company.po_double_validation = "one_step"
        warehouse = env.ref("stock.warehouse0")
        vendor = env["res.partner"].create({"name": "Concurrent Vendor", "is_company": True,
                                            "connector_partner_code": CODE})
        customer = env["res.partner"].create({"name": "Concurrent Customer", "is_company": True})
        product = env["product.product"].create({"name": "Concurrent desk", "type": "consu", "is_storable": True})
        carrier_product = env["product.product"].create({"name": "Concurrent shipping", "type": "service"})
        carrier = env["delivery.carrier"].create({
            "name": "Concurrent carrier", "delivery_type": "fixed", "fixed_price": 1.0,
            "connector_partner_code": CODE, "product_id": carrier_product.id,
        })
        orders = env["purchase.order"].create([
            {"partner_id": vendor.id,
             "order_line": [Command.create({"product_id": product.id, "product_qty": 2, "price_unit": 10.0})]}
            for _i in range(2)
        ])
        orders.button_confirm()
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10)
        deliveries = env["stock.picking"].create([
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": customer.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": env.ref("stock.stock_location_customers").id,
                "carrier_id": carrier.id,
                "move_ids": [Command.create({
                    "name": product.name, "product_id": product.id, "product_uom_qty": 1,
                    "product_uom": product.uom_id.id, "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": env.ref("stock.stock_location_customers").id,
                })],
            }
            for _i in range(2)
        ])
        deliveries.action_confirm()
        deliveries.action_assign()
        for index, delivery in enumerate(deliveries):
            delivery.carrier_tracking_ref = "CONCURRENT-%s" % index
        env.flush_all()
        self.created = {
            "orders": orders.ids, "receipts": orders.picking_ids.ids, "deliveries": deliveries.ids,
            "partners": (vendor | customer).ids, "products": (product | carrier_product).ids,
            "carrier": carrier.id,
        }
        # The sidecar holds the rows: leased, as after a claim.
        env.cr.execute(
            "UPDATE connector_outbox SET state = 'leased' WHERE partner_code = %s AND state = 'pending'", [CODE]
        )

    def _cleanup(self):
        if not self.created:
            return
        c = self.created
        pickings = c["receipts"] + c["deliveries"]
        statements = [
            ("DELETE FROM connector_outbox WHERE partner_code = %s", [CODE]),
            ("DELETE FROM connector_outbox_sequence WHERE (subject_model = 'purchase.order' AND subject_id = ANY(%s))"
             " OR (subject_model = 'stock.picking' AND subject_id = ANY(%s))", [c["orders"], pickings]),
            ("DELETE FROM connector_document_status WHERE (res_model = 'purchase.order' AND res_id = ANY(%s))"
             " OR (res_model = 'stock.picking' AND res_id = ANY(%s))", [c["orders"], pickings]),
            ("DELETE FROM connector_inbound WHERE partner_code = %s", [CODE]),
            ("DELETE FROM stock_valuation_layer WHERE product_id = ANY(%s)", [c["products"]]),
            ("DELETE FROM stock_move_line WHERE product_id = ANY(%s)", [c["products"]]),
            ("DELETE FROM stock_move WHERE product_id = ANY(%s)", [c["products"]]),
            ("DELETE FROM stock_quant WHERE product_id = ANY(%s)", [c["products"]]),
            ("DELETE FROM stock_picking WHERE id = ANY(%s)", [pickings]),
            ("DELETE FROM purchase_order WHERE id = ANY(%s)", [c["orders"]]),
            ("DELETE FROM delivery_carrier WHERE id = %s", [c["carrier"]]),
        ]
        with self.db.cursor() as cr:
            for query, params in statements[:4]:
                cr.execute(query, params)
            cr.commit()
            for query, params in statements[4:]:
                cr.execute(query, params)
            cr.commit()

    def _event_ids(self, cr, model, ids):
        cr.execute(
            "SELECT event_uuid FROM connector_outbox WHERE subject_model = %s AND subject_id = ANY(%s) AND state = 'leased'",
            [model, ids],
        )
        return [row[0] for row in cr.fetchall()]

    def _record_delivered(self, cr, model, ids):
        """The sidecar's call, on its own connection, as a short transaction that must not wait."""
        cr.execute("SET LOCAL lock_timeout = '2s'")
        outbox = api.Environment(cr, SUPERUSER_ID, {})["connector.outbox"]
        event_ids = self._event_ids(cr, model, ids)
        self.assertTrue(event_ids)
        answer = outbox.record_results([
            {"event_id": event_id, "state": "delivered", "partner": CODE, "attempts": 1, "at": None}
            for event_id in event_ids
        ])
        self.assertEqual(answer["updated"], len(event_ids))
        cr.commit()

    def _validate(self, env, picking_id):
        picking = env["stock.picking"].browse(picking_id)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        env.flush_all()
        self.assertEqual(picking.state, "done")

    def test_staff_validate_while_results_are_recorded(self):
        c = self.created
        with self.assertNoLogs("odoo.sql_db", level=logging.ERROR), \
                self.db.cursor() as staff_cr, self.db.cursor() as sidecar_cr:
            staff = api.Environment(staff_cr, SUPERUSER_ID, {"tracking_disable": True})
            # 1. The person opened the receipt and its order (the snapshot is taken) before the
            #    sidecar records the order's delivery and commits; then validates.
            staff["purchase.order"].browse(c["orders"][0]).read(["state", "receipt_status"])
            staff["stock.picking"].browse(c["deliveries"][0]).read(["state"])
            self._record_delivered(sidecar_cr, "purchase.order", c["orders"][:1])
            self._record_delivered(sidecar_cr, "stock.picking", c["deliveries"][:1])
            receipt = staff["purchase.order"].browse(c["orders"][0]).picking_ids
            self._validate(staff, receipt.id)
            self._validate(staff, c["deliveries"][0])
            staff_cr.commit()
            # 2. The person's validation holds its rows (not committed yet) while the sidecar
            #    records: the sidecar neither waits for them nor makes the person retry.
            receipt = staff["purchase.order"].browse(c["orders"][1]).picking_ids
            self._validate(staff, receipt.id)
            self._validate(staff, c["deliveries"][1])
            self._record_delivered(sidecar_cr, "purchase.order", c["orders"][1:])
            self._record_delivered(sidecar_cr, "stock.picking", c["deliveries"][1:])
            staff_cr.commit()
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = env["purchase.order"].browse(c["orders"])
            self.assertEqual(orders.mapped("connector_supplier_status"), ["sent", "sent"])
            self.assertTrue(all(orders.mapped("connector_sent_at")))
            self.assertEqual(orders.mapped("receipt_status"), ["full", "full"])
            self.assertEqual(env["stock.picking"].browse(c["deliveries"]).mapped("state"), ["done", "done"])
            # The validations' own events wait for the sidecar, once each.
            cr.execute(
                "SELECT event_type, count(*) FROM connector_outbox WHERE partner_code = %s AND state = 'pending'"
                " GROUP BY event_type", [CODE],
            )
            self.assertEqual(dict(cr.fetchall()), {"receipt.validated": 2, "shipment.dispatched": 2})

    def _apply_tracking(self, cr, picking_id, status, at):
        """A carrier's milestone, applied on the sidecar's connection as a short transaction that must not wait."""
        cr.execute("SET LOCAL lock_timeout = '2s'")
        env = api.Environment(cr, SUPERUSER_ID, {})
        picking = env["stock.picking"].browse(picking_id)
        number = picking.carrier_tracking_ref
        [answer] = env["connector.inbound"].apply_events([
            data.item("carrier.tracking_updated", CODE, number, data.tracking(number, status, at), occurred_at=at)
        ])
        self.assertEqual(answer["outcome"], "applied", answer)
        cr.commit()

    def test_staff_validate_while_tracking_arrives(self):
        """Tracking news is informative: applying it never writes the delivery order a person validates."""
        c = self.created
        with self.assertNoLogs("odoo.sql_db", level=logging.ERROR), \
                self.db.cursor() as staff_cr, self.db.cursor() as sidecar_cr:
            staff = api.Environment(staff_cr, SUPERUSER_ID, {"tracking_disable": True})
            # 1. The person's snapshot is taken, the milestone is applied and committed, then
            #    the person validates.
            staff["stock.picking"].browse(c["deliveries"][0]).read(["state", "carrier_tracking_ref"])
            self._apply_tracking(sidecar_cr, c["deliveries"][0], "pre_transit", "2026-12-03T08:00:00Z")
            self._validate(staff, c["deliveries"][0])
            staff_cr.commit()
            # 2. The person's validation holds the row while milestones arrive.
            self._validate(staff, c["deliveries"][1])
            self._apply_tracking(sidecar_cr, c["deliveries"][1], "pre_transit", "2026-12-03T08:00:00Z")
            self._apply_tracking(sidecar_cr, c["deliveries"][1], "in_transit", "2026-12-03T09:00:00Z")
            staff_cr.commit()
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            deliveries = env["stock.picking"].browse(c["deliveries"])
            self.assertEqual(deliveries.mapped("state"), ["done", "done"])
            self.assertEqual(deliveries.mapped("connector_carrier_status"), ["pre_transit", "in_transit"])
            self.assertTrue(all(deliveries.mapped("connector_last_inbound_id")))
