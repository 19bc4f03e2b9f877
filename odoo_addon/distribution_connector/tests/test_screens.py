import datetime

import werkzeug.urls

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from . import inbound_data as data
from .common import ConnectorCase, InboundCase

# Renders the staff screens in a real browser and saves screenshots (Odoo's --screenshots
# folder, default /tmp/odoo_tests/<db>/screenshots) for a person to look at. Needs Chromium;
# not part of the standard run: --test-tags connector_screens (scripts/addon-screenshots.sh
# runs it and copies the pictures to static/description/).
WAIT_FOR = """
    const deadline = Date.now() + 20000;
    function check(selector, then) {
        if (document.querySelector(selector)) { then(); return; }
        if (Date.now() > deadline) { console.error('timeout waiting for ' + selector); return; }
        setTimeout(() => check(selector, then), 200);
    }
"""


class ScreensMixin:
    browser_size = "1600x1000"

    def _show(self, url_path, selector, name, click=None):
        """Open ``url_path`` as admin, wait for ``selector``, save a screenshot named ``name``."""
        browser = ChromeBrowser(self, headless=True, success_signal="test successful")
        try:
            self.authenticate("admin", "admin", browser=browser)
            self.cr.flush()
            self.cr.clear()
            browser.navigate_to(werkzeug.urls.url_join(self.base_url(), url_path), wait_stop=True)
            done = (
                "() => { document.querySelector(%r).scrollIntoView({block: 'center'});"
                " setTimeout(() => console.log('test successful'), 800); }" % selector
            )
            if click:
                # Open a tab first (e.g. the vendor's Sales & Purchase page), then wait.
                done = "() => { document.querySelector(%r).click(); check(%r, %s); }" % (click, selector, done)
                selector = click
            browser._wait_code_ok(WAIT_FOR + "check(%r, %s);" % (selector, done), 60)
            browser.take_screenshot(prefix="%s_" % name).result(timeout=20)
        finally:
            browser.stop()
            self._wait_remaining_requests()


@tagged("post_install", "-at_install", "-standard", "connector_screens")
class TestScreens(ScreensMixin, HttpCase, ConnectorCase):
    browser_size = "1366x768"

    def test_outbox_list_and_form(self):
        order, row = self.confirmed_row()
        failed_order, failed = self.claimed_row()
        self.record([{
            "event_id": failed.event_uuid, "state": "dead", "partner": "WOODCORNER", "attempts": 8,
            "error": "HTTP 503 from https://hooks.woodcorner.example/odoo after 8 attempts",
        }])
        self._show("/odoo/action-distribution_connector.connector_outbox_action", ".o_data_row", "outbox_list")
        self._show(
            "/odoo/action-distribution_connector.connector_outbox_action/%d" % failed.id,
            ".o_form_view .o_statusbar_status", "outbox_form",
        )
        self._show("/odoo/action-purchase.purchase_form_action/%d" % order.id, ".oe_stat_button", "purchase_order")
        self._show(
            "/odoo/action-base.action_partner_form/%d" % self.vendor.id,
            "div[name='connector_partner_code']",
            "vendor",
            click="a.nav-link[name='sales_purchases']",
        )


