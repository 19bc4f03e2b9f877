#!/usr/bin/env python3
"""Regenerate odoo_addon/distribution_connector/tools/inbound_schemas.json from contracts/v1.

The addon checks inbound events against these schemas without the contracts folder (it is
deployed alone) and without the jsonschema module; the addon's pure tests fail when the copy
differs from the contracts. Usage: python3 scripts/addon-inbound-schemas.py
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
EVENTS = ROOT / "contracts" / "v1" / "events"
OUT = ROOT / "odoo_addon" / "distribution_connector" / "tools" / "inbound_schemas.json"
INBOUND_TYPES = (
    "supplier.order_acknowledged",
    "supplier.shipment_noticed",
    "supplier.document_status",
    "carrier.shipment_booked",
    "carrier.tracking_updated",
)


def build():
    schemas = {}
    for event_type in INBOUND_TYPES:
        event_schema = json.loads((EVENTS / ("%s.schema.json" % event_type)).read_text(encoding="utf-8"))
        data = event_schema["properties"]["data"]
        schemas[event_type] = {"$ref": data["$ref"], "$defs": event_schema.get("$defs", {})}
    return json.dumps(schemas, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(build(), encoding="utf-8")
    print("wrote %s" % OUT.relative_to(ROOT))
