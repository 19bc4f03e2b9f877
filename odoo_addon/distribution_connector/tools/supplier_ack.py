"""Reconciliation rules for a supplier's answer to a purchase order, on plain values.

The addon reads the order into a plain dict, asks :func:`plan_acknowledgement` what to do,
and applies the plan in one savepoint. Rules (contracts/odoo-rpc.md, "Intent methods"):

- a cancelled, fully received or not yet confirmed order is never changed, not even its
  supplier status: ``exception`` (a note and an activity for the buyer);
- an acknowledgement older than the one applied (``version``, else ``issued_at``): ``stale``;
- a rejection of the whole order: supplier status ``rejected``, outcome ``exception`` (the
  buyer decides); nothing else changes;
- anything that does not reconcile (a line we did not order, another unit, a substitution, a
  price change, a quantity change after a receipt or on a locked order): outcome and status
  ``exception``, nothing changed;
- otherwise promised dates and quantities are applied per line and the supplier status is
  ``accepted``, ``changed`` or ``acknowledged``.
"""

from .inbound import format_quantity, period_to_utc

SUPPLIER_STATUSES = (
    ("sent", "Sent"),
    ("acknowledged", "Acknowledged"),
    ("accepted", "Accepted"),
    ("changed", "Changed by Vendor"),
    ("rejected", "Rejected"),
    ("exception", "Exception"),
)
# data.status of supplier.order_acknowledged -> supplier status of the order.
STATUS_BY_ACK = {
    "accepted": "accepted",
    "rejected": "rejected",
    "changed": "changed",
    "partially_accepted": "changed",
    "backordered": "changed",
    "acknowledged_only": "acknowledged",
}
# Line status a header-level answer (no lines) gives to every line.
LINE_STATUS_BY_HEADER = {"accepted": "accepted", "backordered": "backordered", "changed": "changed"}
# Portions the supplier will deliver (now or later).
DELIVERED_PORTIONS = ("accepted", "changed", "backordered")
QUANTITY_EPSILON = 1e-6
PRICE_EPSILON = 1e-4
CONFIRMED_ORDER_STATES = ("purchase", "done")


def staleness(last_version, last_issued_at, version, issued_at):
    """Why an acknowledgement is older than the applied one, or None when it is not.

    Versions decide when both are known and differ; otherwise the partner's issue times do.
    Only a strictly older answer is stale: the same version again (a corrected resend) applies.
    """
    if version is not None and last_version is not None and version != last_version:
        if version < last_version:
            return "version %s is older than the applied version %s" % (version, last_version)
        return None
    if issued_at and last_issued_at and issued_at < last_issued_at:
        return "issued %s, before the applied acknowledgement (%s)" % (
            issued_at.isoformat(sep=" "), last_issued_at.isoformat(sep=" ")
        )
    return None


def _exception(status, detail, problems=(), late=False):
    return {
        "outcome": "exception", "status": status, "detail": detail, "problems": list(problems), "lines": [],
        "late": late,
    }


def _quantity(portion, ordered):
    return ordered if portion["quantity"] is None else float(portion["quantity"])


def _promised_date(portions, header_period, tz_name):
    for portion in portions:
        if portion["status"] in ("accepted", "changed"):
            moment = period_to_utc(portion.get("promised_delivery"), tz_name)
            if moment:
                return moment
    return period_to_utc(header_period, tz_name)


def _plan_line(order, ack, ack_line, problems, tz_name):
    number = ack_line["line_number"]
    if number is None or ack_line["status"] == "added":
        problems.append("vendor added a line (%s)" % (ack_line.get("supplier_part") or ack_line.get("partner_line_id") or "no part number"))
        return None
    ours = order["lines"].get(number)
    if ours is None:
        problems.append("line %s is not in the order" % number)
        return None
    portions = ack_line["portions"]
    for portion in portions:
        if portion.get("substitution"):
            substitute = portion["substitution"]
            problems.append("line %s: substitute offered (%s)" % (
                number, substitute.get("supplier_part") or substitute.get("description") or substitute.get("gtin") or "?"
            ))
    units = {unit for unit in [ack_line.get("uom")] + [portion.get("uom") for portion in portions] if unit}
    if ours.get("uom") and units - {ours["uom"]}:
        problems.append("line %s: quantities in %s, ordered in %s" % (number, "/".join(sorted(units)), ours["uom"]))
        return None
    for portion in portions:
        price = portion.get("unit_price")
        if not price or ours.get("price") is None:
            continue
        if price.get("currency") and order.get("currency") and price["currency"] != order["currency"]:
            problems.append("line %s: price in %s, ordered in %s" % (number, price["currency"], order["currency"]))
        elif abs(float(price["amount"]) - ours["price"]) > PRICE_EPSILON:
            problems.append("line %s: price %s instead of %s" % (
                number, format_quantity(price["amount"]), format_quantity(ours["price"])
            ))

    decided = [portion for portion in portions if portion["status"] != "unknown"]
    if not decided:
        return None
    ordered = float(ours["quantity"])
    confirmed = sum(_quantity(p, ordered) for p in decided if p["status"] in DELIVERED_PORTIONS)
    backordered = sum(_quantity(p, ordered) for p in decided if p["status"] == "backordered")
    stated = any(p["quantity"] is not None for p in decided) or ack_line["status"] == "rejected"
    new_quantity = confirmed if stated and abs(confirmed - ordered) > QUANTITY_EPSILON else None
    if new_quantity is not None:
        if ours.get("received", 0) > QUANTITY_EPSILON:
            problems.append("line %s: quantity %s after %s received" % (
                number, format_quantity(new_quantity), format_quantity(ours["received"])
            ))
        elif order["state"] != "purchase":
            problems.append("line %s: quantity %s on a locked order" % (number, format_quantity(new_quantity)))
    status = ack_line["status"]
    if status == "accepted" and new_quantity is not None:
        status = "changed"
    backorder_portion = next((p for p in decided if p["status"] == "backordered"), None)
    return {
        "line_number": number,
        "status": status,
        "quantity": new_quantity,
        "confirmed_quantity": confirmed if stated else ordered,
        "backordered_quantity": backordered,
        "promised_date": _promised_date(decided, ack.get("promised_delivery"), tz_name),
        "backorder_date": backorder_portion and period_to_utc(backorder_portion.get("promised_delivery"), tz_name),
        "uom": ours.get("uom"),
    }


