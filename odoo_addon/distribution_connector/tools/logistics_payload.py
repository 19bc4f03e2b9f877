"""``data`` of receipt.*, shipment.* and stock.* events, built from plain values.

See contracts/v1/events/{receipt.validated,shipment.ready,shipment.dispatched,
shipment.cancelled,stock.adjusted}.schema.json. The Odoo side (models/stock_*.py)
reads the records and passes plain values.
"""

from .envelope import utc_iso
from .vocabulary import uom_code_or_unknown


def text_or_none(value):
    if not value:
        return None
    value = str(value).strip()
    return value or None


def positive_or_none(value):
    return float(value) if value and value > 0 else None


def build_address(*, name, company=None, street=None, street2=None, city=None, state=None, zip=None,
                  country=None, phone=None, email=None):
    """A postal address; ``company`` is left out when it is the addressee itself."""
    name = text_or_none(name) or text_or_none(company) or "?"
    company = text_or_none(company)
    country = text_or_none(country)
    return {
        "name": name,
        "company": company if company != name else None,
        "street": text_or_none(street),
        "street2": text_or_none(street2),
        "city": text_or_none(city),
        "state": text_or_none(state),
        "zip": text_or_none(zip),
        "country": country.upper() if country else None,
        "phone": text_or_none(phone),
        "email": text_or_none(email),
    }


def build_parcel(*, weight, weight_uom, package=None, length=None, width=None, height=None, dimension_uom=None):
    """``weight_uom``/``dimension_uom`` are Rec 20 codes; zero or missing measures become null."""
    dimensions = [positive_or_none(length), positive_or_none(width), positive_or_none(height)]
    return {
        "package": text_or_none(package),
        "weight": positive_or_none(weight),
        "weight_uom": weight_uom,
        "length": dimensions[0],
        "width": dimensions[1],
        "height": dimensions[2],
        "dimension_uom": dimension_uom if any(dimensions) else None,
    }


def build_item(*, product_code, description, quantity, uom_xmlid=None, uom_name=None, uom_category=None, **extra):
    item = {
        "product_code": text_or_none(product_code),
        "description": description or "",
        "quantity": float(quantity),
        "uom": uom_code_or_unknown(xmlid=uom_xmlid, name=uom_name, category=uom_category),
    }
    item.update(extra)
    return item


def build_receipt_data(*, receipt, origin, po_number, vendor, scheduled_date, date_done, destination,
                       backorder_of, lines):
    """``lines``: :func:`build_item` kwargs plus ``line_number`` and ``lots``; empty quantities are left out."""
    items = []
    for line in lines:
        if line["quantity"] <= 0:
            continue
        line = dict(line)
        line_number = line.pop("line_number", None)
        lots = sorted(set(line.pop("lots", ()) or ()))
        item = build_item(**line)
        items.append({"line_number": line_number or None, **item, "lots": lots})
    return {
        "receipt": receipt,
        "origin": text_or_none(origin),
        "po_number": text_or_none(po_number),
        "vendor": vendor,
        "scheduled_date": utc_iso(scheduled_date),
        "date_done": utc_iso(date_done),
        "destination": destination,
        "backorder_of": text_or_none(backorder_of),
        "lines": items,
    }


def build_shipment_data(*, picking, origin, scheduled_date, carrier_code, carrier_name, ship_from, ship_to,
                        parcels, lines, carrier_service=None, **dispatch):
    """Data of shipment.ready/cancelled; pass ``date_done``, ``tracking_ref`` and
    ``tracking_url`` for shipment.dispatched."""
    data = {
        "picking": picking,
        "origin": text_or_none(origin),
        "scheduled_date": utc_iso(scheduled_date),
        "carrier": {
            "partner_code": text_or_none(carrier_code),
            "name": text_or_none(carrier_name),
            "service": text_or_none(carrier_service),
        },
        "ship_from": ship_from,
        "ship_to": ship_to,
        "parcels": parcels,
        "lines": [build_item(**line) for line in lines if line["quantity"] > 0],
    }
    if dispatch:
        data["date_done"] = utc_iso(dispatch["date_done"])
        data["tracking_ref"] = text_or_none(dispatch.get("tracking_ref"))
        data["tracking_url"] = text_or_none(dispatch.get("tracking_url"))
    return data


def build_stock_adjusted_data(*, product_code, description, applied_at, adjustments, quantity_on_hand,
                              uom_xmlid=None, uom_name=None, uom_category=None):
    """``adjustments``: dicts with location, lot, package, quantity_before, quantity_after."""
    return {
        "product_code": text_or_none(product_code),
        "description": description,
        "uom": uom_code_or_unknown(xmlid=uom_xmlid, name=uom_name, category=uom_category),
        "applied_at": utc_iso(applied_at),
        "adjustments": [
            {
                "location": adjustment["location"],
                "lot": text_or_none(adjustment.get("lot")),
                "package": text_or_none(adjustment.get("package")),
                "quantity_before": float(adjustment["quantity_before"]),
                "quantity_after": float(adjustment["quantity_after"]),
                "difference": round(float(adjustment["quantity_after"]) - float(adjustment["quantity_before"]), 6),
            }
            for adjustment in adjustments
        ],
        "quantity_on_hand": float(quantity_on_hand),
    }
