#!/usr/bin/env bash
# Runs bench/real-odoo.ts against a real Odoo 18 served by scripts/odoo-serve.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ODOO_HOME:-}" ]; then
  echo "ODOO_HOME not set: skipping the real-Odoo benchmark"
  exit 0
fi
export ODOO_PORT="${ODOO_PORT:-8170}" ODOO_DB="${ODOO_DB:-odc_bench}"
envfile="$(mktemp)"
# Odoo's own settings for a benchmark: a few workers so JSON-RPC calls run in parallel.
ODOO_ENV_FILE="$envfile" SIDECAR_URL="" NUDGE_SECRET="" bash scripts/odoo-serve.sh > /dev/null &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null; pkill -f "odoo-bin.*-d $ODOO_DB " 2>/dev/null; rm -f "$envfile"' EXIT
for _ in $(seq 1 300); do
  if [ -s "$envfile" ] && curl -fs -o /dev/null -X POST -H 'content-type: application/json' \
      -d '{"jsonrpc":"2.0","method":"call","params":{"service":"common","method":"version","args":[]}}' \
      "http://127.0.0.1:$ODOO_PORT/jsonrpc"; then break; fi
  kill -0 $serve_pid 2>/dev/null || { echo "odoo-serve.sh exited early" >&2; exit 1; }
  sleep 1
done
set -a; . "$envfile"; set +a
# The benchmark seeds rows cloned from a real purchase_order.confirmed payload: make one.
SIDECAR_PORT=0 NUDGE_SECRET=bench-nudge-secret-0123456789 npx tsx test/real-odoo/e2e.ts > /dev/null 2>&1 || true
npx tsx bench/real-odoo.ts
