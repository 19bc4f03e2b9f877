import hashlib
import hmac
import json
import unittest

from _load import load_tools

nudge = load_tools().nudge


class TestNudge(unittest.TestCase):
    def test_body_is_compact_json(self):
        body = nudge.nudge_body("distribution", 3)
        self.assertEqual(body, b'{"database":"distribution","count":3}')
        self.assertEqual(json.loads(body), {"database": "distribution", "count": 3})

    def test_signature_matches_the_contract(self):
        body = b'{"database":"db","count":1}'
        header = nudge.sign("s3cret", body, 1700000000)
        expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
        self.assertEqual(header, "t=1700000000,v1=" + expected)

    def test_known_vector(self):
        # A fixed vector the sidecar's verifier can be checked against too.
        body = nudge.nudge_body("distribution", 2)
        self.assertEqual(
            nudge.sign("secret", body, 1700000000),
            "t=1700000000,v1=e6f84624ce5e02d59047927e8631b2a576e1be7ff5f87f3d0567f4732c69324d",
        )

    def test_url(self):
        self.assertEqual(nudge.nudge_url("http://127.0.0.1:8787/"), "http://127.0.0.1:8787/nudge")


if __name__ == "__main__":
    unittest.main()
