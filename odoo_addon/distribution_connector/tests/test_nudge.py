import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import tagged

from ..models import connector_outbox, connector_sidecar_health
from .common import ConnectorCase

SECRET = "nudge-secret-for-tests"


def check_signature(header, body, secret=SECRET):
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(parts["v1"], expected)


@tagged("post_install", "-at_install")
class TestNudge(ConnectorCase):
    def setUp(self):
        super().setUp()
        self.params = self.env["ir.config_parameter"].sudo()
        self.params.set_param(connector_outbox.PARAM_SIDECAR_URL, "http://127.0.0.1:9/")
        self.params.set_param(connector_outbox.PARAM_NUDGE_SECRET, SECRET)

    def _nudge_state(self):
        return self.env.cr.postcommit.data.get(connector_outbox.NUDGE_DATA_KEY)

    def test_one_nudge_after_commit_for_many_rows(self):
        with patch.object(connector_outbox, "dispatch_nudge") as dispatch:
            self.confirmed_row()
            self.confirmed_row()
            # Nothing is sent inside the transaction ...
            dispatch.assert_not_called()
            state = self._nudge_state()
            self.assertEqual(state["count"], 2)
            # ... exactly one callback waits for the commit ...
            self.assertEqual(list(self.env.cr.postcommit._funcs).count(state["callback"]), 1)
            # ... and sends one signed nudge when it runs.
            state["callback"]()
        dispatch.assert_called_once()
        url, body, signature = dispatch.call_args.args
        self.assertEqual(url, "http://127.0.0.1:9/nudge")
        self.assertEqual(json.loads(body), {"database": self.env.cr.dbname, "count": 2})
        self.assertTrue(check_signature(signature, body))

    def test_no_nudge_without_a_sidecar_url(self):
        self.params.set_param(connector_outbox.PARAM_SIDECAR_URL, "")
        self.confirmed_row()
        self.assertIsNone(self._nudge_state())

    def test_retry_nudges_too(self):
        _order, row = self.claimed_row()
        self.record([{"event_id": row.event_uuid, "state": "dead"}])
        self.env.cr.postcommit.clear()
        row.with_user(self.staff_user).action_retry()
        self.assertEqual(self._nudge_state()["count"], 1)

    def test_nudge_without_secret_is_skipped_with_a_warning(self):
        self.params.set_param(connector_outbox.PARAM_NUDGE_SECRET, "")
        self.confirmed_row()
        with patch.object(connector_outbox, "dispatch_nudge") as dispatch, \
                self.assertLogs(connector_outbox.__name__, level="WARNING"):
            self._nudge_state()["callback"]()
        dispatch.assert_not_called()

    def test_signed_nudge_reaches_a_local_server(self):
        received = {}
        done = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.update(path=self.path, body=body, signature=self.headers["X-Connector-Signature"])
                self.send_response(202)
                self.end_headers()
                done.set()

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.params.set_param(connector_outbox.PARAM_SIDECAR_URL, "http://127.0.0.1:%d" % server.server_port)
        self.confirmed_row()
        self._nudge_state()["callback"]()
        self.assertTrue(done.wait(5), "the nudge did not arrive")
        self.assertEqual(received["path"], "/nudge")
        self.assertEqual(json.loads(received["body"]), {"database": self.env.cr.dbname, "count": 1})
        self.assertTrue(check_signature(received["signature"], received["body"]))

    def test_failed_nudge_is_only_logged_without_the_secret(self):
        body = b'{"database":"x","count":1}'
        connector_outbox._PROCESS_OUTAGES.clear()
        self.addCleanup(connector_outbox._PROCESS_OUTAGES.clear)
        with self.assertLogs(connector_outbox.__name__, level="WARNING") as logs:
            # Port 9 (discard) on loopback: nothing listens, the connection is refused.
            connector_outbox.send_nudge("http://127.0.0.1:9/nudge", body, "t=1,v1=" + "0" * 64)
        self.assertIn("Sidecar nudge", logs.output[0])
        self.assertNotIn(SECRET, "\n".join(logs.output))


