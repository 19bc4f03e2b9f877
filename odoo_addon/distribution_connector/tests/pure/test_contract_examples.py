"""Every example in contracts/v1/examples validates against its event schema.

Needs the jsonschema module (Debian: python3-jsonschema); skipped without it.
"""

import json
import unittest

from _load import CONTRACTS_DIR

try:
    import jsonschema
except ImportError:  # pragma: no cover - depends on the interpreter
    jsonschema = None


ADDON_EVENT_TYPES = (
    "purchase_order.confirmed",
    "purchase_order.changed",
    "purchase_order.cancelled",
    "receipt.validated",
    "shipment.ready",
    "shipment.dispatched",
    "shipment.cancelled",
    "stock.adjusted",
)


def validator_for(event_type):
    schemas = [json.loads(path.read_text()) for path in sorted(CONTRACTS_DIR.rglob("*.schema.json"))]
    event_schema = json.loads((CONTRACTS_DIR / "events" / ("%s.schema.json" % event_type)).read_text())
    cls = jsonschema.Draft202012Validator
    try:
        from referencing import Registry, Resource
    except ImportError:
        resolver = jsonschema.RefResolver.from_schema(event_schema, store={s["$id"]: s for s in schemas})
        return cls(event_schema, resolver=resolver, format_checker=cls.FORMAT_CHECKER)
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    return cls(event_schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


@unittest.skipIf(jsonschema is None, "python module jsonschema not installed (Debian: python3-jsonschema)")
@unittest.skipUnless((CONTRACTS_DIR / "examples").is_dir(), "contracts folder not found")
class TestContractExamples(unittest.TestCase):
    def test_every_example_validates_against_its_schema(self):
        examples = sorted((CONTRACTS_DIR / "examples").glob("*.json"))
        self.assertTrue(examples)
        for example_path in examples:
            example = json.loads(example_path.read_text())
            with self.subTest(example=example_path.name):
                self.assertEqual(example_path.name, "%s.json" % example["type"])
                validator_for(example["type"]).validate(example)

    def test_every_event_the_addon_emits_has_a_schema_and_an_example(self):
        for event_type in ADDON_EVENT_TYPES:
            with self.subTest(event_type=event_type):
                self.assertTrue((CONTRACTS_DIR / "events" / ("%s.schema.json" % event_type)).is_file())
                self.assertTrue((CONTRACTS_DIR / "examples" / ("%s.json" % event_type)).is_file())

    def test_captured_rpc_answers_follow_the_contract(self):
        folder = CONTRACTS_DIR.parent / "odoo-rpc-examples"
        if not folder.is_dir():
            self.skipTest("no captured answers at %s" % folder)
        claim = json.loads((folder / "claim_batch_ok.json").read_text())["response"]["body"]["result"]
        self.assertRegex(claim["lease_until"], r"Z$")
        self.assertTrue(claim["events"])
        for item in claim["events"]:
            self.assertEqual(set(item), {"outbox_id", "replay", "event"})
            validator_for(item["event"]["type"]).validate(item["event"])
        recorded = json.loads((folder / "record_results_ok.json").read_text())["response"]["body"]["result"]
        self.assertEqual(set(recorded), {"updated", "unknown", "ignored"})
        for name in ("claim_batch_bad_limit", "record_results_malformed"):
            error = json.loads((folder / ("%s.json" % name)).read_text())["response"]["body"]["error"]
            self.assertEqual(error["data"]["name"], "odoo.exceptions.ValidationError")
        error = json.loads((folder / "claim_batch_not_integration_user.json").read_text())["response"]["body"]["error"]
        self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessError")

    def test_a_wrong_document_is_rejected(self):
        example = json.loads((CONTRACTS_DIR / "examples" / "purchase_order.confirmed.json").read_text())
        example["data"]["lines"][0]["uom"] = "kg"
        with self.assertRaises(jsonschema.ValidationError):
            validator_for("purchase_order.confirmed").validate(example)


if __name__ == "__main__":
    unittest.main()
