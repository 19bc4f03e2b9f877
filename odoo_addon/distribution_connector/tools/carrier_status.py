"""Canonical shipment status (docs/FORMATS.md section 5) and its transition rules.

Tracking webhooks arrive late, twice and out of order. A milestone is applied only when it is
newer than the one the picking shows, and a delivered, returned or cancelled shipment is never
moved back to an earlier stage, whatever the timestamps say (contracts/v1/events/
carrier.tracking_updated: "never regress a terminal state").
"""

STATUSES = (
    ("unknown", "Unknown"),
    ("pre_transit", "Label Created"),
    ("in_transit", "In Transit"),
    ("out_for_delivery", "Out for Delivery"),
    ("available_for_pickup", "Available for Pickup"),
    ("delivered", "Delivered"),
    ("attempt_failed", "Delivery Attempt Failed"),
    ("exception", "Exception"),
    ("returned", "Returned to Sender"),
    ("cancelled", "Cancelled"),
)
STATUS_CODES = tuple(code for code, _label in STATUSES)
# Nothing but another final status (newer) moves a shipment out of these.
FINAL_STATUSES = frozenset(("delivered", "returned", "cancelled"))
# A person has to act: an activity for the picking's responsible.
ATTENTION_STATUSES = frozenset(("exception", "attempt_failed"))
# Only breaks ties between two milestones stamped with the same instant.
_LIFECYCLE_RANK = {
    "unknown": 0,
    "pre_transit": 1,
    "in_transit": 2,
    "attempt_failed": 3,
    "exception": 3,
    "out_for_delivery": 4,
    "available_for_pickup": 5,
    "cancelled": 6,
    "returned": 7,
    "delivered": 8,
}

APPLY = "apply"
STALE = "stale"


def label(code):
    return dict(STATUSES).get(code, code or "")


def tracking_decision(current_status, current_at, new_status, new_at):
    """Whether a milestone (``new_status`` at ``new_at``) may replace the picking's current one.

    Returns ``(APPLY | STALE, reason)``; ``reason`` is a short text for staff (empty when applied).
    Times are comparable values (naive UTC datetimes) or None when unknown.
    """
    if new_status not in _LIFECYCLE_RANK:
        raise ValueError("unknown shipment status %r" % (new_status,))
    if not current_status:
        return APPLY, ""
    if current_at and new_at and new_at < current_at:
        return STALE, "older than the last milestone (%s)" % label(current_status)
    if current_status in FINAL_STATUSES and new_status not in FINAL_STATUSES:
        return STALE, "shipment already %s; not moved back to %s" % (label(current_status).lower(), label(new_status))
    if current_at and new_at and new_at > current_at:
        return APPLY, ""
    # Same instant, or a time is missing: only a later stage of the lifecycle replaces it.
    if new_status == current_status:
        return STALE, "milestone already applied"
    if _LIFECYCLE_RANK[new_status] < _LIFECYCLE_RANK[current_status]:
        return STALE, "%s does not follow %s" % (label(new_status), label(current_status))
    return APPLY, ""


def booking_status(current_status):
    """The status a picking takes when a label is bought: pre-transit, unless it has news already."""
    if not current_status or current_status == "unknown":
        return "pre_transit"
    return current_status
