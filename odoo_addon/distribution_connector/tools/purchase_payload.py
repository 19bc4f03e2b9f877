"""``data`` of the purchase_order.* events, built from plain values.

The Odoo side (models/purchase_order.py) reads the records and passes dicts; this
module only shapes them as contracts/v1/events/purchase_order.confirmed.schema.json says.
"""

from .envelope import utc_iso
from .vocabulary import uom_code_or_unknown


def _text_or_none(value):
    if not value:
        return None
    value = str(value).strip()
    return value or None


def build_vendor(*, id, name, partner_code=None, vat=None):
    return {
        "id": id,
        "name": name,
        "partner_code": _text_or_none(partner_code),
        "vat": _text_or_none(vat),
    }


def build_line(
    *,
    line_number,
    product_code,
    vendor_product_code,
    description,
    quantity,
    unit_price,
    uom_xmlid=None,
    uom_name=None,
    uom_category=None,
    planned_date=None,
):
    return {
        "line_number": line_number,
        "product_code": _text_or_none(product_code),
        "vendor_product_code": _text_or_none(vendor_product_code),
        "description": description or "",
        "quantity": float(quantity),
        "uom": uom_code_or_unknown(xmlid=uom_xmlid, name=uom_name, category=uom_category),
        "unit_price": float(unit_price),
        "planned_date": utc_iso(planned_date),
    }


def build_purchase_order_data(
    *,
    po_number,
    vendor,
    currency,
    order_date,
    lines,
    vendor_reference=None,
    planned_date=None,
    amount_untaxed=None,
    amount_total=None,
):
    """``vendor`` is a :func:`build_vendor` dict, ``lines`` a list of :func:`build_line` kwargs.

    Lines with no positive quantity carry nothing to order and are left out.
    """
    built_lines = [build_line(**line) for line in lines if line["quantity"] > 0]
    data = {
        "po_number": po_number,
        "vendor_reference": _text_or_none(vendor_reference),
        "vendor": vendor,
        "currency": currency,
        "order_date": utc_iso(order_date),
        "planned_date": utc_iso(planned_date),
        "lines": sorted(built_lines, key=lambda line: line["line_number"]),
    }
    if amount_untaxed is not None:
        data["amount_untaxed"] = float(amount_untaxed)
    if amount_total is not None:
        data["amount_total"] = float(amount_total)
    return data
