#!/usr/bin/env bash
# Install the distribution_connector addon in a fresh database copied from a cached template
# and run its tests in a real Odoo 18. Skipped (exit 0) when ODOO_HOME is not set.
#
# Environment:
#   ODOO_HOME         path of an Odoo 18.0 source tree (the folder holding odoo-bin); required
#   ODOO_PYTHON, ODOO_DB_HOST, ODOO_DB_PORT, ODOO_DB_USER, ODOO_TEMPLATE_DB: see odoo-lib.sh
#   ODOO_TEST_TAGS    --test-tags value (default /distribution_connector; "connector_screens" renders
#                     the staff screens in Chromium and saves screenshots under /tmp/odoo_tests)
#   ODOO_TEST_LOG     where the Odoo log goes (default a temporary file, printed at the end)
#   KEEP_DB=1         keep the test database instead of dropping it
set -euo pipefail

if [ -z "${ODOO_HOME:-}" ]; then
  echo "ODOO_HOME not set: skipping real-Odoo tests"
  exit 0
fi

# shellcheck source=scripts/odoo-lib.sh
. "$(dirname "$0")/odoo-lib.sh"
TEMPLATE="$(ensure_template)"

DB="odc_test_$(date +%s)_$$"
LOG="${ODOO_TEST_LOG:-$(mktemp /tmp/odoo-test.XXXXXX.log)}"
cleanup() {
  if [ "${KEEP_DB:-0}" != "1" ]; then dropdb "${PG[@]}" --if-exists "$DB" 2>/dev/null || true; fi
}
trap cleanup EXIT

echo "== database $DB from $TEMPLATE; log $LOG"
createdb "${PG[@]}" -T "$TEMPLATE" "$DB"
set +e
# A free loopback port: browser tests need Odoo's HTTP server, and 8069 may be in use.
HTTP_PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${ODOO[@]}" -d "$DB" -i "$MODULE" --stop-after-init --http-interface=127.0.0.1 --http-port="$HTTP_PORT" --test-enable --test-tags "${ODOO_TEST_TAGS:-/$MODULE}" --log-level=test > "$LOG" 2>&1
rc=$?
set -e

status=0
summary="$(grep -E 'odoo\.tests\.result: .* of [0-9]+ tests' "$LOG" | tail -n 1 || true)"
if [ -z "$summary" ]; then
  echo "no test result line in the log (did the module install?)" >&2
  status=1
fi
# Any ERROR/CRITICAL line, and any WARNING that concerns the module, fails the run.
problems="$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$LOG" || true)"
problems+="$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ WARNING ' "$LOG" | grep -F "$MODULE" || true)"
if [ -n "$problems" ]; then
  echo "== errors or warnings in the log:" >&2
  echo "$problems" | head -n 60 >&2
  grep -E -A 25 '(FAIL|ERROR): ' "$LOG" | head -n 200 >&2 || true
  status=1
fi
[ "$rc" -eq 0 ] || status=1

failed=$(sed -nE 's/.*: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1/p' <<<"$summary")
errors=$(sed -nE 's/.*: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\2/p' <<<"$summary")
total=$(sed -nE 's/.*: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\3/p' <<<"$summary")
if [ -n "$total" ]; then
  echo "odoo: $((total - failed - errors)) passed, $((failed + errors)) failed"
fi
[ "$status" -eq 0 ] && echo "== real-Odoo tests passed (log: $LOG)" || echo "== real-Odoo tests FAILED (log: $LOG)" >&2
exit "$status"
