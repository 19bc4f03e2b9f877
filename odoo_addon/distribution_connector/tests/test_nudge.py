import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest.mock import patch

from odoo.tests import tagged

from ..models import connector_outbox
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
        with self.assertLogs(connector_outbox.__name__, level="WARNING") as logs:
            # Port 9 (discard) on loopback: nothing listens, the connection is refused.
            connector_outbox.send_nudge("http://127.0.0.1:9/nudge", body, "t=1,v1=" + "0" * 64)
        self.assertIn("Sidecar nudge", logs.output[0])
        self.assertNotIn(SECRET, "\n".join(logs.output))