@tagged("post_install", "-at_install")
class TestNudgeOutage(ConnectorCase):
    """The sidecar is down: 50 commits log the failure once, and the recovery once.

    The outage is recorded on connector.sidecar.health by the nudge thread in a transaction of
    its own (committed, as in production): the row is put back as it was afterwards.
    """

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        self.addCleanup(self._reset_health)
        self._reset_health()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(connector_outbox.PARAM_SIDECAR_URL, "http://127.0.0.1:9/")
        params.set_param(connector_outbox.PARAM_NUDGE_SECRET, SECRET)

    def _reset_health(self):
        with self.db.cursor() as cr:
            cr.execute(
                "UPDATE connector_sidecar_health SET down_since = NULL, failures = 0, last_error = NULL,"
                " last_failure_at = NULL, recovered_at = NULL"
            )
            cr.commit()

    def _commits(self, count, url):
        """``count`` committed transactions that created events: their post-commit nudges, run inline."""
        self.env["ir.config_parameter"].sudo().set_param(connector_outbox.PARAM_SIDECAR_URL, url)
        self.confirmed_row()
        state = self.env.cr.postcommit.data.get(connector_outbox.NUDGE_DATA_KEY)
        self.env.cr.postcommit.clear()

        self.errors = []

        def inline(url, body, signature, database=None):
            self.errors.append(connector_outbox.send_nudge(url, body, signature, database=database))

        with patch.object(connector_outbox, "dispatch_nudge", side_effect=inline):
            for _i in range(count):
                connector_outbox._run_nudge(state)

    def _health(self):
        """What the settings page shows, read as another request would (a new snapshot)."""
        with self.db.cursor() as cr:
            settings = api.Environment(cr, SUPERUSER_ID, {})["res.config.settings"].create({})
            shown = settings.read([
                "connector_sidecar_down_since", "connector_nudge_failures", "connector_nudge_last_error",
                "connector_sidecar_recovered_at",
            ])[0]
            cr.rollback()
        return shown

    def _logged(self, count, url):
        """Run ``count`` commits' nudges to ``url``; return the health logger's calls as (level, message)."""
        with patch.object(connector_sidecar_health, "_logger") as logger:
            self._commits(count, url)
        calls = []
        for level in ("debug", "info", "warning", "error", "exception"):
            for call in getattr(logger, level).call_args_list:
                calls.append((level, call.args[0] % call.args[1:]))
        return calls

    def test_fifty_failed_commits_log_once_and_the_recovery_once(self):
        logged = self._logged(50, "http://127.0.0.1:9")
        self.assertEqual([level for level, _message in logged], ["warning"], logged)
        self.assertIn("ConnectionError", logged[0][1])
        self.assertNotIn(SECRET, logged[0][1])
        settings = self._health()
        self.assertTrue(settings["connector_sidecar_down_since"])
        self.assertEqual(settings["connector_nudge_failures"], 50)
        self.assertEqual(settings["connector_nudge_last_error"], "ConnectionError")
        form = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("connector_sidecar_down_since", form)

        server = self._sidecar()
        logged = self._logged(3, "http://127.0.0.1:%d" % server.server_port)
        self.assertEqual(self.errors, [None, None, None])
        self.assertEqual([level for level, _message in logged], ["info"], logged)
        self.assertIn("50 failed nudges", logged[0][1])
        settings = self._health()
        self.assertFalse(settings["connector_sidecar_down_since"])
        self.assertTrue(settings["connector_sidecar_recovered_at"])

        # A new outage is logged again, once.
        logged = self._logged(5, "http://127.0.0.1:9")
        self.assertEqual([level for level, _message in logged], ["warning"], logged)
        self.assertEqual(self._health()["connector_nudge_failures"], 5)

    def test_an_error_answer_counts_as_a_failure(self):
        server = self._sidecar(status=503)
        logged = self._logged(4, "http://127.0.0.1:%d" % server.server_port)
        self.assertEqual(len(logged), 1)
        self.assertIn("HTTP 503", logged[0][1])
        self.assertEqual(self._health()["connector_nudge_failures"], 4)

    def _sidecar(self, status=202):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return server
