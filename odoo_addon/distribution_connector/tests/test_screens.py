import werkzeug.urls

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from .common import ConnectorCase

# Renders the staff screens in a real browser and saves screenshots (Odoo's --screenshots
# folder, default /tmp/odoo_tests/<db>/screenshots) for a person to look at. Needs Chromium;
# not part of the standard run: --test-tags connector_screens
WAIT_FOR = """
    const deadline = Date.now() + 20000;
    function check(selector, then) {
        if (document.querySelector(selector)) { then(); return; }
        if (Date.now() > deadline) { console.error('timeout waiting for ' + selector); return; }
        setTimeout(() => check(selector, then), 200);
    }
"""


@tagged("post_install", "-at_install", "-standard", "connector_screens")
class TestScreens(HttpCase, ConnectorCase):
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
