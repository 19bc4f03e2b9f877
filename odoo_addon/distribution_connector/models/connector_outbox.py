import json
import logging
import threading
import time
import uuid
from functools import partial

import requests
from psycopg2.extras import Json

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL, create_index

from ..tools import envelope as envelope_tools
from ..tools import nudge as nudge_tools
from ..tools import results as results_tools
from .connector_sidecar_health import note_nudge_outcome

_logger = logging.getLogger(__name__)

PARAM_SIDECAR_URL = "distribution_connector.sidecar_url"
PARAM_NUDGE_SECRET = "distribution_connector.nudge_secret"
NUDGE_TIMEOUT_SECONDS = 2
# Key of the per-transaction nudge state in cr.postcommit.data: one nudge per commit.
NUDGE_DATA_KEY = "distribution_connector.nudge"
DEAD_ACTIVITY_XMLID = "distribution_connector.mail_activity_type_connector_dead"
# Delivering one of these to the vendor means the order waits for the vendor's answer.
ORDER_SENT_EVENT_TYPES = ("purchase_order.confirmed", "purchase_order.changed")

# Which current states a reported result may move a row from. A delivered row is
# never moved back; pending rows (re-queued by Retry, not claimed since) and
# cancelled rows are left alone.
RESULT_SOURCE_STATES = {
    "delivered": ("leased", "failed", "dead"),
    "failed": ("leased", "failed"),
    "dead": ("leased", "failed"),
}
# When one call reports an event more than once, the most final outcome wins.
RESULT_PRECEDENCE = {"failed": 0, "dead": 1, "delivered": 2}
# reconcile_view: at most this many event ids per call, and this many leased rows listed.
RECONCILE_MAX_IDS = 5000


def send_nudge(url, body, signature, database=None):
    """POST one nudge; runs in a daemon thread after commit.

    A failure is logged once per outage, not once per commit: the outcome goes to
    connector.sidecar.health of ``database`` (shared by every worker, shown on the settings
    page), which logs only when an outage starts and when a nudge gets through again. Without
    ``database``, this process alone remembers the outage.
    """
    headers = {"Content-Type": "application/json", nudge_tools.SIGNATURE_HEADER: signature}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=NUDGE_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        error = exc.__class__.__name__
    else:
        error = "HTTP %s" % response.status_code if response.status_code >= 300 else None
    if database:
        note_nudge_outcome(database, url, error)
    else:
        _note_nudge_outcome_in_process(url, error)
    return error


# Outages seen by this process, by URL, when no database records them.
_PROCESS_OUTAGES = {}


def _note_nudge_outcome_in_process(url, error):
    if error is not None:
        if url not in _PROCESS_OUTAGES:
            _PROCESS_OUTAGES[url] = 1
            _logger.warning("Sidecar nudge to %s failed: %s; further failures are not logged until it answers", url, error)
        else:
            _PROCESS_OUTAGES[url] += 1
    elif url in _PROCESS_OUTAGES:
        _logger.info("Sidecar nudge to %s gets through again after %d failures", url, _PROCESS_OUTAGES.pop(url))


def dispatch_nudge(url, body, signature, database=None):
    """Send the nudge off the request thread. Tests patch this function."""
    thread = threading.Thread(
        target=send_nudge, args=(url, body, signature), kwargs={"database": database},
        name="distribution_connector.nudge", daemon=True,
    )
    thread.start()
    return thread


def _run_nudge(state):
    """Post-commit callback: the transaction that created ``state["count"]`` rows is committed."""
    if not state["secret"]:
        _logger.warning("Sidecar nudge skipped: %s is not set", PARAM_NUDGE_SECRET)
        return
    body = nudge_tools.nudge_body(state["database"], state["count"])
    signature = nudge_tools.sign(state["secret"], body, int(time.time()))
    dispatch_nudge(nudge_tools.nudge_url(state["url"]), body, signature, database=state["database"])


