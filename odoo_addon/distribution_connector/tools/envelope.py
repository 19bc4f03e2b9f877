"""The canonical event envelope (contracts/v1/envelope.schema.json)."""

import datetime
import re
import uuid

ENVELOPE_VERSION = 1
SOURCE_SYSTEM = "odoo"
REF_MAX_LENGTH = 256
EVENT_TYPE_RE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")


def utc_iso(value):
    """Format a datetime as UTC ISO 8601 with a ``Z`` suffix, to the second.

    A naive datetime is taken as UTC, which is how Odoo stores datetimes.
    ``None``/``False`` give ``None``.
    """
    if not value:
        return None
    if not isinstance(value, datetime.datetime):
        raise TypeError("expected a datetime, got %r" % (value,))
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


def new_event_id():
    return str(uuid.uuid4())


def build_envelope(
    *,
    event_type,
    occurred_at,
    database,
    company_id,
    company_name,
    subject_model,
    subject_id,
    subject_ref,
    sequence,
    data,
    event_id=None,
):
    """Return the envelope as a plain dict, ready to be stored and sent."""
    if not EVENT_TYPE_RE.match(event_type or ""):
        raise ValueError("invalid event type %r" % (event_type,))
    if not isinstance(sequence, int) or sequence < 1:
        raise ValueError("sequence must be a positive integer")
    ref = (subject_ref or "").strip() or "%s,%s" % (subject_model, subject_id)
    return {
        "id": event_id or new_event_id(),
        "type": event_type,
        "version": ENVELOPE_VERSION,
        "occurred_at": utc_iso(occurred_at),
        "source": {
            "system": SOURCE_SYSTEM,
            "database": database,
            "company": {"id": company_id, "name": company_name},
        },
        "subject": {"model": subject_model, "id": subject_id, "ref": ref[:REF_MAX_LENGTH]},
        "sequence": sequence,
        "data": data,
    }
