"""``data`` of the purchase_order.* events, built from plain values.

The Odoo side (models/purchase_order.py) reads the records and passes dicts; this
module only shapes them as contracts/v1/events/purchase_order.confirmed.schema.json says.
"""

from .envelope import utc_iso
from .logistics_payload import build_address
from .vocabulary import uom_code_or_unknown

# European Economic Area, as Odoo's Peppol exports count it (base.europe plus NO, IS, LI).
EEA_EXTRA = frozenset(("NO", "IS", "LI"))


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


def address_reference(*, partner_id, ref=None, warehouse_code=None):
    """The stable reference of an address: a warehouse's short name, the contact's Reference, or res.partner-<id>."""
    return _text_or_none(warehouse_code) or _text_or_none(ref) or "res.partner-%d" % partner_id


def build_order_address(*, id, **address):
    """An address of the order (ship-to, bill-to) with its reference; ``address`` as build_address takes it."""
    return {"id": str(id)[:128], **build_address(**address)}


def build_contact(*, name, email=None, phone=None):
    """The buyer's contact; None without a name."""
    name = _text_or_none(name)
    if not name:
        return None
    return {"name": name, "email": _text_or_none(email), "phone": _text_or_none(phone)}


def build_incoterm(*, code, location=None):
    code = (_text_or_none(code) or "").upper()
    if len(code) != 3 or not code.isalpha():
        return None
    return {"code": code, "location": _text_or_none(location)}


def due_days(lines):
    """Days to pay when the terms are one instalment of the whole amount some days after the invoice, else None.

    ``lines``: dicts with ``value`` (percent|fixed), ``value_amount``, ``delay_type``, ``nb_days``
    (account.payment.term.line).
    """
    if len(lines) != 1:
        return None
    line = lines[0]
    if line.get("value") != "percent" or abs((line.get("value_amount") or 0) - 100) > 1e-9:
        return None
    if line.get("delay_type") != "days_after":
        return None
    days = line.get("nb_days") or 0
    return int(days) if days >= 0 else None


def build_payment_terms(*, name, lines=()):
    name = _text_or_none(name)
    if not name:
        return None
    return {"name": name, "days": due_days(list(lines))}


def build_classification(*, scheme, code):
    scheme, code = _text_or_none(scheme), _text_or_none(code)
    if not scheme or not code:
        return None
    return {"scheme": scheme[:32], "code": code[:64]}


def vat_category(percent, *, buyer_country, vendor_country, vendor_has_vat, eea_countries):
    """UNCL5305 category of a VAT rate on a purchase, by the rules of Odoo's own Peppol exports.

    The buyer is our company (Peppol's customer), the vendor the seller.
    """
    eea = frozenset(eea_countries) | EEA_EXTRA
    if vendor_country and vendor_country == buyer_country:
        return "S" if percent else "E"
    if vendor_country in eea and vendor_has_vat:
        if percent:
            return "S"
        return "K" if buyer_country in eea else "G"
    return "S" if percent else "E"


def build_tax(taxes, **parties):
    """``taxes``: the line's taxes as dicts with ``amount_type`` and ``amount``. One percentage tax
    becomes ``{category, percent}``; no tax, several or another kind: None (not known)."""
    if len(taxes) != 1 or taxes[0].get("amount_type") != "percent":
        return None
    percent = float(taxes[0].get("amount") or 0.0)
    if percent < 0:
        return None
    return {"category": vat_category(percent, **parties), "percent": percent}


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
    vendor_product_aux_code=None,
    classification=None,
    tax=None,
):
    """``classification`` is a build_classification dict or None, ``tax`` a build_tax dict or None."""
    return {
        "line_number": line_number,
        "product_code": _text_or_none(product_code),
        "vendor_product_code": _text_or_none(vendor_product_code),
        "description": description or "",
        "quantity": float(quantity),
        "uom": uom_code_or_unknown(xmlid=uom_xmlid, name=uom_name, category=uom_category),
        "unit_price": float(unit_price),
        "planned_date": utc_iso(planned_date),
        "vendor_product_aux_code": _text_or_none(vendor_product_aux_code),
        "classification": classification,
        "tax": tax,
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
    ship_to=None,
    bill_to=None,
    buyer=None,
    incoterm=None,
    payment_terms=None,
):
    """``vendor`` is a :func:`build_vendor` dict, ``lines`` a list of :func:`build_line` kwargs;
    ``ship_to``/``bill_to`` build_order_address dicts, ``buyer`` a build_contact dict,
    ``incoterm``/``payment_terms`` their builders' dicts (each may be None).

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
        "ship_to": ship_to,
        "bill_to": bill_to,
        "buyer": buyer,
        "incoterm": incoterm,
        "payment_terms": payment_terms,
        "lines": sorted(built_lines, key=lambda line: line["line_number"]),
    }
    if amount_untaxed is not None:
        data["amount_untaxed"] = float(amount_untaxed)
    if amount_total is not None:
        data["amount_total"] = float(amount_total)
    return data
