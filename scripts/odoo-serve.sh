#!/usr/bin/env bash
# Serve an Odoo 18 database with the distribution_connector addon on 127.0.0.1 for the sidecar.
#
# Creates the database from the cached template if it is missing (and installs the addon, or
# updates it when the database exists), makes sure the integration user exists (login
# "connector", group "Distribution Connector: Integration" only), gives it a fresh API key
# (scope "rpc"), sets the nudge parameters, prints the sidecar's settings:
#
#   ODOO_URL=http://127.0.0.1:<port>
#   ODOO_DB=<db>
#   ODOO_USER=connector
#   ODOO_API_KEY=<key>
#
# then runs the server in the foreground (Ctrl-C stops it).
#
# Environment:
#   ODOO_HOME          path of an Odoo 18.0 source tree; required
#   ODOO_PORT          HTTP port (default 8069)
#   ODOO_DB            database name (default odc_serve)
#   SIDECAR_URL        sets distribution_connector.sidecar_url (unset: left as it is; empty: cleared)
#   NUDGE_SECRET       sets distribution_connector.nudge_secret (same rules)
#   ODOO_ENV_FILE      also write the four lines above to this file (mode 600)
#   ODOO_SETUP_ONLY=1  prepare and print, but do not serve
#   ODOO_PYTHON, ODOO_DB_HOST, ODOO_DB_PORT, ODOO_DB_USER, ODOO_TEMPLATE_DB: see odoo-lib.sh
set -euo pipefail

if [ -z "${ODOO_HOME:-}" ]; then
  echo "ODOO_HOME not set: cannot serve Odoo" >&2
  exit 2
fi
# shellcheck source=scripts/odoo-lib.sh
. "$(dirname "$0")/odoo-lib.sh"

PORT="${ODOO_PORT:-8069}"
DB="${ODOO_DB:-odc_serve}"
LOG="/tmp/odoo-serve-$DB.log"

if db_exists "$DB"; then
  echo "== updating $MODULE in $DB" >&2
  "${ODOO[@]}" -d "$DB" -u "$MODULE" --stop-after-init --log-level=warn > "$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; exit 1; }
else
  TEMPLATE="$(ensure_template)"
  echo "== creating $DB from $TEMPLATE and installing $MODULE" >&2
  createdb "${PG[@]}" -T "$TEMPLATE" "$DB"
  "${ODOO[@]}" -d "$DB" -i "$MODULE" --stop-after-init --log-level=warn > "$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; exit 1; }
fi

# One step, the same command IT runs against an existing database (README, "Deployment").
# It reads SIDECAR_URL / NUDGE_SECRET from the environment (unset: left as they are).
KEY_LINE="$(ODC_KEY_NAME="sidecar (scripts/odoo-serve.sh)" \
  "${ODOO_BIN[@]}" shell "${ODOO_OPTS[@]}" -d "$DB" --no-http --log-level=warn \
  < "$ROOT/scripts/odoo-setup-integration.py" 2>>"$LOG" | grep '^ODOO_API_KEY=' || true)"
if [ -z "$KEY_LINE" ]; then
  echo "could not create the integration user's API key (log: $LOG)" >&2
  exit 1
fi

SETTINGS="ODOO_URL=http://127.0.0.1:$PORT
ODOO_DB=$DB
ODOO_USER=connector
$KEY_LINE"
echo "$SETTINGS"
if [ -n "${ODOO_ENV_FILE:-}" ]; then
  (umask 077 && echo "$SETTINGS" > "$ODOO_ENV_FILE")
fi

if [ "${ODOO_SETUP_ONLY:-0}" = "1" ]; then
  exit 0
fi
echo "== serving $DB on http://127.0.0.1:$PORT (log: $LOG)" >&2
exec "${ODOO[@]}" -d "$DB" --db-filter="^${DB}\$" --http-interface=127.0.0.1 --http-port="$PORT" \
  --max-cron-threads=1 --log-level=info --logfile="$LOG"
