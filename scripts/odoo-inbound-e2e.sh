#!/usr/bin/env bash
# The inbound scenarios against a real Odoo 18: serves a database with the addon
# (scripts/odoo-serve.sh), runs test/real-odoo/inbound.ts (real sidecar, partners' documents
# posted to POST /inbound/<partner>, applied by the addon's connector.inbound.apply_events),
# stops Odoo. Skipped, with a message, when ODOO_HOME is unset.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ODOO_HOME:-}" ]; then
  echo "ODOO_HOME not set: skipping the real-Odoo inbound scenarios"
  exit 0
fi
export ODOO_PORT="${ODOO_PORT:-8171}" ODOO_DB="${ODOO_DB:-odc_inbound_e2e}" SIDECAR_PORT="${SIDECAR_PORT:-8791}"
envfile="$(mktemp)"
ODOO_ENV_FILE="$envfile" bash scripts/odoo-serve.sh > /dev/null &
serve_pid=$!
# odoo-serve.sh execs Odoo: its pid is the server's.
trap 'kill $serve_pid 2>/dev/null; wait $serve_pid 2>/dev/null; rm -f "$envfile"' EXIT
for _ in $(seq 1 300); do
  if [ -s "$envfile" ] && curl -fs -o /dev/null -X POST -H 'content-type: application/json' \
      -d '{"jsonrpc":"2.0","method":"call","params":{"service":"common","method":"version","args":[]}}' \
      "http://127.0.0.1:$ODOO_PORT/jsonrpc"; then
    break
  fi
  kill -0 $serve_pid 2>/dev/null || { echo "odoo-serve.sh exited early" >&2; exit 1; }
  sleep 1
done
set -a; . "$envfile"; set +a
npx tsx test/real-odoo/inbound.ts
