"""Checks and conversions for ``connector.inbound.apply_events`` (contracts/odoo-rpc.md).

A malformed *call* raises :class:`InvalidCall` (the addon turns it into a ValidationError and
changes nothing); a malformed *event* yields a list of problems and the outcome ``rejected``.
"""

import datetime
import re
import uuid
import zoneinfo

from . import schema_check

MAX_EVENTS_PER_CALL = 200
SUBJECT_REF_MAX_LENGTH = 256
PARTNER_MAX_LENGTH = 64
DETAIL_MAX_LENGTH = 500

INBOUND_TYPES = (
    "supplier.order_acknowledged",
    "supplier.shipment_noticed",
    "supplier.document_status",
    "carrier.shipment_booked",
    "carrier.tracking_updated",
)
FORMATS = ("cxml", "ubl", "easypost", "shippo", "aftership", "shipengine", "canonical")
OUTCOMES = ("applied", "stale", "exception", "unknown_reference", "rejected")
ITEM_KEYS = frozenset((
    "event_id", "type", "partner", "format", "test_mode", "received_at", "occurred_at", "subject_ref", "data",
))
_UTC_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
# A date-only partner value stands for the whole day: noon UTC keeps the same calendar day
# when shown in any time zone from UTC-11 to UTC+11.
DATE_ONLY_HOUR = 12


class InvalidCall(ValueError):
    """The call itself does not follow the contract; nothing is applied."""


def check_call(events):
    """Validate the shape of the call (not of each event)."""
    if not isinstance(events, list):
        raise InvalidCall("events must be a list")
    if len(events) > MAX_EVENTS_PER_CALL:
        raise InvalidCall("at most %d events per call, got %d" % (MAX_EVENTS_PER_CALL, len(events)))
    for index, item in enumerate(events):
        if not isinstance(item, dict):
            raise InvalidCall("event %d is not an object" % index)


def canonical_uuid(value):
    """The lower-case canonical form of a UUID string, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return str(parsed) if str(parsed) == value.lower() else None


def parse_utc_iso(value):
    """``2026-11-26T10:00:00Z`` (optional fraction) to a naive UTC datetime, or None."""
    if not isinstance(value, str) or not _UTC_ISO_RE.match(value):
        return None
    try:
        return datetime.datetime.fromisoformat(value[:-1])
    except ValueError:
        return None


def validate_item(item):
    """Problems that make an event ``rejected`` (empty list: the event may be applied)."""
    problems = []
    unknown = sorted(set(item) - ITEM_KEYS)
    if unknown:
        problems.append("unexpected keys %s" % ", ".join(unknown))
    missing = sorted(ITEM_KEYS - set(item))
    if missing:
        problems.append("missing %s" % ", ".join(missing))
    if "event_id" in item and canonical_uuid(item["event_id"]) is None:
        problems.append("event_id is not a canonical UUID")
    event_type = item.get("type")
    if "type" in item and event_type not in INBOUND_TYPES:
        problems.append("unknown type %r" % (event_type,))
    partner = item.get("partner")
    if "partner" in item and not (isinstance(partner, str) and 1 <= len(partner) <= PARTNER_MAX_LENGTH):
        problems.append("partner must be a string of 1 to %d characters" % PARTNER_MAX_LENGTH)
    if "format" in item and item["format"] not in FORMATS:
        problems.append("unknown format %r" % (item["format"],))
    if "test_mode" in item and not isinstance(item["test_mode"], bool):
        problems.append("test_mode must be a boolean")
    for key in ("received_at", "occurred_at"):
        if key in item and parse_utc_iso(item[key]) is None:
            problems.append("%s must be a UTC ISO 8601 datetime ending in Z" % key)
    subject_ref = item.get("subject_ref")
    if "subject_ref" in item and not (
        isinstance(subject_ref, str) and 1 <= len(subject_ref.strip()) and len(subject_ref) <= SUBJECT_REF_MAX_LENGTH
    ):
        problems.append("subject_ref must be a non-empty string of at most %d characters" % SUBJECT_REF_MAX_LENGTH)
    data = item.get("data")
    if "data" in item and not isinstance(data, dict):
        problems.append("data must be an object")
    elif isinstance(data, dict) and event_type in INBOUND_TYPES:
        problems.extend("data%s" % error for error in schema_check.check(data, schema_check.inbound_data_schemas()[event_type]))
    return problems


def is_test_document(item):
    """Whether the partner marked the document as a test (envelope or data flag)."""
    data = item.get("data") or {}
    return bool(item.get("test_mode")) or bool(data.get("test_mode"))


def partner_time_to_utc(value, tz_name=None):
    """A ``partner_time`` (contracts) as a naive UTC datetime, or None.

    ``instant``: its ``utc``. ``local`` (no offset given): read in ``tz_name`` (the company's
    zone) when known, else as UTC. ``date``: noon UTC of that day.
    """
    if not value:
        return None
    kind = value.get("kind")
    if kind == "instant" and value.get("utc"):
        return parse_utc_iso(value["utc"])
    local = value.get("local") or ""
    try:
        if kind == "date" or len(local) == 10:
            day = datetime.date.fromisoformat(local[:10])
            return datetime.datetime.combine(day, datetime.time(DATE_ONLY_HOUR))
        moment = datetime.datetime.fromisoformat(local)
    except ValueError:
        return None
    if tz_name:
        try:
            zone = zoneinfo.ZoneInfo(tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is not None:
            return moment.replace(tzinfo=zone).astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment


def period_to_utc(period, tz_name=None, prefer="start"):
    """One end of a ``partner_period`` (the other when that one is missing), as naive UTC."""
    if not period:
        return None
    first, second = ("start", "end") if prefer == "start" else ("end", "start")
    return partner_time_to_utc(period.get(first), tz_name) or partner_time_to_utc(period.get(second), tz_name)


def event_time(item, data_time=None, tz_name=None):
    """When the event happened: the partner's own time in ``data`` if any, else the envelope's."""
    return partner_time_to_utc(data_time, tz_name) or parse_utc_iso(item.get("occurred_at"))


def short_detail(text):
    """A detail readable by staff and bounded in size."""
    text = " ".join((text or "").split())
    if len(text) > DETAIL_MAX_LENGTH:
        text = text[: DETAIL_MAX_LENGTH - 1] + "…"
    return text


def format_quantity(value):
    """``3.0`` as ``3``, ``22.5`` as ``22.5``."""
    if value is None:
        return "?"
    return ("%.4f" % value).rstrip("0").rstrip(".")


class Outcome:
    """What reconciling one event did; filled by the addon's handlers.

    ``record`` is the document named in the answer; ``purchases``/``pickings`` are every
    document the event concerns (for the links from those documents to their events);
    ``notes`` are ``(record, text)`` chatter notes and ``attention`` ``(record, summary)``
    activities, posted after the event's changes are kept.
    """

    __slots__ = ("outcome", "detail", "record", "purchases", "pickings", "notes", "attention")

    def __init__(self, outcome, detail="", record=None, purchases=None, pickings=None):
        if outcome not in OUTCOMES:
            raise ValueError("unknown outcome %r" % (outcome,))
        self.outcome = outcome
        self.detail = short_detail(detail)
        self.record = record
        self.purchases = purchases
        self.pickings = pickings
        self.notes = []
        self.attention = []

    def note(self, record, text):
        self.notes.append((record, text))
        return self

    def needs_person(self, record, summary):
        self.attention.append((record, summary))
        return self
