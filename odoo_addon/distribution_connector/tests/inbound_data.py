"""Builders of inbound events as the sidecar sends them to ``connector.inbound.apply_events``.

Shaped after contracts/v1/events (the addon's own checker rejects anything else, so a
mistake here shows up as an unexpected ``rejected``).
"""

import uuid


def new_id():
    return str(uuid.uuid4())


def day(text):
    return {"raw": text, "kind": "date", "utc": None, "local": text, "offset": None}


def instant(utc):
    return {"raw": utc, "kind": "instant", "utc": utc, "local": utc[:19], "offset": "Z"}


def period(text):
    return {"start": day(text), "end": day(text)}


def item(event_type, partner, subject_ref, data, occurred_at="2026-11-26T16:00:00Z", **overrides):
    value = {
        "event_id": new_id(),
        "type": event_type,
        "partner": partner,
        "format": "canonical",
        "test_mode": False,
        "received_at": occurred_at,
        "occurred_at": occurred_at,
        "subject_ref": subject_ref,
        "data": data,
    }
    value.update(overrides)
    return value


# supplier.order_acknowledged ------------------------------------------------

def portion(status="accepted", quantity=None, uom=None, delivery=None, **extra):
    value = {
        "status": status, "partner_status": status, "quantity": quantity, "uom": uom,
        "promised_shipment_date": None, "promised_delivery": period(delivery) if delivery else None,
        "unit_price": None, "substitution": None, "comment": None,
    }
    value.update(extra)
    return value


def ack_line(number, *portions, status="accepted", uom=None):
    return {
        "line_number": number, "partner_line_id": None, "status": status, "ordered_quantity": None, "uom": uom,
        "quantities": {}, "portions": list(portions) or [portion()], "supplier_part": None, "note": None,
    }


def ack(po_number, status="accepted", lines=(), version=1, issued_at=None, **extra):
    value = {
        "po_number": po_number, "partner_document_id": "CONF-%s" % version, "partner_order_id": None,
        "status": status, "partner_status": status, "operation": "new", "version": version,
        "previous_document_ref": None, "order_message_ref": None,
        "issued_at": instant(issued_at) if issued_at else None, "currency": None, "promised_delivery": None,
        "note": None, "lines": list(lines),
    }
    value.update(extra)
    return value


def document_status(outcome="success", code=200, text="OK", document_ref=None):
    return {"document_ref": document_ref, "status_code": code, "status_text": text,
            "message": "Order received", "outcome": outcome}


# supplier.shipment_noticed -----------------------------------------------------

def notice_line(number, quantity, uom, lots=(), serials=()):
    return {
        "line_number": number, "order_line_ref": str(number), "partner_line_id": None, "supplier_part": None,
        "buyer_part": None, "gtin": None, "description": None, "quantity": quantity, "uom": uom,
        "lots": [{"lot": lot, "expiry_date": None, "best_before_date": None} for lot in lots],
        "serials": list(serials), "outstanding_quantity": None, "outstanding_reason": None, "handling_units": [],
    }


def notice(shipment_id, portions, operation="new", delivery="2026-12-03", notice_at="2026-12-01T15:05:00Z",
           tracking=("1Z999AA10123456784",)):
    return {
        "shipment_id": shipment_id, "operation": operation, "previous_document_ref": None,
        "notice_date": instant(notice_at), "shipment_date": None,
        "delivery_date": day(delivery) if delivery else None, "estimated_delivery": None,
        "shipment_type": "actual", "fulfillment": "partial",
        "carrier": {"name": "UPS", "scac": "UPSN", "identifiers": []},
        "tracking_numbers": [
            {"number": number, "url": "https://www.ups.com/track?tracknum=%s" % number} for number in tracking
        ],
        "gross_weight": None, "note": None, "portions": list(portions),
    }


def notice_portion(po_number, lines, lines_known=True):
    return {"po_number": po_number, "order_message_ref": None, "lines_known": lines_known, "lines": list(lines)}


# carrier.* -----------------------------------------------------------------------

def booking(reference, tracking_numbers=("9400100110368066352811",), label="https://labels.example/l1.png",
            test_mode=False):
    return {
        "aggregator": "easypost", "partner_shipment_id": "shp_1", "reference": reference, "carrier": "USPS",
        "service": "GroundAdvantage", "tracking_numbers": list(tracking_numbers),
        "labels": [{"url": label, "format": "image/png"}] if label else [],
        "rate": {"amount": 6.07, "currency": "USD"}, "test_mode": test_mode,
    }


def tracking(number, status, at, reference=None, eta=None, detail=None, city="Pleasant Hill", test_mode=False,
             public_url=None):
    return {
        "aggregator": "shippo", "carrier": "usps", "tracking_number": number, "status": status,
        "partner_status": status.upper(), "status_detail": detail, "occurred_at": instant(at),
        "estimated_delivery": instant(eta) if eta else None,
        "location": {"city": city, "state": "CA", "postal_code": "94523", "country": "US"} if city else None,
        "test_mode": test_mode, "partner_message_id": None, "partner_tracker_id": None, "reference": reference,
        "signed_by": None, "public_url": public_url,
    }
