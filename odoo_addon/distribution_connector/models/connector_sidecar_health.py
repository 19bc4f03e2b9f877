import logging

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import api, fields, models, sql_db

_logger = logging.getLogger(__name__)

HEALTH_ROW_ID = 1


class ConnectorSidecarHealth(models.Model):
    """Whether the after-commit nudge reaches the sidecar: one row, shared by every Odoo worker.

    While the sidecar is down every commit that created events fails to nudge it. The log
    says so once when an outage starts (the worker that records the first failure) and once
    when a nudge gets through again; the failures in between are only counted here, and the
    settings page shows "sidecar unreachable since ...". Rows wait in the outbox as always.
    """

    _name = "connector.sidecar.health"
    _description = "Integration Sidecar Reachability"

    down_since = fields.Datetime(readonly=True, help="First failed nudge of the current outage; empty when reachable.")
    failures = fields.Integer(readonly=True, help="Failed nudges in the current (or last) outage.")
    last_error = fields.Char(readonly=True)
    last_failure_at = fields.Datetime(readonly=True)
    recovered_at = fields.Datetime(readonly=True, help="When a nudge last got through after an outage.")

    def init(self):
        self.env.cr.execute(
            "INSERT INTO connector_sidecar_health (id, failures) VALUES (%s, 0) ON CONFLICT (id) DO NOTHING",
            [HEALTH_ROW_ID],
        )
        # The id sequence must not hand out the singleton's id again.
        self.env.cr.execute(
            "SELECT setval(pg_get_serial_sequence('connector_sidecar_health', 'id'),"
            " GREATEST((SELECT max(id) FROM connector_sidecar_health), 1))"
        )

    @api.model
    def _get_health(self):
        """The row as a dict (read by the settings page)."""
        self.env.cr.execute(
            "SELECT down_since, failures, last_error, last_failure_at, recovered_at FROM connector_sidecar_health"
            " WHERE id = %s", [HEALTH_ROW_ID],
        )
        row = self.env.cr.fetchone()
        keys = ("down_since", "failures", "last_error", "last_failure_at", "recovered_at")
        return dict(zip(keys, row)) if row else dict.fromkeys(keys)


def record_nudge_outcome(cursor, url, error):
    """Record one nudge's outcome on ``cursor`` (its own transaction) and log only the transitions.

    ``error`` is None for a nudge that got through, else a short reason (never a secret).
    Runs in the nudge thread, after the business transaction committed. READ COMMITTED: two
    workers recording at once wait for each other for a moment, never fail with a
    serialization error, and only the one that starts (or ends) the outage logs it.
    """
    cursor.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
    if error is not None:
        cursor.execute(
            "UPDATE connector_sidecar_health SET down_since = now() AT TIME ZONE 'UTC', failures = 1,"
            " last_error = %s, last_failure_at = now() AT TIME ZONE 'UTC' WHERE id = %s AND down_since IS NULL",
            [error, HEALTH_ROW_ID],
        )
        if cursor.rowcount:
            _logger.warning(
                "Sidecar nudge to %s failed: %s; the sidecar is unreachable (further failures are counted,"
                " not logged, until a nudge gets through; events wait in the outbox)", url, error,
            )
        else:
            cursor.execute(
                "UPDATE connector_sidecar_health SET failures = failures + 1, last_error = %s,"
                " last_failure_at = now() AT TIME ZONE 'UTC' WHERE id = %s",
                [error, HEALTH_ROW_ID],
            )
        cursor.commit()
        return
    cursor.execute(
        "UPDATE connector_sidecar_health AS h SET down_since = NULL, recovered_at = now() AT TIME ZONE 'UTC'"
        "  FROM (SELECT id, down_since, failures FROM connector_sidecar_health"
        "         WHERE id = %s AND down_since IS NOT NULL FOR UPDATE) AS old"
        " WHERE h.id = old.id RETURNING old.down_since, old.failures",
        [HEALTH_ROW_ID],
    )
    row = cursor.fetchone()
    cursor.commit()
    if row:
        _logger.info(
            "Sidecar nudge to %s gets through again: unreachable since %s UTC, %d failed nudges",
            url, row[0].strftime("%Y-%m-%d %H:%M:%S"), row[1],
        )


def note_nudge_outcome(database, url, error):
    """``record_nudge_outcome`` on a connection of its own; a database problem is logged once per process."""
    try:
        with sql_db.db_connect(database).cursor() as cursor:
            record_nudge_outcome(cursor, url, error)
    except Exception as exc:  # noqa: BLE001 - never let the nudge thread die loudly
        if not _fallback_state.get("db_error"):
            _fallback_state["db_error"] = True
            _logger.warning("Sidecar nudge outcome not recorded: %s", exc.__class__.__name__)
        return
    _fallback_state["db_error"] = False


_fallback_state = {}