def plan_acknowledgement(order, ack, tz_name=None):
    """What to do with ``ack`` (the event's ``data``) on ``order``.

    ``order``: ``{"name", "state", "received_all", "currency", "lines": {line_number:
    {"quantity", "uom", "received", "price"}}}``. Returns ``{"outcome": "applied" |
    "exception", "status", "detail", "problems", "late", "lines": [...]}``. ``late``: the order
    is past answering (cancelled, received, not confirmed), so nothing on it changes, not even
    its supplier status (``status`` is None). Line plans give the new
    ``quantity`` (None: unchanged), ``promised_date`` and backorder of each answered line.
    """
    name = order.get("name") or "the order"
    if order["state"] == "cancel":
        return _exception(None, "late acknowledgement: %s is cancelled" % name, late=True)
    if order.get("received_all"):
        return _exception(None, "late acknowledgement: %s is already received" % name, late=True)
    if order["state"] not in CONFIRMED_ORDER_STATES:
        return _exception(None, "acknowledgement for %s, which is not confirmed" % name, late=True)
    if ack["status"] == "rejected":
        reason = ack.get("note") or ack.get("partner_status")
        return _exception("rejected", "vendor rejected the order%s" % (": %s" % reason if reason else ""))

    problems = []
    lines = []
    if ack["lines"]:
        for ack_line in ack["lines"]:
            plan = _plan_line(order, ack, ack_line, problems, tz_name)
            if plan:
                lines.append(plan)
    elif ack["status"] in LINE_STATUS_BY_HEADER:
        promised = period_to_utc(ack.get("promised_delivery"), tz_name)
        for number, ours in sorted(order["lines"].items()):
            lines.append({
                "line_number": number,
                "status": LINE_STATUS_BY_HEADER[ack["status"]],
                "quantity": None,
                "confirmed_quantity": float(ours["quantity"]),
                "backordered_quantity": float(ours["quantity"]) if ack["status"] == "backordered" else 0.0,
                "promised_date": promised if ack["status"] != "backordered" else None,
                "backorder_date": promised if ack["status"] == "backordered" else None,
                "uom": ours.get("uom"),
            })
    if problems:
        return _exception("exception", "; ".join(problems), problems)

    status = STATUS_BY_ACK[ack["status"]]
    if any(line["quantity"] is not None or line["status"] in ("changed", "backordered", "rejected") for line in lines):
        status = "changed"
    return {
        "outcome": "applied", "status": status, "detail": describe(status, lines), "problems": [], "lines": lines,
        "late": False,
    }


def describe(status, lines):
    """A one-line summary for staff: status, then what changed per line."""
    label = dict(SUPPLIER_STATUSES)[status].lower()
    parts = []
    for line in lines:
        bits = []
        if line["quantity"] is not None:
            bits.append("quantity %s" % format_quantity(line["quantity"]))
        if line["backordered_quantity"]:
            when = line["backorder_date"]
            bits.append("%s backordered%s" % (
                format_quantity(line["backordered_quantity"]), " until %s" % when.date().isoformat() if when else ""
            ))
        if line["status"] == "rejected":
            bits.append("rejected")
        if line["promised_date"]:
            bits.append("promised %s" % line["promised_date"].date().isoformat())
        if bits:
            parts.append("line %s %s" % (line["line_number"], ", ".join(bits)))
    return "%s%s" % (label, ": " + "; ".join(parts) if parts else "")


def document_status_decision(current_status, ack_at, event_at, outcome):
    """Supplier status after a document status report (receipt of our order, not acceptance).

    Returns ``(outcome, new_status or None)``: a success marks a sent order ``acknowledged``;
    an error is an ``exception`` unless an acknowledgement newer than it was applied.
    """
    if ack_at and event_at and event_at < ack_at:
        return "stale", None
    if outcome == "success":
        return "applied", "acknowledged" if current_status in (None, False, "sent") else None
    if outcome in ("client_error", "server_error"):
        return "exception", "exception"
    return "applied", None


def status_after_delivery(current_status, sent_at, ack_at, delivered_at):
    """Supplier status once the sidecar delivered a new version of the order to the vendor.

    The order waits for an answer again (``sent``), unless the vendor already answered after
    this delivery (results are reported in batches, so an answer can be recorded first).
    Returns ``(status, sent_at)``, or None to leave the order as it is.
    """
    if not delivered_at:
        return None
    if sent_at and delivered_at <= sent_at:
        return None
    if ack_at and ack_at >= delivered_at:
        return None
    return "sent", delivered_at

