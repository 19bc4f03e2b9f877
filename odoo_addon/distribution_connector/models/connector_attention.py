from odoo import fields, models, tools

from .connector_document_status import effective_sent_at_sql, effective_status_sql

PARAM_ACK_DELAY_HOURS = "distribution_connector.ack_delay_hours"
PARAM_MILESTONE_DELAY_HOURS = "distribution_connector.milestone_delay_hours"
DEFAULT_ACK_DELAY_HOURS = 48
DEFAULT_MILESTONE_DELAY_HOURS = 24

KINDS = [
    ("ack_overdue", "Vendor Answer Late"),
    ("vendor_exception", "Vendor Exception"),
    ("no_milestone", "No Tracking News"),
    ("carrier_exception", "Carrier Exception"),
    ("dead_event", "Dead Event"),
    ("inbound_exception", "Message to Review"),
    ("backlog", "Not Yet Delivered"),
]
# Row ids: the source row's id times this, plus the kind's position (ids stay stable).
ID_FACTOR = 10


def _param_hours(key, default):
    """SQL reading an integer system parameter (hours), with its default when unset or not a number."""
    return tools.SQL(
        "COALESCE((SELECT value::integer FROM ir_config_parameter WHERE key = %s AND value ~ '^[0-9]{1,6}$'), %s)",
        key, default,
    )


