"""Reconciliation rules for a supplier's ship notice (ASN), on plain values.

A notice is applied to the open receipts of each order it covers: expected date, tracking
reference, and the expected quantities, lots and serials as a note for the person who will
receive. It is applied whole or not at all: a cancelled or already received order, a line
that cannot be identified, another unit, or more than the order still expects make it an
``exception`` for a person, and nothing changes.
"""

from .inbound import format_quantity, partner_time_to_utc, period_to_utc

QUANTITY_EPSILON = 1e-6
NOTE_SERIALS_SHOWN = 10
CONFIRMED_ORDER_STATES = ("purchase", "done")


def scheduled_date(notice, tz_name=None):
    """When the goods should arrive: the delivery date, else the estimated delivery."""
    return partner_time_to_utc(notice.get("delivery_date"), tz_name) or period_to_utc(
        notice.get("estimated_delivery"), tz_name
    )


def tracking(notice):
    """``(tracking reference, tracking URL)`` of the notice; None when it has none."""
    numbers = [entry["number"] for entry in notice.get("tracking_numbers") or []]
    url = next((entry["url"] for entry in notice.get("tracking_numbers") or [] if entry.get("url")), None)
    return (", ".join(numbers) or None), url


def _identify_line(order, line):
    lines = order["lines"]
    if line.get("line_number") in lines:
        return line["line_number"]
    ref = (line.get("order_line_ref") or "").strip()
    if ref.isdigit() and int(ref) in lines:
        return int(ref)
    for key, our_key in (("supplier_part", "supplier_part"), ("buyer_part", "product_code")):
        value = line.get(key)
        if value:
            matches = [number for number, ours in lines.items() if ours.get(our_key) == value]
            if len(matches) == 1:
                return matches[0]
    return None


def plan_ship_notice(notice, orders, tz_name=None):
    """What to do with ``notice`` (the event's ``data``, operation new or update).

    ``orders``: ``{po_number: {"name", "state", "received_all", "open_receipt": bool, "lines":
    {line_number: {"open_quantity", "uom", "supplier_part", "product_code"}}}}`` for every
    order of the notice. Returns ``{"outcome": "applied" | "exception", "detail", "problems",
    "expected": {po_number: [line, ...]}}``.
    """
    problems = []
    expected = {}
    for portion in notice["portions"]:
        po_number = portion["po_number"]
        order = orders[po_number]
        if order["state"] == "cancel":
            problems.append("%s is cancelled" % po_number)
            continue
        if order["state"] not in CONFIRMED_ORDER_STATES:
            problems.append("%s is not confirmed" % po_number)
            continue
        if order.get("received_all") or not order.get("open_receipt"):
            problems.append("%s has no receipt waiting" % po_number)
            continue
        shipped = {}
        entries = expected.setdefault(po_number, [])
        if not portion["lines_known"]:
            continue
        for line in portion["lines"]:
            number = _identify_line(order, line)
            if number is None:
                problems.append("%s: line %s not identified" % (
                    po_number, line.get("line_number") or line.get("order_line_ref") or line.get("supplier_part") or "?"
                ))
                continue
            ours = order["lines"][number]
            if ours.get("uom") and line["uom"] != ours["uom"]:
                problems.append("%s line %s: shipped in %s, ordered in %s" % (po_number, number, line["uom"], ours["uom"]))
                continue
            shipped[number] = shipped.get(number, 0.0) + float(line["quantity"])
            entries.append(dict(line, line_number=number))
        for number, quantity in sorted(shipped.items()):
            open_quantity = order["lines"][number]["open_quantity"]
            if quantity > open_quantity + QUANTITY_EPSILON:
                problems.append("%s line %s: %s shipped, %s expected" % (
                    po_number, number, format_quantity(quantity), format_quantity(open_quantity)
                ))
    if problems:
        return {"outcome": "exception", "detail": "; ".join(problems), "problems": problems, "expected": {}}
    count = sum(len(lines) for lines in expected.values())
    return {
        "outcome": "applied",
        "detail": "ship notice %s: %s" % (
            notice["shipment_id"],
            "%d line%s expected" % (count, "" if count == 1 else "s") if count else "lines not given",
        ),
        "problems": [],
        "expected": expected,
    }


def notice_note(notice, lines, tz_name=None):
    """The note shown on a receipt: what the notice says is coming, line by line (plain text)."""
    reference, _url = tracking(notice)
    when = scheduled_date(notice, tz_name)
    carrier = notice.get("carrier") or {}
    header = ["Ship notice %s" % notice["shipment_id"]]
    kind = ", ".join(value for value in (notice.get("shipment_type"), notice.get("fulfillment")) if value)
    if kind:
        header.append("(%s)" % kind)
    if carrier.get("name") or carrier.get("scac"):
        header.append("by %s" % (carrier.get("name") or carrier.get("scac")))
    if reference:
        header.append("tracking %s" % reference)
    if when:
        header.append("expected %s" % when.date().isoformat())
    text = [" ".join(header)]
    if not lines:
        text.append("Lines not given by the vendor.")
    for line in lines:
        part = line.get("buyer_part") or line.get("supplier_part") or line.get("description") or ""
        row = "Line %s%s: %s %s" % (line["line_number"], " %s" % part if part else "", format_quantity(line["quantity"]), line["uom"])
        lots = [
            lot["lot"] + (" (expires %s)" % lot["expiry_date"] if lot.get("expiry_date") else "")
            for lot in line.get("lots") or []
        ]
        if lots:
            row += ", lot%s %s" % ("s" if len(lots) > 1 else "", ", ".join(lots))
        serials = line.get("serials") or []
        if serials:
            shown = ", ".join(serials[:NOTE_SERIALS_SHOWN])
            more = len(serials) - NOTE_SERIALS_SHOWN
            row += ", serials %s%s" % (shown, " and %d more" % more if more > 0 else "")
        if line.get("outstanding_quantity"):
            row += ", %s still to come%s" % (
                format_quantity(line["outstanding_quantity"]),
                " (%s)" % line["outstanding_reason"] if line.get("outstanding_reason") else "",
            )
        text.append(row)
    return "\n".join(text)
