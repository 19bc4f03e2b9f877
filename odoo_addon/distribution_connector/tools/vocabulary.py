"""Canonical vocabulary shared with partners (contracts v1).

Units of measure are UN/ECE Recommendation 20 codes. The table is explicit and
config-less: a unit that is not in it is sent as ``ZZ`` ("mutually defined") and
logged, rather than blocking the user who confirms the order.
"""

import logging
import re

_logger = logging.getLogger(__name__)

UNKNOWN_UOM_CODE = "ZZ"

PARTNER_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_PARTNER_CODE_RE = re.compile(PARTNER_CODE_PATTERN)

# Odoo's own units (module ``uom``), by XML id.
UOM_CODE_BY_XMLID = {
    "uom.product_uom_unit": "C62",
    "uom.product_uom_dozen": "DZN",
    "uom.product_uom_day": "DAY",
    "uom.product_uom_hour": "HUR",
    "uom.product_uom_meter": "MTR",
    "uom.product_uom_millimeter": "MMT",
    "uom.product_uom_km": "KMT",
    "uom.product_uom_cm": "CMT",
    "uom.uom_square_meter": "MTK",
    "uom.product_uom_litre": "LTR",
    "uom.product_uom_cubic_meter": "MTQ",
    "uom.product_uom_kgm": "KGM",
    "uom.product_uom_gram": "GRM",
    "uom.product_uom_ton": "TNE",
    "uom.product_uom_lb": "LBR",
    "uom.product_uom_oz": "ONZ",
    "uom.product_uom_inch": "INH",
    "uom.product_uom_foot": "FOT",
    "uom.product_uom_yard": "YRD",
    "uom.product_uom_mile": "SMI",
    "uom.uom_square_foot": "FTK",
    "uom.product_uom_floz": "OZA",
    "uom.product_uom_qt": "QTL",
    "uom.product_uom_gal": "GLL",
    "uom.product_uom_cubic_inch": "INQ",
    "uom.product_uom_cubic_foot": "FTQ",
}

# Units created by hand (no XML id): by English name, with the category they must
# belong to so that a "t" in some odd category is not taken for a metric ton.
_UNIT, _WEIGHT, _TIME = "unit", "weight", "working time"
_LENGTH, _SURFACE, _VOLUME = "length / distance", "surface", "volume"
UOM_CODE_BY_NAME = {
    ("units", _UNIT): "C62",
    ("unit", _UNIT): "C62",
    ("pce", _UNIT): "C62",
    ("piece", _UNIT): "C62",
    ("pieces", _UNIT): "C62",
    ("dozens", _UNIT): "DZN",
    ("dozen", _UNIT): "DZN",
    ("pair", _UNIT): "PR",
    ("pairs", _UNIT): "PR",
    ("kg", _WEIGHT): "KGM",
    ("g", _WEIGHT): "GRM",
    ("mg", _WEIGHT): "MGM",
    ("t", _WEIGHT): "TNE",
    ("lb", _WEIGHT): "LBR",
    ("lbs", _WEIGHT): "LBR",
    ("oz", _WEIGHT): "ONZ",
    ("hours", _TIME): "HUR",
    ("hour", _TIME): "HUR",
    ("days", _TIME): "DAY",
    ("day", _TIME): "DAY",
    ("m", _LENGTH): "MTR",
    ("mm", _LENGTH): "MMT",
    ("cm", _LENGTH): "CMT",
    ("km", _LENGTH): "KMT",
    ("in", _LENGTH): "INH",
    ("ft", _LENGTH): "FOT",
    ("yd", _LENGTH): "YRD",
    ("mi", _LENGTH): "SMI",
    ("m²", _SURFACE): "MTK",
    ("m2", _SURFACE): "MTK",
    ("ft²", _SURFACE): "FTK",
    ("l", _VOLUME): "LTR",
    ("ml", _VOLUME): "MLT",
    ("m³", _VOLUME): "MTQ",
    ("m3", _VOLUME): "MTQ",
    ("fl oz (us)", _VOLUME): "OZA",
    ("qt (us)", _VOLUME): "QTL",
    ("gal (us)", _VOLUME): "GLL",
    ("in³", _VOLUME): "INQ",
    ("ft³", _VOLUME): "FTQ",
}


def uom_code(xmlid=None, name=None, category=None):
    """Return the UN/ECE Rec 20 code of a unit, or None when it is not known.

    :param xmlid: the unit's XML id (``module.name``), if it has one
    :param name: the unit's English name
    :param category: the English name of the unit's category
    """
    if xmlid and xmlid in UOM_CODE_BY_XMLID:
        return UOM_CODE_BY_XMLID[xmlid]
    if name and category:
        return UOM_CODE_BY_NAME.get((name.strip().lower(), category.strip().lower()))
    return None


def uom_code_or_unknown(xmlid=None, name=None, category=None):
    """Like :func:`uom_code`, but a unit that is not known becomes ``ZZ`` (and is logged)."""
    code = uom_code(xmlid=xmlid, name=name, category=category)
    if code is None:
        _logger.warning(
            "Unit of measure %r (category %r, xml id %r) has no UN/ECE Rec 20 code; sent as %s",
            name, category, xmlid, UNKNOWN_UOM_CODE,
        )
        return UNKNOWN_UOM_CODE
    return code


def is_valid_partner_code(code):
    """Whether ``code`` is a routing code partners can be configured with."""
    return isinstance(code, str) and bool(_PARTNER_CODE_RE.match(code))
