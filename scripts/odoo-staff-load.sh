#!/usr/bin/env bash
# Staff validating receipts and delivery orders while the sidecar records results, in a real
# Odoo 18 (test/real-odoo/staff-load.ts), then Odoo's own log is searched for serialization
# failures and retried requests: the run fails on any. Skipped when ODOO_HOME is unset.
# STAFF_POS (default 50) and STAFF_DELIVERIES (20) size the run. STAFF_SIDECAR_DOWN=1: the
# sidecar starts only after staff are done, and the run fails on more than 2 nudge log lines.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ODOO_HOME:-}" ]; then
  echo "ODOO_HOME not set: skipping the real-Odoo staff load run"
  exit 0
fi
export ODOO_PORT="${ODOO_PORT:-8171}" ODOO_DB="${ODOO_DB:-odc_staff}" SIDECAR_PORT="${SIDECAR_PORT:-8790}"
export SIDECAR_URL="http://127.0.0.1:$SIDECAR_PORT" NUDGE_SECRET="${NUDGE_SECRET:-staff-nudge-secret-0123456789}"
LOG="/tmp/odoo-serve-$ODOO_DB.log"
# shellcheck source=scripts/odoo-serve-background.sh
. scripts/odoo-serve-background.sh
from=$(wc -l < "$LOG")
status=0
npx tsx test/real-odoo/staff-load.ts || status=$?
serialize=$(tail -n +"$((from + 1))" "$LOG" | grep -c "could not serialize" || true)
retries=$(tail -n +"$((from + 1))" "$LOG" | grep -c "SERIALIZATION_FAILURE" || true)
nudge=$(tail -n +"$((from + 1))" "$LOG" | grep -c "Sidecar nudge" || true)
echo "odoo log ($LOG, this run): 'could not serialize' $serialize, 'SERIALIZATION_FAILURE' $retries, 'Sidecar nudge' $nudge"
[ "$serialize" -eq 0 ] && [ "$retries" -eq 0 ] || status=1
# With the sidecar down during the run (STAFF_SIDECAR_DOWN=1): one warning for the outage and
# one line when it recovers, whatever the number of commits.
if [ "${STAFF_SIDECAR_DOWN:-0}" = "1" ] && [ "$nudge" -gt 2 ]; then status=1; fi
exit "$status"
