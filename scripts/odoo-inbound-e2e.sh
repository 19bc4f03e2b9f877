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
# shellcheck source=scripts/odoo-serve-background.sh
. scripts/odoo-serve-background.sh
npx tsx test/real-odoo/inbound.ts
