"""The subset of JSON Schema (2020-12) that the contracts' inbound ``data`` schemas use.

Odoo servers do not always have the ``jsonschema`` module, and the addon must refuse an
event that does not match its schema, so it carries this small checker and a copy of the
schemas (``inbound_schemas.json``, generated from ``contracts/v1/events`` by
``scripts/addon-inbound-schemas.py``; a pure test keeps the copy in step). Keywords:
``type``, ``enum``, ``const``, ``properties``, ``required``, ``additionalProperties``
(false), ``items``, ``minItems``, ``minLength``, ``minimum``, ``maximum``, ``pattern``,
``oneOf`` and local ``$ref`` (``#/$defs/...``). Anything else in a schema is an error, so a
new keyword in the contracts cannot be silently ignored.
"""

import json
import pathlib
import re

SCHEMAS_PATH = pathlib.Path(__file__).with_name("inbound_schemas.json")
KNOWN_KEYWORDS = frozenset((
    "type", "enum", "const", "properties", "required", "additionalProperties", "items", "minItems",
    "minLength", "minimum", "maximum", "pattern", "oneOf", "$ref", "$defs", "description", "title",
))
MAX_ERRORS = 5
_pattern_cache = {}


class SchemaError(ValueError):
    """The schema itself uses something this checker does not know."""


def _type_matches(value, name):
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    raise SchemaError("unknown type %r" % (name,))


def _resolve(ref, root):
    if not ref.startswith("#/$defs/"):
        raise SchemaError("only local $defs references are supported, got %r" % (ref,))
    try:
        return root["$defs"][ref[len("#/$defs/"):]]
    except KeyError as exc:
        raise SchemaError("unresolved reference %r" % (ref,)) from exc


def _check(value, schema, root, path, errors):
    if len(errors) >= MAX_ERRORS:
        return
    unknown = set(schema) - KNOWN_KEYWORDS
    if unknown:
        raise SchemaError("unsupported keywords %s at %s" % (sorted(unknown), path or "/"))
    if "$ref" in schema:
        _check(value, _resolve(schema["$ref"], root), root, path, errors)
    if "oneOf" in schema:
        matching = 0
        for option in schema["oneOf"]:
            option_errors = []
            _check(value, option, root, path, option_errors)
            matching += not option_errors
        if matching != 1:
            errors.append("%s: does not match exactly one of its allowed forms" % (path or "/"))
            return
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_matches(value, name) for name in names):
            errors.append("%s: expected %s" % (path or "/", " or ".join(names)))
            return
    if "const" in schema and value != schema["const"]:
        errors.append("%s: must be %r" % (path or "/", schema["const"]))
    if "enum" in schema and not any(
        value == option and type(value) is type(option) or (value is None and option is None)
        for option in schema["enum"]
    ):
        errors.append("%s: %r is not one of %s" % (path or "/", value, schema["enum"]))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append("%s: shorter than %d characters" % (path or "/", schema["minLength"]))
        if "pattern" in schema:
            pattern = _pattern_cache.get(schema["pattern"])
            if pattern is None:
                pattern = _pattern_cache[schema["pattern"]] = re.compile(schema["pattern"])
            if not pattern.search(value):
                errors.append("%s: %r does not match %s" % (path or "/", value, schema["pattern"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append("%s: less than %s" % (path or "/", schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append("%s: more than %s" % (path or "/", schema["maximum"]))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append("%s: fewer than %d items" % (path or "/", schema["minItems"]))
        if "items" in schema:
            for index, item in enumerate(value):
                _check(item, schema["items"], root, "%s/%d" % (path, index), errors)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in value:
                errors.append("%s: missing %r" % (path or "/", key))
        additional = schema.get("additionalProperties", True)
        if additional is not True and additional is not False:
            raise SchemaError("additionalProperties must be a boolean at %s" % (path or "/"))
        for key, item in value.items():
            if key in properties:
                _check(item, properties[key], root, "%s/%s" % (path, key), errors)
            elif additional is False:
                errors.append("%s: unexpected key %r" % (path or "/", key))


def check(value, schema):
    """Return the first few problems of ``value`` against ``schema`` (empty when it matches)."""
    errors = []
    _check(value, schema, schema, "", errors)
    return errors[:MAX_ERRORS]


_schemas = None


def inbound_data_schemas():
    """The ``data`` schema of each inbound event type, keyed by type."""
    global _schemas
    if _schemas is None:
        _schemas = json.loads(SCHEMAS_PATH.read_text(encoding="utf-8"))
    return _schemas


def data_schema_from_event_schema(event_schema):
    """The self-contained schema of an event's ``data`` (its ``$ref`` plus all ``$defs``)."""
    data = event_schema["properties"]["data"]
    return {"$ref": data["$ref"], "$defs": event_schema.get("$defs", {})}
