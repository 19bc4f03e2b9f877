#!/usr/bin/env bash
# Runs a benchmark (bench/real-odoo.ts, or the script given: bench/replicas.ts) against a
# real Odoo 18 served by scripts/odoo-serve.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ODOO_HOME:-}" ]; then
  echo "ODOO_HOME not set: skipping the real-Odoo benchmark"
  exit 0
fi
export ODOO_PORT="${ODOO_PORT:-8170}" ODOO_DB="${ODOO_DB:-odc_bench}"
# No nudges during a benchmark: the sidecar polls.
export SIDECAR_URL="" NUDGE_SECRET=""
# shellcheck source=scripts/odoo-serve-background.sh
. scripts/odoo-serve-background.sh
# The benchmark seeds rows cloned from a real purchase_order.confirmed payload: make one.
SIDECAR_PORT=0 NUDGE_SECRET=bench-nudge-secret-0123456789 npx tsx test/real-odoo/e2e.ts > /dev/null 2>&1 || true
# BENCH_PROFILE_DIR=<dir>: a V8 CPU profile of the bench process (the sidecar runs in it) goes there.
npx tsx ${BENCH_PROFILE_DIR:+--cpu-prof --cpu-prof-dir="$BENCH_PROFILE_DIR"} "${1:-bench/real-odoo.ts}"
