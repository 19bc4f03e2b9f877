#!/usr/bin/env bash
# Render the addon's staff screens with demo events in a real Odoo 18 (headless Chromium) and
# copy the pictures to odoo_addon/distribution_connector/static/description/.
#
#   ODOO_HOME=/path/to/odoo18 [ODOO_DB_USER=...] bash scripts/addon-screenshots.sh
#
# Runs the opt-in test class TestStatusScreens (tag connector_screens) through odoo-test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ODOO_HOME:-}" ]; then
  echo "ODOO_HOME not set: cannot render screenshots" >&2
  exit 2
fi
OUT=odoo_addon/distribution_connector/static/description
log="$(mktemp /tmp/odoo-screens.XXXXXX.log)"
ODOO_TEST_TAGS="connector_screens/distribution_connector:TestStatusScreens" ODOO_TEST_LOG="$log" bash scripts/odoo-test.sh | tee /dev/stderr \
  | sed -nE 's/^== database ([^ ]+) .*/\1/p' > "$log.db"
db="$(cat "$log.db")"
dir="/tmp/odoo_tests/$db/screenshots"
for name in purchase_order_status picking_carrier_status outbox_list attention_overview partner_messages; do
  shot="$(ls -t "$dir/${name}"_*_TestStatusScreens.png 2>/dev/null | head -n 1 || true)"
  if [ -z "$shot" ]; then
    echo "no screenshot $name in $dir (log: $log)" >&2
    exit 1
  fi
  cp "$shot" "$OUT/screenshot_$name.png"
  echo "$OUT/screenshot_$name.png"
done
