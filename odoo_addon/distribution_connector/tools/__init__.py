# Pure helpers: plain values in, plain values out. No Odoo import here, so they are
# unit-tested without an Odoo tree (see tests/pure/).
from . import (
    carrier_status,
    envelope,
    inbound,
    logistics_payload,
    nudge,
    purchase_payload,
    results,
    schema_check,
    ship_notice,
    supplier_ack,
    vocabulary,
)
