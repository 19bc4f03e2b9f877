import datetime

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from . import inbound_data as data
from .common import InboundCase


@tagged("post_install", "-at_install")
class TestSettings(InboundCase):
    def test_settings_are_stored_as_system_parameters(self):
        params = self.env["ir.config_parameter"].sudo()
        with Form(self.env["res.config.settings"]) as settings:
            settings.connector_sidecar_url = "http://127.0.0.1:8787"
            settings.connector_nudge_secret = "s3cret-0123456789"
            settings.connector_ack_delay_hours = 12
            settings.connector_milestone_delay_hours = 36
            settings.connector_retention_days = 90
        settings.record.execute()
        self.assertEqual(params.get_param("distribution_connector.sidecar_url"), "http://127.0.0.1:8787")
        self.assertEqual(params.get_param("distribution_connector.nudge_secret"), "s3cret-0123456789")
        self.assertEqual(params.get_param("distribution_connector.ack_delay_hours"), "12")
        self.assertEqual(params.get_param("distribution_connector.milestone_delay_hours"), "36")
        self.assertEqual(params.get_param("distribution_connector.retention_days"), "90")

    def test_the_secret_is_never_read_back(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("distribution_connector.nudge_secret", "s3cret-0123456789")
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.connector_nudge_secret)
        self.assertTrue(settings.connector_nudge_secret_set)
        form = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("connector_nudge_secret", form)
        # Saving the page without typing a secret keeps the current one.
        settings.execute()
        self.assertEqual(params.get_param("distribution_connector.nudge_secret"), "s3cret-0123456789")

    def test_only_system_administrators_open_the_settings(self):
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.connector_manager).create({})

    def test_delays_are_positive(self):
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"connector_ack_delay_hours": 0})
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"connector_retention_days": -1})


@tagged("post_install", "-at_install")
class TestRetention(InboundCase):
    def age(self, rows, days):
        old = fields.Datetime.now() - datetime.timedelta(days=days)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE %s SET create_date = %%s, write_date = %%s WHERE id = ANY(%%s)" % rows._table, (old, old, rows.ids)
        )
        if rows._name == "connector.outbox":
            self.env.cr.execute("UPDATE connector_outbox SET delivered_at = %s WHERE id = ANY(%s) AND delivered_at IS NOT NULL",
                                (old, rows.ids))
        rows.invalidate_model()

    def test_purge_deletes_old_delivered_events_keeps_dead_ones_and_sequences_go_on(self):
        order, first = self.claimed_row()
        self.record([{"event_id": first.event_uuid, "state": "delivered"}])
        order.order_line[0].product_qty = 4
        self.env.flush_all()
        self.env.cr.precommit.run()
        second = self.outbox_of(order)[-1]
        self.assertEqual(second.sequence, 2)
        self.claim()
        self.record([{"event_id": second.event_uuid, "state": "delivered"}])
        _dead_order, dead = self.claimed_row()
        self.record([{"event_id": dead.event_uuid, "state": "dead", "error": "gone"}])
        pending_order, pending = self.confirmed_row()
        self.age(first | second | dead | pending, 40)
        answer = self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", "P99999", data.ack("P99999")))
        old_message = self.inbound_of(answer)
        self.age(old_message, 40)
        new_message = self.inbound_of(
            self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", "P99998", data.ack("P99998"))))

        deleted = self.Outbox._cron_purge_retention()
        self.assertEqual(deleted, 3)
        self.assertFalse((first | second).exists())
        self.assertTrue(dead.exists())
        self.assertTrue(pending.exists())
        self.assertFalse(old_message.exists())
        self.assertTrue(new_message.exists())
        # The order's next event goes on from its last sequence, though its events are gone.
        order.order_line[0].product_qty = 5
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertEqual(self.outbox_of(order).mapped("sequence"), [3])

    def test_retention_setting(self):
        _order, row = self.claimed_row()
        self.record([{"event_id": row.event_uuid, "state": "delivered"}])
        self.age(row, 10)
        self.assertEqual(self.Outbox._purge_old_rows(), 0)
        self.env["ir.config_parameter"].set_param("distribution_connector.retention_days", "7")
        self.assertEqual(self.Outbox._purge_old_rows(), 1)

    def test_the_cron_exists(self):
        cron = self.env.ref("distribution_connector.ir_cron_connector_purge")
        self.assertTrue(cron.active)
        self.assertEqual(cron.code.strip(), "model._cron_purge_retention()")
