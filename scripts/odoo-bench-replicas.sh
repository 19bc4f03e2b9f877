#!/usr/bin/env bash
# Runs bench/replicas.ts (naive relay, one sidecar on SQLite, 1-3 replicas on PostgreSQL)
# against a real Odoo 18 served by scripts/odoo-serve.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ODOO_HOME:-}" ]; then
  echo "ODOO_HOME not set: skipping the real-Odoo replicas benchmark"
  exit 0
fi
export ODOO_PORT="${ODOO_PORT:-8170}" ODOO_DB="${ODOO_DB:-odc_bench}"
# No nudges during a benchmark: the sidecars poll.
export SIDECAR_URL="" NUDGE_SECRET=""
# shellcheck source=scripts/odoo-serve-background.sh
. scripts/odoo-serve-background.sh
# The seeded rows are clones of a real purchase_order.confirmed payload: make one.
SIDECAR_PORT=0 NUDGE_SECRET=bench-nudge-secret-0123456789 npx tsx test/real-odoo/e2e.ts > /dev/null 2>&1 || true
npx tsx bench/replicas.ts
