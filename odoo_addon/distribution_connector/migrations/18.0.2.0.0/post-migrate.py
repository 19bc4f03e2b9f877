"""18.0.2.0.0: partners' news moves from the documents to connector.document.status.

Before, tracking milestones and the last partner message were stored on stock_picking and
purchase_order, so recording them wrote the row a person may be validating. Odoo keeps the
columns of fields that stopped being stored: copy what they hold, then drop them.
"""

from odoo.tools import SQL, column_exists

PICKING_COLUMNS = {
    "connector_carrier_status": "carrier_status",
    "connector_last_milestone": "last_milestone",
    "connector_last_milestone_at": "last_milestone_at",
    "connector_eta": "eta",
    "connector_tracking_url": "tracking_url",
    "connector_last_inbound_id": "last_inbound_id",
}
ORDER_COLUMNS = {"connector_last_inbound_id": "last_inbound_id"}


def _move(cr, table, res_model, columns):
    present = {old: new for old, new in columns.items() if column_exists(cr, table, old)}
    if not present:
        return
    olds, news = list(present), list(present.values())
    cr.execute(SQL(
        """
        INSERT INTO connector_document_status (res_model, res_id, %(news)s, create_date, write_date)
        SELECT %(res_model)s, t.id, %(olds)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
          FROM %(table)s t
         WHERE %(any_set)s
        ON CONFLICT (res_model, res_id) DO UPDATE SET %(updates)s
        """,
        news=SQL(", ").join(SQL.identifier(name) for name in news),
        res_model=res_model,
        olds=SQL(", ").join(SQL("t.%s", SQL.identifier(name)) for name in olds),
        table=SQL.identifier(table),
        any_set=SQL(" OR ").join(SQL("t.%s IS NOT NULL", SQL.identifier(name)) for name in olds),
        updates=SQL(", ").join(SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name)) for name in news),
    ))
    for name in olds:
        cr.execute(SQL("ALTER TABLE %s DROP COLUMN %s", SQL.identifier(table), SQL.identifier(name)))


def migrate(cr, version):
    if not version:
        return
    _move(cr, "stock_picking", "stock.picking", PICKING_COLUMNS)
    _move(cr, "purchase_order", "purchase.order", ORDER_COLUMNS)
