# Pure helpers: plain values in, plain values out. No Odoo import here, so they are
# unit-tested without an Odoo tree (see tests/pure/).
from . import envelope, logistics_payload, nudge, purchase_payload, results, vocabulary