class ConnectorOutbox(models.Model):
    _name = "connector.outbox"
    _description = "Integration Outbox Event"
    _order = "id desc"
    _rec_name = "event_uuid"
    _rec_names_search = ["event_uuid", "subject_ref", "event_type"]

    event_uuid = fields.Char(
        string="Event ID", required=True, readonly=True, copy=False,
        help="The event's UUID: idempotency key for the sidecar and partners.",
    )
    event_type = fields.Char(string="Event Type", required=True, readonly=True)
    subject_model = fields.Char(string="Subject Model", required=True, readonly=True)
    subject_id = fields.Integer(string="Subject ID", required=True, readonly=True)
    subject_ref = fields.Char(string="Subject", readonly=True)
    sequence = fields.Integer(
        required=True, readonly=True, help="Position of the event among its subject's events, from 1."
    )
    payload = fields.Json(readonly=True, help="The canonical envelope, as sent.")
    payload_display = fields.Text(string="Payload (JSON)", compute="_compute_payload_display")
    partner_code = fields.Char(
        readonly=True, index=True, help="Routing code of the partner concerned (e.g. the vendor's code)."
    )
    state = fields.Selection(
        selection=[
            ("pending", "Pending"),
            ("leased", "Leased"),
            ("delivered", "Delivered"),
            ("failed", "Failed"),
            ("dead", "Dead"),
            ("cancelled", "Cancelled"),
        ],
        required=True, default="pending", readonly=True,
    )
    attempts = fields.Integer(default=0, readonly=True)
    last_error = fields.Text(readonly=True)
    lease_until = fields.Datetime(readonly=True)
    lease_token = fields.Char(readonly=True, groups="base.group_system")
    lease_consumer = fields.Char(
        readonly=True, groups="base.group_system", help="The sidecar replica holding the lease (its stable identity)."
    )
    lease_generation = fields.Integer(
        readonly=True, groups="base.group_system",
        help="Which start of that replica took the lease: a later start takes the row back at once.",
    )
    delivered_at = fields.Datetime(readonly=True)
    replay = fields.Boolean(
        readonly=True, help="Staff pressed Retry: the sidecar re-delivers even if it has the event already."
    )
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    create_date = fields.Datetime(readonly=True)

    # The unique constraint on event_uuid is also its index.
    _sql_constraints = [
        ("event_uuid_uniq", "unique (event_uuid)", "An event ID must be unique."),
        (
            "subject_sequence_uniq",
            "unique (subject_model, subject_id, sequence)",
            "A subject cannot have two events with the same sequence.",
        ),
    ]

    def init(self):
        create_index(self.env.cr, "connector_outbox_state_id_index", self._table, ["state", "id"])
        # Claim path: only claimable rows are in this index, in id order, so a claim walks
        # it and stops at its limit however many delivered rows the table holds (the plain
        # (state, id) index made PostgreSQL bitmap-OR and sort every pending and leased row:
        # 150 ms for one row on a 50,000-row outbox here).
        create_index(
            self.env.cr, "connector_outbox_claimable_idx", self._table, ["id"],
            where="state IN ('pending', 'leased')",
        )
        # A queue table: every row is updated two or three times within seconds. With the
        # default thresholds (20% of the table) autovacuum and analyze lag far behind, the
        # planner works from stale statistics over bloated indexes and claims slow down ten
        # times over (bench/README.md, "Design measurements").
        self.env.cr.execute(SQL(
            "ALTER TABLE %s SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,"
            " autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 1000)",
            SQL.identifier(self._table),
        ))

    @api.depends("subject_ref", "event_type", "sequence")
    def _compute_display_name(self):
        for row in self:
            row.display_name = "%s · %s #%s" % (row.subject_ref or row.subject_model, row.event_type, row.sequence)

    @api.depends("payload")
    def _compute_payload_display(self):
        for row in self:
            row.payload_display = json.dumps(row.payload, indent=2, ensure_ascii=False) if row.payload else False

    # ------------------------------------------------------------------
    # Emission (business hooks)
    # ------------------------------------------------------------------

    @api.model
    def _emit(self, event_type, record, data, partner_code=None, company=None):
        """Insert the event about ``record`` in the current transaction; return the outbox row.

        The event belongs to ``company``, else to the record's company, else to the current one.
        """
        record.ensure_one()
        if not company:
            company = (
                record.company_id if "company_id" in record._fields and record.company_id else self.env.company
            )
        # The envelope is built with sequence 1; the real one is taken and written into the row
        # and its payload by the same statement (one round trip, in every confirmation).
        payload = envelope_tools.build_envelope(
            event_type=event_type,
            occurred_at=fields.Datetime.now(),
            database=self.env.cr.dbname,
            company_id=company.id,
            company_name=company.name,
            subject_model=record._name,
            subject_id=record.id,
            subject_ref=record.display_name,
            sequence=1,
            data=data,
        )
        # A plain insert: nothing of the ORM's create (defaults, computes, tracking) applies to
        # this technical row. The sequence comes from connector.outbox.sequence (see there why).
        self.env.cr.execute(SQL(
            """
            WITH taken AS (%(take)s)
            INSERT INTO connector_outbox
                   (event_uuid, event_type, subject_model, subject_id, subject_ref, sequence, payload,
                    partner_code, company_id, state, attempts, replay,
                    create_uid, create_date, write_uid, write_date)
            SELECT %(uuid)s, %(type)s, %(model)s, %(res_id)s, %(ref)s, taken.last_sequence,
                   jsonb_set(%(payload)s::jsonb, '{sequence}', to_jsonb(taken.last_sequence)),
                   %(partner_code)s, %(company)s, 'pending', 0, FALSE,
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM taken
            RETURNING id
            """,
            take=self.env["connector.outbox.sequence"]._take_sql(record._name, record.id),
            uuid=payload["id"], type=event_type, model=record._name, res_id=record.id,
            ref=payload["subject"]["ref"], payload=Json(payload), partner_code=partner_code or None,
            company=company.id, uid=self.env.uid,
        ))
        row = self.browse(self.env.cr.fetchone()[0])
        self._schedule_nudge(1)
        return row

    @api.model
    def _last_payload(self, record, event_types):
        """The envelope of the latest event of one of ``event_types`` about ``record``, or None."""
        row = self.sudo().search(
            [
                ("subject_model", "=", record._name),
                ("subject_id", "=", record.id),
                ("event_type", "in", list(event_types)),
            ],
            order="sequence desc",
            limit=1,
        )
        return row.payload or None

    @api.model
    def _schedule_nudge(self, count):
        """Arrange one nudge to the sidecar after this transaction commits."""
        cr = self.env.cr
        state = cr.postcommit.data.get(NUDGE_DATA_KEY)
        if state is None:
            params = self.env["ir.config_parameter"].sudo()
            url = (params.get_param(PARAM_SIDECAR_URL) or "").strip()
            if not url:
                return
            state = {
                "url": url,
                "secret": params.get_param(PARAM_NUDGE_SECRET) or "",
                "database": cr.dbname,
                "count": 0,
            }
            state["callback"] = partial(_run_nudge, state)
            cr.postcommit.data[NUDGE_DATA_KEY] = state
            cr.postcommit.add(state["callback"])
        state["count"] += count

    # ------------------------------------------------------------------
    # JSON-RPC surface for the sidecar (contracts/odoo-rpc.md)
    # ------------------------------------------------------------------

    @api.model
    def _check_integration_access(self):
        if not self.env.user.has_group("distribution_connector.group_connector_integration"):
            raise AccessError(_("Only the integration user may claim outbox events or record their results."))

    @api.model
    def _company_filter(self):
        return SQL(
            "(company_id IS NULL OR company_id = ANY(%s))", self.env.user.company_ids.ids
        )

    @api.model
    def claim_batch(self, limit=500, lease_seconds=120, raw_payload=False, consumer=None, generation=None):
        """Lease up to ``limit`` pending (or lease-expired) events, oldest first.

        With ``raw_payload`` each event comes as its JSON text (``event_json``) rather than
        as an object: PostgreSQL hands the stored jsonb over as text, so Python neither
        parses nor re-serialises a thousand payloads per call.

        ``consumer`` (the replica's stable identity) and ``generation`` (which start of that
        replica is calling, increasing): rows still leased by an earlier generation of the same
        consumer are claimed again at once. A replica killed between Odoo committing a claim
        and storing its answer takes its rows back when it restarts, not when the lease ends.
        """
        self._check_integration_access()
        if not isinstance(raw_payload, bool):
            raise ValidationError(_("raw_payload must be true or false"))
        try:
            limit, lease_seconds = results_tools.check_claim_args(limit, lease_seconds)
            consumer, generation = results_tools.check_consumer_args(consumer, generation)
        except results_tools.InvalidInput as exc:
            raise ValidationError(str(exc)) from None
        self.flush_model()
        cr = self.env.cr
        cr.execute(SQL(
            "SELECT (now() AT TIME ZONE 'UTC') + make_interval(secs => %s)", lease_seconds
        ))
        lease_until = cr.fetchone()[0]
        lease_token = uuid.uuid4().hex
        cr.execute(SQL(
            """
            UPDATE connector_outbox
               SET state = 'leased', lease_until = %(lease_until)s, lease_token = %(token)s,
                   lease_consumer = %(consumer)s, lease_generation = %(generation)s,
                   attempts = COALESCE(attempts, 0) + 1, write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
             WHERE id IN (
                   SELECT id FROM connector_outbox
                    WHERE state IN ('pending', 'leased')
                      AND (state = 'pending' OR lease_until < now() AT TIME ZONE 'UTC' %(taken_back)s)
                      AND %(company_filter)s
                    ORDER BY id
                    LIMIT %(limit)s
                      FOR UPDATE SKIP LOCKED)
            RETURNING id, %(payload)s, replay
            """,
            lease_until=lease_until, token=lease_token, uid=self.env.uid,
            consumer=consumer, generation=generation,
            taken_back=SQL(
                "OR (lease_consumer = %s AND lease_generation < %s)", consumer, generation
            ) if consumer else SQL(""),
            company_filter=self._company_filter(), limit=limit,
            payload=SQL("payload::text") if raw_payload else SQL("payload"),
        ))
        rows = sorted(cr.fetchall())
        self.invalidate_model([
            "state", "lease_until", "lease_token", "lease_consumer", "lease_generation", "attempts", "write_uid",
            "write_date",
        ])
        return {
            "lease_token": lease_token,
            "lease_until": envelope_tools.utc_iso(lease_until),
            "events": [
                {"outbox_id": row_id, "replay": bool(replay), ("event_json" if raw_payload else "event"): payload}
                for row_id, payload, replay in rows
            ],
        }

    @api.model
    def record_results(self, results):
        """Record the sidecar's delivery outcomes, set-based; see contracts/odoo-rpc.md."""
        self._check_integration_access()
        try:
            parsed = results_tools.parse_results(results)
        except results_tools.InvalidInput as exc:
            raise ValidationError(str(exc)) from None
        by_event = {}
        for entry in parsed:
            kept = by_event.get(entry["event_id"])
            if kept is None or RESULT_PRECEDENCE[entry["state"]] >= RESULT_PRECEDENCE[kept["state"]]:
                by_event[entry["event_id"]] = entry
        if not by_event:
            return {"updated": 0, "unknown": [], "ignored": []}

        self.flush_model()
        cr = self.env.cr
        event_ids = list(by_event)
        cr.execute(SQL(
            "SELECT event_uuid FROM connector_outbox WHERE event_uuid = ANY(%s) AND %s",
            event_ids, self._company_filter(),
        ))
        known = {row[0] for row in cr.fetchall()}
        rows = [
            {
                "event_id": entry["event_id"],
                "state": entry["state"],
                "attempts": entry["attempts"],
                "error": self._format_result_error(entry),
                "at": entry["at"] and entry["at"].isoformat(),
            }
            for entry in by_event.values()
            if entry["event_id"] in known
        ]
        updated = []
        if rows:
            cr.execute(SQL(
                """
                UPDATE connector_outbox AS o
                   SET state = r.state,
                       last_error = r.error,
                       attempts = GREATEST(COALESCE(o.attempts, 0), COALESCE(r.attempts, 0)),
                       delivered_at = CASE WHEN r.state = 'delivered'
                                           THEN COALESCE(r.at, now() AT TIME ZONE 'UTC')
                                           ELSE o.delivered_at END,
                       lease_until = NULL,
                       lease_token = NULL,
                       lease_consumer = NULL,
                       lease_generation = NULL,
                       write_uid = %(uid)s,
                       write_date = now() AT TIME ZONE 'UTC'
                  FROM jsonb_to_recordset(%(rows)s::jsonb)
                       AS r(event_id varchar, state varchar, attempts integer, error text, at timestamp)
                 WHERE o.event_uuid = r.event_id
                   AND (   (r.state = 'delivered' AND o.state = ANY(%(from_delivered)s))
                        OR (r.state = 'failed' AND o.state = ANY(%(from_failed)s))
                        OR (r.state = 'dead' AND o.state = ANY(%(from_dead)s)))
                RETURNING o.id, o.event_uuid, o.state, o.event_type, o.subject_model, o.subject_id, o.delivered_at
                """,
                uid=self.env.uid, rows=Json(rows),
                from_delivered=list(RESULT_SOURCE_STATES["delivered"]),
                from_failed=list(RESULT_SOURCE_STATES["failed"]),
                from_dead=list(RESULT_SOURCE_STATES["dead"]),
            ))
            updated = cr.fetchall()
            self.invalidate_model([
                "state", "last_error", "attempts", "delivered_at", "lease_until", "lease_token", "lease_consumer",
                "lease_generation", "write_uid", "write_date",
            ])
        updated_uuids = {row[1] for row in updated}
        dead_ids = [row[0] for row in updated if row[2] == "dead"]
        if dead_ids:
            self.browse(dead_ids).sudo()._notify_dead_letters()
        self._mark_orders_sent(updated)
        return {
            "updated": len(updated),
            "unknown": [event_id for event_id in event_ids if event_id not in known],
            "ignored": [event_id for event_id in event_ids if event_id in known and event_id not in updated_uuids],
        }

    @api.model
    def reconcile_view(self, event_ids=None, consumer=None, limit=1000):
        """What the outbox holds for the sidecar's reconciliation; changes nothing.

        ``event_ids`` (at most 5000 UUIDs): those rows, whatever their state. ``consumer``: also
        the rows ``leased`` to that consumer, and the ``leased`` rows whose lease has run out
        (whoever holds them), oldest first, at most ``limit`` (1 to 5000) of them;
        ``leased_truncated`` says when there were more. ``now`` is the database's clock, to
        judge leases by. Same company scope as ``claim_batch``. See contracts/odoo-rpc.md.
        """
        self._check_integration_access()
        if event_ids is None:
            event_ids = []
        if not isinstance(event_ids, list) or len(event_ids) > RECONCILE_MAX_IDS:
            raise ValidationError(_("event_ids must be a list of at most %s event ids", RECONCILE_MAX_IDS))
        try:
            ids = [results_tools._canonical_uuid(event_id) for event_id in event_ids]
        except results_tools.InvalidInput as exc:
            raise ValidationError(str(exc)) from None
        if consumer is not None and (
            not isinstance(consumer, str)
            or not 1 <= len(consumer) <= results_tools.CONSUMER_MAX_LENGTH
            or not results_tools._CONSUMER_RE.fullmatch(consumer)
        ):
            raise ValidationError(_("consumer must be a string of 1 to 128 letters, digits or . _ : -"))
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= RECONCILE_MAX_IDS:
            raise ValidationError(_("limit must be an integer from 1 to %s", RECONCILE_MAX_IDS))
        self.flush_model()
        cr = self.env.cr
        cr.execute(SQL("SELECT now() AT TIME ZONE 'UTC'"))
        now = cr.fetchone()[0]
        columns = SQL(
            "id, event_uuid, state, replay, lease_consumer, lease_generation, lease_until, attempts"
        )
        found = {}
        if ids:
            cr.execute(SQL(
                "SELECT %s FROM connector_outbox WHERE event_uuid = ANY(%s) AND %s",
                columns, ids, self._company_filter(),
            ))
            found.update((row[0], row) for row in cr.fetchall())
        truncated = False
        if consumer is not None:
            # "state IN (...)" lets PostgreSQL walk the claim path's partial index.
            cr.execute(SQL(
                """
                SELECT %(columns)s FROM connector_outbox
                 WHERE state IN ('pending', 'leased') AND state = 'leased'
                   AND (lease_consumer = %(consumer)s OR lease_until < %(now)s)
                   AND %(company_filter)s
                 ORDER BY id LIMIT %(limit)s
                """,
                columns=columns, consumer=consumer, now=now, company_filter=self._company_filter(), limit=limit + 1,
            ))
            leased = cr.fetchall()
            truncated = len(leased) > limit
            found.update((row[0], row) for row in leased[:limit])
        return {
            "now": envelope_tools.utc_iso(now),
            "leased_truncated": truncated,
            "rows": [
                {
                    "outbox_id": row_id,
                    "event_id": event_uuid,
                    "state": state,
                    "replay": bool(replay),
                    "lease_consumer": lease_consumer or None,
                    "lease_generation": lease_generation or None,
                    "lease_until": envelope_tools.utc_iso(lease_until),
                    "attempts": attempts or 0,
                }
                for row_id, event_uuid, state, replay, lease_consumer, lease_generation, lease_until, attempts
                in (found[key] for key in sorted(found))
            ],
        }

    @api.model
    def _mark_orders_sent(self, updated):
        """Orders whose new version reached the vendor now wait for the vendor's answer."""
        delivered_at = {}
        for _id, _uuid, state, event_type, subject_model, subject_id, at in updated:
            if state == "delivered" and subject_model == "purchase.order" and event_type in ORDER_SENT_EVENT_TYPES:
                delivered_at[subject_id] = max(at, delivered_at.get(subject_id, at))
        if delivered_at:
            orders = self.env["purchase.order"].sudo().browse(list(delivered_at)).exists()
            orders._connector_mark_sent(delivered_at)

    @api.model
    def _format_result_error(self, entry):
        error = entry["error"]
        if error is None or entry["state"] == "delivered":
            return None
        if entry["partner"]:
            return "[%s] %s" % (entry["partner"], error)
        return error

    # ------------------------------------------------------------------
    # Dead letters: a person is told on the business document
    # ------------------------------------------------------------------

    def _subject_record(self):
        self.ensure_one()
        if self.subject_model not in self.env:
            return None
        record = self.env[self.subject_model].browse(self.subject_id).exists()
        return record or None

    def _dead_letter_responsible(self, subject):
        if "user_id" in subject._fields and subject.user_id and subject.user_id.active:
            return subject.user_id
        managers = self.env.ref("distribution_connector.group_connector_manager").users.filtered(
            lambda user: not user.share and user.active
        )
        return managers[:1]

    def _notify_dead_letters(self):
        activity_type = self.env.ref(DEAD_ACTIVITY_XMLID, raise_if_not_found=False)
        if not activity_type:
            return
        for row in self:
            subject = row._subject_record()
            if subject is None or not hasattr(subject, "activity_schedule"):
                continue
            if subject.activity_ids.filtered(lambda act: act.activity_type_id == activity_type):
                continue
            responsible = row._dead_letter_responsible(subject)
            if not responsible:
                continue
            subject.activity_schedule(
                DEAD_ACTIVITY_XMLID,
                summary=_("Partner integration failed: %(type)s", type=row.event_type),
                note=row.last_error or "",
                user_id=responsible.id,
            )

    # ------------------------------------------------------------------
    # Staff actions
    # ------------------------------------------------------------------

    def action_retry(self):
        """Send the events again: back to pending, flagged as a replay."""
        if not self.env.user.has_group("distribution_connector.group_connector_user"):
            raise AccessError(_("Only integration staff may retry outbox events."))
        rows = self.filtered(lambda row: row.state in ("failed", "dead", "delivered"))
        if not rows:
            return True
        rows.sudo().write({
            "state": "pending",
            "replay": True,
            "lease_until": False,
            "lease_token": False,
            "lease_consumer": False,
            "lease_generation": 0,
        })
        rows._clear_dead_letter_activities()
        self._schedule_nudge(len(rows))
        return True

    def action_cancel(self):
        """Never send these events (those already delivered stay delivered)."""
        if not self.env.user.has_group("distribution_connector.group_connector_manager"):
            raise AccessError(_("Only integration managers may cancel outbox events."))
        rows = self.filtered(lambda row: row.state in ("pending", "leased", "failed", "dead"))
        rows.sudo().write({
            "state": "cancelled", "lease_until": False, "lease_token": False, "lease_consumer": False,
            "lease_generation": 0,
        })
        rows._clear_dead_letter_activities()
        return True

    def _clear_dead_letter_activities(self):
        activity_type = self.env.ref(DEAD_ACTIVITY_XMLID, raise_if_not_found=False)
        if not activity_type:
            return
        for row in self.sudo():
            subject = row._subject_record()
            if subject is None or "activity_ids" not in subject._fields:
                continue
            still_dead = self.sudo().search_count([
                ("subject_model", "=", row.subject_model),
                ("subject_id", "=", row.subject_id),
                ("state", "=", "dead"),
            ])
            if not still_dead:
                subject.activity_ids.filtered(lambda act: act.activity_type_id == activity_type).unlink()

    # ------------------------------------------------------------------
    # Retention (daily cron)
    # ------------------------------------------------------------------

    @api.model
    def _purge_old_rows(self, limit=5000):
        """Delete up to ``limit`` delivered or cancelled rows older than the retention; return how many.

        Sequences are kept per subject in connector.outbox.sequence, so a subject whose events
        are all deleted still goes on from its last sequence.
        """
        self.flush_model()
        days = self.env["connector.inbound"]._retention_days()
        self.env.cr.execute(SQL(
            """
            DELETE FROM connector_outbox WHERE id IN (
                SELECT o.id FROM connector_outbox o
                 WHERE o.state IN ('delivered', 'cancelled')
                   AND COALESCE(o.delivered_at, o.write_date) < (now() AT TIME ZONE 'UTC') - make_interval(days => %s)
                 ORDER BY o.id LIMIT %s)
            """,
            days, limit,
        ))
        count = self.env.cr.rowcount
        if count:
            self.invalidate_model()
        return count

    @api.model
    def _cron_purge_retention(self, limit=5000):
        """Purge old outbox rows and partner messages, a batch per run; runs again soon while more remain."""
        outbox = self._purge_old_rows(limit)
        inbound = self.env["connector.inbound"]._purge_old_rows(limit)
        more = outbox == limit or inbound == limit
        _logger.info("Integration retention: %d outbox rows and %d partner messages deleted", outbox, inbound)
        self.env["ir.cron"]._notify_progress(done=outbox + inbound, remaining=1 if more else 0)
        return outbox + inbound
