import datetime
import unittest

from _load import load_tools

results = load_tools().results

UUID = "0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d"


def entry(**overrides):
    value = {"event_id": UUID, "state": "delivered", "partner": "WOODCORNER", "attempts": 1, "error": None, "at": "2026-11-26T10:00:00Z"}
    value.update(overrides)
    return value


class TestClaimArgs(unittest.TestCase):
    def test_accepts_bounds(self):
        self.assertEqual(results.check_claim_args(1, 1), (1, 1))
        self.assertEqual(results.check_claim_args(5000, 86400), (5000, 86400))

    def test_refuses(self):
        for limit, lease in ((0, 120), (5001, 120), (10, 86401), (True, 120), ("10", 120), (1.5, 120), (10, 0), (10, None)):
            with self.subTest(limit=limit, lease=lease):
                with self.assertRaises(results.InvalidInput):
                    results.check_claim_args(limit, lease)


class TestConsumerArgs(unittest.TestCase):
    def test_accepts_both_or_neither(self):
        self.assertEqual(results.check_consumer_args(None, None), (None, None))
        self.assertEqual(results.check_consumer_args("odc-host1:7f3a", 1), ("odc-host1:7f3a", 1))
        self.assertEqual(results.check_consumer_args("a" * 128, 2**31 - 1), ("a" * 128, 2**31 - 1))

    def test_refuses(self):
        for consumer, generation in (
            ("odc", None), (None, 1), ("", 1), ("a" * 129, 1), ("has space", 1), ("odc\n", 1), (7, 1),
            ("odc", 0), ("odc", -1), ("odc", 2**31), ("odc", True), ("odc", "1"), ("odc", 1.0),
        ):
            with self.subTest(consumer=consumer, generation=generation):
                with self.assertRaises(results.InvalidInput):
                    results.check_consumer_args(consumer, generation)


class TestParseResults(unittest.TestCase):
    def test_normalises(self):
        parsed = results.parse_results([entry(event_id=UUID.upper())])
        self.assertEqual(parsed, [{
            "event_id": UUID, "state": "delivered", "partner": "WOODCORNER", "attempts": 1,
            "error": None, "at": datetime.datetime(2026, 11, 26, 10, 0),
        }])

    def test_optional_keys(self):
        parsed = results.parse_results([{"event_id": UUID, "state": "failed"}])
        self.assertIsNone(parsed[0]["at"])
        self.assertIsNone(parsed[0]["attempts"])

    def test_fraction_of_second(self):
        parsed = results.parse_results([entry(at="2026-11-26T10:00:00.123Z")])
        self.assertEqual(parsed[0]["at"], datetime.datetime(2026, 11, 26, 10, 0, 0, 123000))

    def test_empty_list(self):
        self.assertEqual(results.parse_results([]), [])

    def test_malformed(self):
        bad = {
            "not a list": {"event_id": UUID},
            "state": [entry(state="done")],
            "uuid": [entry(event_id="nope")],
            "uuid type": [entry(event_id=7)],
            "braced uuid": [entry(event_id="{%s}" % UUID)],
            "attempts": [entry(attempts=-1)],
            "attempts bool": [entry(attempts=True)],
            "error type": [entry(error=5)],
            "error length": [entry(error="x" * 2001)],
            "at without Z": [entry(at="2026-11-26T10:00:00")],
            "at impossible": [entry(at="2026-13-26T10:00:00Z")],
            "partner": [entry(partner="")],
            "extra key": [entry(extra=1)],
            "missing state": [{"event_id": UUID}],
            "entry type": ["x"],
            "second entry": [entry(), entry(state=None)],
        }
        for name, value in bad.items():
            with self.subTest(name):
                with self.assertRaises(results.InvalidInput):
                    results.parse_results(value)

    def test_too_many(self):
        with self.assertRaises(results.InvalidInput):
            results.parse_results([entry()] * 5001)

    def test_message_names_the_entry(self):
        with self.assertRaisesRegex(results.InvalidInput, r"results\[1\]"):
            results.parse_results([entry(), entry(state="x")])


if __name__ == "__main__":
    unittest.main()
