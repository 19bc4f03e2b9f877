"""Strict validation of the arguments of ``claim_batch`` and ``record_results``.

Everything is checked before anything is written, so one bad entry rejects the
whole call (contracts/odoo-rpc.md).
"""

import datetime
import re
import uuid

CLAIM_LIMIT_MAX = 5000
LEASE_SECONDS_MAX = 86400
RESULTS_MAX = 5000
ERROR_MAX_LENGTH = 2000
PARTNER_MAX_LENGTH = 64
RESULT_STATES = ("delivered", "failed", "dead")
RESULT_KEYS = frozenset(("event_id", "state", "partner", "attempts", "error", "at"))
_UTC_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


class InvalidInput(ValueError):
    """An argument does not follow the contract; the message says which and why."""


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_claim_args(limit, lease_seconds):
    if not _is_int(limit) or not 1 <= limit <= CLAIM_LIMIT_MAX:
        raise InvalidInput("limit must be an integer from 1 to %d" % CLAIM_LIMIT_MAX)
    if not _is_int(lease_seconds) or not 1 <= lease_seconds <= LEASE_SECONDS_MAX:
        raise InvalidInput("lease_seconds must be an integer from 1 to %d" % LEASE_SECONDS_MAX)
    return limit, lease_seconds


CONSUMER_MAX_LENGTH = 128
GENERATION_MAX = 2**31 - 1
_CONSUMER_RE = re.compile(r"[A-Za-z0-9._:-]+")


def check_consumer_args(consumer, generation):
    """``consumer`` and ``generation`` of ``claim_batch``: both or neither; return them (or None, None)."""
    if consumer is None and generation is None:
        return None, None
    if (
        not isinstance(consumer, str) or not 1 <= len(consumer) <= CONSUMER_MAX_LENGTH
        or not _CONSUMER_RE.fullmatch(consumer)
    ):
        raise InvalidInput(
            "consumer must be a string of 1 to %d letters, digits or . _ : -" % CONSUMER_MAX_LENGTH
        )
    if not _is_int(generation) or not 1 <= generation <= GENERATION_MAX:
        raise InvalidInput("generation must be an integer from 1 to %d, given with consumer" % GENERATION_MAX)
    return consumer, generation


def parse_utc_iso(value):
    """``2026-11-26T10:00:00Z`` (optional fraction) to a naive UTC datetime."""
    if not isinstance(value, str) or not _UTC_ISO_RE.match(value):
        raise InvalidInput("expected a UTC ISO 8601 datetime ending in Z, got %r" % (value,))
    try:
        return datetime.datetime.fromisoformat(value[:-1])
    except ValueError as exc:
        raise InvalidInput("invalid datetime %r" % (value,)) from exc


def _canonical_uuid(value):
    if not isinstance(value, str):
        raise InvalidInput("event_id must be a string")
    try:
        parsed = uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput("event_id %r is not a UUID" % (value,)) from exc
    if str(parsed) != value.lower():
        raise InvalidInput("event_id %r is not a canonical UUID" % (value,))
    return str(parsed)


def parse_results(results):
    """Validate ``record_results``' argument; return a list of normalised dicts.

    Each dict has ``event_id`` (lower-case canonical UUID), ``state``, ``partner``,
    ``attempts`` (int or None), ``error`` (str or None) and ``at`` (naive UTC
    datetime or None).
    """
    if not isinstance(results, list):
        raise InvalidInput("results must be a list")
    if len(results) > RESULTS_MAX:
        raise InvalidInput("at most %d results per call" % RESULTS_MAX)
    parsed = []
    for index, entry in enumerate(results):
        try:
            parsed.append(_parse_result(entry))
        except InvalidInput as exc:
            raise InvalidInput("results[%d]: %s" % (index, exc)) from None
    return parsed


def _parse_result(entry):
    if not isinstance(entry, dict):
        raise InvalidInput("must be an object")
    extra = set(entry) - RESULT_KEYS
    if extra:
        raise InvalidInput("unknown keys %s" % ", ".join(sorted(map(str, extra))))
    if "event_id" not in entry or "state" not in entry:
        raise InvalidInput("event_id and state are required")
    state = entry["state"]
    if state not in RESULT_STATES:
        raise InvalidInput("state must be one of %s" % ", ".join(RESULT_STATES))
    partner = entry.get("partner")
    if partner is not None and (
        not isinstance(partner, str) or not 1 <= len(partner) <= PARTNER_MAX_LENGTH
    ):
        raise InvalidInput("partner must be a string of 1 to %d characters or null" % PARTNER_MAX_LENGTH)
    attempts = entry.get("attempts")
    if attempts is not None and (not _is_int(attempts) or attempts < 0):
        raise InvalidInput("attempts must be a non-negative integer or null")
    error = entry.get("error")
    if error is not None and (not isinstance(error, str) or len(error) > ERROR_MAX_LENGTH):
        raise InvalidInput("error must be a string of at most %d characters or null" % ERROR_MAX_LENGTH)
    at = entry.get("at")
    return {
        "event_id": _canonical_uuid(entry["event_id"]),
        "state": state,
        "partner": partner,
        "attempts": attempts,
        "error": error,
        "at": parse_utc_iso(at) if at is not None else None,
    }
