import copy
import datetime
import importlib.util
import json
import pathlib
import unittest

from _load import CONTRACTS_DIR, load_tools

tools = load_tools()
inbound = tools.inbound
schema_check = tools.schema_check

try:
    import jsonschema
except ImportError:  # pragma: no cover - depends on the interpreter
    jsonschema = None

ROOT = pathlib.Path(__file__).resolve().parents[4]
EXAMPLES = CONTRACTS_DIR / "examples"


def example_data(event_type):
    return json.loads((EXAMPLES / ("%s.json" % event_type)).read_text())["data"]


def item(event_type="carrier.tracking_updated", **overrides):
    value = {
        "event_id": "0e3745c6-738c-5dbf-b0ce-b72ce5e53691",
        "type": event_type,
        "partner": "SHIPPO-US",
        "format": "shippo",
        "test_mode": False,
        "received_at": "2026-12-03T07:43:00Z",
        "occurred_at": "2026-12-03T07:42:00Z",
        "subject_ref": "WH/OUT/00031",
        "data": example_data(event_type),
    }
    value.update(overrides)
    return value


def load_generator():
    spec = importlib.util.spec_from_file_location("inbound_schemas_script", ROOT / "scripts" / "addon-inbound-schemas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@unittest.skipUnless(EXAMPLES.is_dir(), "contracts folder not found")
class TestSchemasCopy(unittest.TestCase):
    def test_the_addon_copy_matches_the_contracts(self):
        generated = load_generator().build()
        self.assertEqual(
            schema_check.SCHEMAS_PATH.read_text(encoding="utf-8"), generated,
            "tools/inbound_schemas.json is out of date: run python3 scripts/addon-inbound-schemas.py",
        )

    def test_every_inbound_type_has_a_schema(self):
        self.assertEqual(set(schema_check.inbound_data_schemas()), set(inbound.INBOUND_TYPES))


@unittest.skipUnless(EXAMPLES.is_dir(), "contracts folder not found")
class TestValidateItem(unittest.TestCase):
    def test_contract_examples_are_valid(self):
        for event_type in inbound.INBOUND_TYPES:
            with self.subTest(event_type=event_type):
                self.assertEqual(inbound.validate_item(item(event_type)), [])

    def test_envelope_problems(self):
        cases = {
            "event_id": "not-a-uuid",
            "type": "carrier.unknown",
            "partner": "",
            "format": "edifact",
            "test_mode": "no",
            "received_at": "2026-12-03T07:43:00+01:00",
            "occurred_at": None,
            "subject_ref": "  ",
            "data": [],
        }
        for key, value in cases.items():
            with self.subTest(key=key):
                self.assertTrue(inbound.validate_item(item(**{key: value})))

    def test_missing_and_unexpected_keys(self):
        value = item()
        del value["partner"]
        value["sequence"] = 1
        problems = inbound.validate_item(value)
        self.assertIn("unexpected keys sequence", problems)
        self.assertIn("missing partner", problems)

    def test_uuid_in_either_case(self):
        upper = "0E3745C6-738C-5DBF-B0CE-B72CE5E53691"
        self.assertEqual(inbound.validate_item(item(event_id=upper)), [])
        self.assertEqual(inbound.canonical_uuid(upper), upper.lower())
        self.assertIsNone(inbound.canonical_uuid("0e3745c6738c5dbfb0ceb72ce5e53691"))

    def test_data_problems_name_the_path(self):
        data = example_data("carrier.tracking_updated")
        data["status"] = "lost_in_space"
        problems = inbound.validate_item(item(data=data))
        self.assertEqual(len(problems), 1)
        self.assertIn("data/status", problems[0])

    def test_mutations_agree_with_jsonschema(self):
        """The small checker refuses what the real JSON Schema validator refuses, and only that."""
        if jsonschema is None:
            self.skipTest("python module jsonschema not installed")
        mutations = [
            lambda d: d.pop("status", None),
            lambda d: d.update(extra=1),
            lambda d: d.update(status=None),
            lambda d: d.update(version="1") if "version" in d else d.update(tracking_number=""),
            lambda d: d.update(issued_at={"raw": "x", "kind": "instant", "utc": "2026-11-26T16:00:00", "local": "2026-11-26", "offset": None}) if "issued_at" in d else None,
            lambda d: d["lines"][0]["portions"].clear() if "lines" in d else None,
            lambda d: d["lines"][0].update(line_number=0) if "lines" in d else None,
            lambda d: d["lines"][0].update(uom="kg") if "lines" in d else None,
            lambda d: d["portions"][0]["lines"][0].update(quantity="3") if "portions" in d else None,
            lambda d: d.update(shipment_type="by boat") if "shipment_type" in d else None,
            lambda d: d.update(status_code=99) if "status_code" in d else None,
            lambda d: d.update(tracking_numbers=[]) if "labels" in d else None,
            lambda d: d.update(occurred_at=None) if "occurred_at" in d else None,
            lambda d: d.update(estimated_delivery={"raw": "x"}) if "estimated_delivery" in d else None,
            lambda d: d.update(test_mode=1) if "test_mode" in d else None,
        ]
        for event_type in inbound.INBOUND_TYPES:
            schema = schema_check.inbound_data_schemas()[event_type]
            validator = jsonschema.Draft202012Validator(schema)
            for index, mutate in enumerate(mutations):
                data = copy.deepcopy(example_data(event_type))
                mutate(data)
                with self.subTest(event_type=event_type, mutation=index):
                    expected_valid = validator.is_valid(data)
                    self.assertEqual(not schema_check.check(data, schema), expected_valid)


class TestSchemaCheck(unittest.TestCase):
    def test_unsupported_keyword_is_an_error(self):
        with self.assertRaises(schema_check.SchemaError):
            schema_check.check({}, {"type": "object", "maxProperties": 1})

    def test_integer_and_boolean(self):
        self.assertEqual(schema_check.check(3.0, {"type": "integer"}), [])
        self.assertTrue(schema_check.check(True, {"type": "integer"}))
        self.assertTrue(schema_check.check(True, {"type": "number"}))
        self.assertTrue(schema_check.check(1, {"type": "boolean"}))

    def test_one_of_needs_exactly_one(self):
        schema = {"oneOf": [{"type": "number"}, {"type": "integer"}]}
        self.assertTrue(schema_check.check(1, schema))
        self.assertEqual(schema_check.check(1.5, schema), [])


class TestCheckCall(unittest.TestCase):
    def test_refuses_malformed_calls(self):
        for events in ({}, "x", None, [1], [{}, []], [{}] * 201):
            with self.subTest(events=str(events)[:20]):
                with self.assertRaises(inbound.InvalidCall):
                    inbound.check_call(events)

    def test_accepts(self):
        inbound.check_call([])
        inbound.check_call([{}] * 200)


class TestTimes(unittest.TestCase):
    def test_instant(self):
        value = {"raw": "2026-11-26T10:00:00-0600", "kind": "instant", "utc": "2026-11-26T16:00:00Z",
                 "local": "2026-11-26T10:00:00", "offset": "-06:00"}
        self.assertEqual(inbound.partner_time_to_utc(value), datetime.datetime(2026, 11, 26, 16, 0))

    def test_date_is_noon_utc(self):
        value = {"raw": "2026-12-03", "kind": "date", "utc": None, "local": "2026-12-03", "offset": None}
        self.assertEqual(inbound.partner_time_to_utc(value), datetime.datetime(2026, 12, 3, 12, 0))

    def test_local_time_in_the_company_zone(self):
        value = {"raw": "2026-07-08T09:15:50", "kind": "local", "utc": None, "local": "2026-07-08T09:15:50", "offset": None}
        self.assertEqual(inbound.partner_time_to_utc(value, "Europe/Brussels"), datetime.datetime(2026, 7, 8, 7, 15, 50))
        self.assertEqual(inbound.partner_time_to_utc(value), datetime.datetime(2026, 7, 8, 9, 15, 50))
        self.assertEqual(inbound.partner_time_to_utc(value, "No/Such_Zone"), datetime.datetime(2026, 7, 8, 9, 15, 50))

    def test_period_prefers_start_then_end(self):
        day = {"raw": "2026-12-17", "kind": "date", "utc": None, "local": "2026-12-17", "offset": None}
        self.assertEqual(inbound.period_to_utc({"start": None, "end": day}), datetime.datetime(2026, 12, 17, 12))
        self.assertIsNone(inbound.period_to_utc(None))

    def test_event_time_falls_back_to_the_envelope(self):
        self.assertEqual(inbound.event_time({"occurred_at": "2026-12-03T07:42:00Z"}, None),
                         datetime.datetime(2026, 12, 3, 7, 42))

    def test_test_documents(self):
        self.assertTrue(inbound.is_test_document({"test_mode": True, "data": {}}))
        self.assertTrue(inbound.is_test_document({"test_mode": False, "data": {"test_mode": True}}))
        self.assertFalse(inbound.is_test_document({"test_mode": False, "data": {"test_mode": False}}))

    def test_short_detail(self):
        self.assertEqual(inbound.short_detail(" a\n b "), "a b")
        self.assertEqual(len(inbound.short_detail("x" * 900)), inbound.DETAIL_MAX_LENGTH)
        self.assertEqual(inbound.format_quantity(3.0), "3")
        self.assertEqual(inbound.format_quantity(22.5), "22.5")


if __name__ == "__main__":
    unittest.main()