class ConnectorAttention(models.Model):
    """What needs a person, from the documents and events themselves (a database view).

    The delays come from the settings: an order waits for its vendor's answer longer than
    ``ack_delay_hours`` after it was sent; a dispatched shipment has had no carrier news for
    ``milestone_delay_hours``. A vendor (``connector_ack_delay_hours``) or a carrier
    (``connector_milestone_delay_hours``) may have its own.
    """

    _name = "connector.attention"
    _description = "Integration: What Needs Attention"
    _auto = False
    _order = "since"
    _rec_name = "name"
    # Pending ORM writes to these are flushed before the view is read.
    _depends = {
        "res.partner": ["connector_partner_code", "connector_ack_delay_hours", "commercial_partner_id"],
        "delivery.carrier": ["connector_partner_code", "connector_milestone_delay_hours"],
        "purchase.order": [
            "state", "name", "partner_id", "picking_type_id", "company_id", "receipt_status",
            "connector_answer_status", "connector_answer_after", "connector_ack_at", "connector_supplier_detail",
        ],
        "stock.picking": [
            "state", "name", "partner_id", "picking_type_id", "company_id", "carrier_id", "date_done",
        ],
        "connector.outbox": [
            "state", "subject_model", "subject_id", "subject_ref", "event_type", "last_error", "partner_code",
            "company_id",
        ],
        "connector.document.status": [
            "res_model", "res_id", "sent_at", "carrier_status", "last_milestone", "last_milestone_at", "last_inbound_id",
        ],
        "connector.inbound": ["outcome", "reviewed", "record_ref", "subject_ref", "detail", "partner_code", "company_id"],
    }

    kind = fields.Selection(KINDS, readonly=True)
    name = fields.Char(string="Document", readonly=True)
    detail = fields.Char(readonly=True)
    since = fields.Datetime(readonly=True, help="Since when it has been waiting.")
    waiting_hours = fields.Float(string="Waiting (h)", readonly=True, digits=(16, 1), aggregator="max")
    partner_code = fields.Char(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Partner", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    res_model = fields.Char(readonly=True)
    res_id = fields.Integer(readonly=True)

    @property
    def _table_query(self):
        ack_hours = _param_hours(PARAM_ACK_DELAY_HOURS, DEFAULT_ACK_DELAY_HOURS)
        milestone_hours = _param_hours(PARAM_MILESTONE_DELAY_HOURS, DEFAULT_MILESTONE_DELAY_HOURS)
        now = tools.SQL("(now() AT TIME ZONE 'UTC')")
        return tools.SQL(
            """
            SELECT u.*, EXTRACT(EPOCH FROM %(now)s - u.since) / 3600.0 AS waiting_hours FROM (
            SELECT po.id * %(f)s + 1 AS id, 'ack_overdue' AS kind, po.name AS name,
                   'sent ' || to_char(%(sent_at)s, 'YYYY-MM-DD HH24:MI') || ' UTC, no answer' AS detail,
                   %(sent_at)s AS since, vendor.connector_partner_code AS partner_code,
                   po.partner_id AS partner_id, pt.warehouse_id AS warehouse_id, NULL::integer AS carrier_id,
                   po.company_id AS company_id, 'purchase.order' AS res_model, po.id AS res_id
              FROM purchase_order po
              JOIN res_partner p ON p.id = po.partner_id
              LEFT JOIN res_partner vendor ON vendor.id = p.commercial_partner_id
              LEFT JOIN stock_picking_type pt ON pt.id = po.picking_type_id
             WHERE po.state IN ('purchase', 'done')
               AND %(status)s = 'sent'
               AND %(sent_at)s < %(now)s - make_interval(hours => COALESCE(NULLIF(vendor.connector_ack_delay_hours, 0), %(ack_hours)s))
            UNION ALL
            SELECT po.id * %(f)s + 2, 'vendor_exception', po.name, po.connector_supplier_detail,
                   COALESCE(po.connector_ack_at, po.write_date), vendor.connector_partner_code,
                   po.partner_id, pt.warehouse_id, NULL::integer, po.company_id, 'purchase.order', po.id
              FROM purchase_order po
              JOIN res_partner p ON p.id = po.partner_id
              LEFT JOIN res_partner vendor ON vendor.id = p.commercial_partner_id
              LEFT JOIN stock_picking_type pt ON pt.id = po.picking_type_id
             WHERE po.state IN ('purchase', 'done')
               AND %(status)s IN ('rejected', 'exception')
               AND COALESCE(po.receipt_status, 'pending') != 'full'
            UNION ALL
            SELECT sp.id * %(f)s + 3, 'no_milestone', sp.name,
                   COALESCE(news.last_milestone, 'dispatched, no carrier news'),
                   COALESCE(news.last_milestone_at, sp.date_done), dc.connector_partner_code,
                   sp.partner_id, pt.warehouse_id, sp.carrier_id, sp.company_id, 'stock.picking', sp.id
              FROM stock_picking sp
              JOIN stock_picking_type pt ON pt.id = sp.picking_type_id
              JOIN delivery_carrier dc ON dc.id = sp.carrier_id
              LEFT JOIN connector_document_status news ON news.res_model = 'stock.picking' AND news.res_id = sp.id
             WHERE pt.code = 'outgoing' AND sp.state = 'done'
               AND COALESCE(news.carrier_status, 'unknown')
                   NOT IN ('delivered', 'returned', 'cancelled', 'exception', 'attempt_failed')
               AND COALESCE(news.last_milestone_at, sp.date_done)
                   < %(now)s - make_interval(hours => COALESCE(NULLIF(dc.connector_milestone_delay_hours, 0), %(milestone_hours)s))
               AND EXISTS (SELECT 1 FROM connector_outbox o
                            WHERE o.subject_model = 'stock.picking' AND o.subject_id = sp.id
                              AND o.event_type = 'shipment.dispatched')
            UNION ALL
            SELECT sp.id * %(f)s + 4, 'carrier_exception', sp.name, news.last_milestone,
                   news.last_milestone_at, dc.connector_partner_code,
                   sp.partner_id, pt.warehouse_id, sp.carrier_id, sp.company_id, 'stock.picking', sp.id
              FROM connector_document_status news
              JOIN stock_picking sp ON news.res_model = 'stock.picking' AND sp.id = news.res_id
              JOIN stock_picking_type pt ON pt.id = sp.picking_type_id
              LEFT JOIN delivery_carrier dc ON dc.id = sp.carrier_id
             WHERE news.carrier_status IN ('exception', 'attempt_failed') AND sp.state != 'cancel'
            UNION ALL
            SELECT o.id * %(f)s + 5, 'dead_event', COALESCE(o.subject_ref, o.subject_model) || ' · ' || o.event_type,
                   o.last_error, o.write_date, o.partner_code,
                   NULL::integer, COALESCE(spt.warehouse_id, popt.warehouse_id), sp.carrier_id,
                   o.company_id, 'connector.outbox', o.id
              FROM connector_outbox o
              LEFT JOIN stock_picking sp ON o.subject_model = 'stock.picking' AND sp.id = o.subject_id
              LEFT JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
              LEFT JOIN purchase_order po ON o.subject_model = 'purchase.order' AND po.id = o.subject_id
              LEFT JOIN stock_picking_type popt ON popt.id = po.picking_type_id
             WHERE o.state = 'dead'
            UNION ALL
            SELECT i.id * %(f)s + 6, 'inbound_exception', COALESCE(i.record_ref, i.subject_ref), i.detail,
                   i.create_date, i.partner_code,
                   NULL::integer, NULL::integer, NULL::integer, i.company_id, 'connector.inbound', i.id
              FROM connector_inbound i
             WHERE NOT COALESCE(i.reviewed, FALSE)
               AND (i.outcome IN ('unknown_reference', 'rejected')
                    -- an exception the document itself shows (and lists above) is not listed twice
                    OR (i.outcome = 'exception'
                        AND NOT EXISTS (SELECT 1 FROM connector_document_status news
                                          JOIN purchase_order po ON news.res_model = 'purchase.order' AND po.id = news.res_id
                                         WHERE news.last_inbound_id = i.id
                                           AND %(status)s IN ('rejected', 'exception'))
                        AND NOT EXISTS (SELECT 1 FROM connector_document_status news
                                         WHERE news.res_model = 'stock.picking' AND news.last_inbound_id = i.id
                                           AND news.carrier_status IN ('exception', 'attempt_failed'))))
            UNION ALL
            SELECT o.id * %(f)s + 7, 'backlog', COALESCE(o.subject_ref, o.subject_model) || ' · ' || o.event_type,
                   o.state || COALESCE(': ' || o.last_error, ''), o.create_date, o.partner_code,
                   NULL::integer, COALESCE(spt.warehouse_id, popt.warehouse_id), sp.carrier_id,
                   o.company_id, 'connector.outbox', o.id
              FROM connector_outbox o
              LEFT JOIN stock_picking sp ON o.subject_model = 'stock.picking' AND sp.id = o.subject_id
              LEFT JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
              LEFT JOIN purchase_order po ON o.subject_model = 'purchase.order' AND po.id = o.subject_id
              LEFT JOIN stock_picking_type popt ON popt.id = po.picking_type_id
             WHERE o.state IN ('pending', 'leased', 'failed')
            ) u
            """,
            f=ID_FACTOR, now=now, ack_hours=ack_hours, milestone_hours=milestone_hours,
            status=effective_status_sql("po"), sent_at=effective_sent_at_sql("po"),
        )

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