@tagged("post_install", "-at_install", "-standard", "connector_screens")
class TestStatusScreens(ScreensMixin, HttpCase, InboundCase):
    """Demo events through the real intent methods, then the screens staff work in."""

    def iso(self, moment):
        return fields.Datetime.to_string(moment).replace(" ", "T") + "Z"

    def deliver(self, row, at, state="delivered", error=None):
        self.record([{"event_id": row.event_uuid, "state": state, "partner": row.partner_code,
                      "attempts": 1 if state == "delivered" else 6, "error": error, "at": self.iso(at)}])

    def shipped_order(self, hours_ago, picker=None):
        picking = self.delivery_order(done=True, user=picker or self.env.ref("base.user_admin"))
        picking.date_done = self.now - datetime.timedelta(hours=hours_ago)
        return picking

    def setUp(self):
        super().setUp()
        self.now = fields.Datetime.now().replace(microsecond=0)
        admin = self.env.ref("base.user_admin")
        self.integration_user.name = "Distribution Connector (sidecar)"
        self.env["ir.config_parameter"].set_param("distribution_connector.ack_delay_hours", "24")
        # An order the vendor changed: part backordered, dates promised.
        self.order = self.create_order(user_id=admin.id, partner_ref="WC-SO-5531")
        self.order.button_confirm()
        # Two more orders: one the vendor has not answered for 3 days, one it rejected.
        self.waiting = self.create_order(user_id=admin.id)
        self.waiting.button_confirm()
        self.rejected = self.create_order(user_id=admin.id)
        self.rejected.button_confirm()
        claimed = {row["event"]["subject"]["id"]: row["outbox_id"] for row in self.claim()["events"]}
        outbox = self.Outbox.browse
        self.deliver(outbox(claimed[self.order.id]), self.now - datetime.timedelta(hours=20))
        self.deliver(outbox(claimed[self.waiting.id]), self.now - datetime.timedelta(hours=74))
        self.deliver(outbox(claimed[self.rejected.id]), self.now - datetime.timedelta(hours=30))
        ack = data.ack(self.order.name, "partially_accepted", [
            data.ack_line(10, data.portion("accepted", 3, "C62", "2026-12-03")),
            data.ack_line(20, data.portion("accepted", 20, "KGM", "2026-12-03"),
                          data.portion("backordered", 2.5, "KGM", "2026-12-17"), status="backordered"),
        ], issued_at=self.iso(self.now - datetime.timedelta(hours=18)), note="Oak panels partly backordered",
            partner_order_id=None, partner_document_id="CONF-778")
        self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", self.order.name, ack,
                                 occurred_at=self.iso(self.now - datetime.timedelta(hours=18))))
        self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", self.rejected.name,
                                 data.ack(self.rejected.name, "rejected", note="Discontinued item"),
                                 occurred_at=self.iso(self.now - datetime.timedelta(hours=6))))
        # A delivery order on its way, one without carrier news for two days, one failed attempt.
        self.shipment = self.shipped_order(26)
        number = "9400100110368066352811"
        self.apply_one(data.item("carrier.shipment_booked", "EASYPOST-USPS", self.shipment.name,
                                 data.booking(self.shipment.name, (number,),
                                              "https://easypost-files.example/postage_label/9400100110368066352811.png"),
                                 occurred_at=self.iso(self.now - datetime.timedelta(hours=27))))
        for status, hours, detail, city in (
            ("in_transit", 20, "Departed USPS regional facility", "Oakland"),
            ("out_for_delivery", 2, "Out for delivery", "Pleasant Hill"),
        ):
            self.apply_one(data.item("carrier.tracking_updated", "EASYPOST-USPS", number, data.tracking(
                number, status, self.iso(self.now - datetime.timedelta(hours=hours)), detail=detail, city=city,
                eta=self.iso(self.now.replace(hour=20, minute=0, second=0)),
                public_url="https://tools.usps.com/go/TrackConfirmAction?tLabels=%s" % number,
            ), occurred_at=self.iso(self.now - datetime.timedelta(hours=hours))))
        silent = self.shipped_order(50)
        silent.carrier_tracking_ref = "9400100110368066350001"
        failed_attempt = self.shipped_order(30)
        failed_attempt.carrier_tracking_ref = "9400100110368066350002"
        self.apply_one(data.item("carrier.tracking_updated", "EASYPOST-USPS", "9400100110368066350002", data.tracking(
            "9400100110368066350002", "attempt_failed", self.iso(self.now - datetime.timedelta(hours=3)),
            detail="Notice left, no secure location", city="Fremont"),
            occurred_at=self.iso(self.now - datetime.timedelta(hours=3))))
        # A partner message nobody could place, and outbox rows in every state.
        self.apply_one(data.item("supplier.order_acknowledged", "WOODCORNER", "P09999", data.ack("P09999")))
        rows = {row["event"]["type"] + str(row["event"]["subject"]["id"]): self.Outbox.browse(row["outbox_id"])
                for row in self.claim()["events"]}
        ready_rows = [row for key, row in rows.items() if key.startswith("shipment.ready")]
        self.deliver(ready_rows[0], self.now - datetime.timedelta(hours=1))
        self.deliver(ready_rows[1], self.now, state="failed", error="HTTP 429 from api.easypost.example: rate limited")
        self.deliver(ready_rows[2], self.now, state="dead",
                     error="HTTP 422 from api.easypost.example: address not deliverable (4557 De Silva St)")
        # An order confirmed since the sidecar's last claim: pending.
        self.create_order(user_id=admin.id).button_confirm()
        self.env.flush_all()

    def test_status_screens(self):
        self._show("/odoo/action-purchase.purchase_form_action/%d" % self.order.id,
                   "div[name='connector_supplier_status']", "purchase_order_status")
        self._show("/odoo/action-stock.action_picking_tree_all/%d" % self.shipment.id,
                   "div[name='connector_carrier_status']", "picking_carrier_status")
        self._show("/odoo/action-distribution_connector.connector_outbox_action", ".o_data_row", "outbox_list")
        self._show("/odoo/action-distribution_connector.connector_attention_action", ".o_data_row",
                   "attention_overview")
        self._show("/odoo/action-distribution_connector.connector_inbound_action", ".o_data_row", "partner_messages")
