#!/usr/bin/env bash
# The walking skeleton against a real Odoo 18: serves a database with the addon
# (scripts/odoo-serve.sh), runs test/real-odoo/e2e.ts (real sidecar + loopback partner) and
# test/real-odoo/formats.ts (cXML and EasyPost simulators), test/real-odoo/lifecycle.ts (a
# document's whole life) and test/real-odoo/reconcile.ts (the four outbox mismatches),
# stops Odoo. Skipped, with a message, when ODOO_HOME is unset.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ODOO_HOME:-}" ]; then
  echo "ODOO_HOME not set: skipping the real-Odoo end-to-end run"
  exit 0
fi
export ODOO_PORT="${ODOO_PORT:-8169}" ODOO_DB="${ODOO_DB:-odc_e2e}" SIDECAR_PORT="${SIDECAR_PORT:-8788}"
export SIDECAR_URL="http://127.0.0.1:$SIDECAR_PORT" NUDGE_SECRET="${NUDGE_SECRET:-e2e-nudge-secret-0123456789}"
# shellcheck source=scripts/odoo-serve-background.sh
. scripts/odoo-serve-background.sh
npx tsx test/real-odoo/e2e.ts
# Each partner in its own format: cXML (taken and refused), EasyPost booking onto the picking.
npx tsx test/real-odoo/formats.ts
# A document's whole life: PO confirmed, changed twice, cancelled; delivery order ready, cancelled.
npx tsx test/real-odoo/lifecycle.ts
# Reconciliation: the four outbox mismatches made on purpose in Odoo, found and repaired.
npx tsx test/real-odoo/reconcile.ts
