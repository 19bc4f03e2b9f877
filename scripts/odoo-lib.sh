# Shared by odoo-test.sh and odoo-serve.sh (sourced, not run). Expects ODOO_HOME to be set.
#
#   ODOO_PYTHON       interpreter with Odoo's dependencies (default /usr/bin/python3)
#   ODOO_DB_HOST      PostgreSQL host (default 127.0.0.1); ODOO_DB_PORT (default 5432)
#   ODOO_DB_USER      PostgreSQL role, not "postgres" (default: the current user)
#   ODOO_TEMPLATE_DB  template database (default odc_template_<hash of the addon's dependencies
#                     and the Odoo version>), created once with the dependencies installed

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ADDONS="$ROOT/odoo_addon"
MODULE=distribution_connector

if [ ! -f "$ODOO_HOME/odoo-bin" ]; then
  echo "ODOO_HOME=$ODOO_HOME has no odoo-bin" >&2
  exit 2
fi

PYTHON="${ODOO_PYTHON:-/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON=python3
DB_HOST="${ODOO_DB_HOST:-127.0.0.1}"
DB_PORT="${ODOO_DB_PORT:-5432}"
DB_USER="${ODOO_DB_USER:-$(id -un)}"
PG=(-h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER")
ODOO_BIN=("$PYTHON" "$ODOO_HOME/odoo-bin")
ODOO_OPTS=(--db_host="$DB_HOST" --db_port="$DB_PORT" --db_user="$DB_USER"
           --addons-path="$ODOO_HOME/odoo/addons,$ADDONS" --without-demo=all)
ODOO=("${ODOO_BIN[@]}" "${ODOO_OPTS[@]}")

db_exists() {
  [ "$(psql "${PG[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = "1" ]
}

# Echo the template's name, creating it first if it is missing.
ensure_template() {
  local depends version hash template building
  depends="$("$PYTHON" -c 'import ast,sys; print(",".join(sorted(ast.literal_eval(open(sys.argv[1]).read())["depends"])))' "$ADDONS/$MODULE/__manifest__.py")"
  version="$(cd "$ODOO_HOME" && "$PYTHON" -c 'from odoo import release; print(release.version)')"
  hash="$(printf '%s|%s' "$depends" "$version" | sha256sum | cut -c1-10)"
  template="${ODOO_TEMPLATE_DB:-odc_template_$hash}"
  if ! db_exists "$template"; then
    # Built under a temporary name and renamed when complete: a half-built template is never used.
    building="${template}_building_$$"
    echo "== creating template database $template with $depends (a few minutes, once)" >&2
    createdb "${PG[@]}" "$building"
    if ! "${ODOO[@]}" -d "$building" -i "$depends" --stop-after-init --log-level=warn > "/tmp/$building.log" 2>&1; then
      tail -n 30 "/tmp/$building.log" >&2
      dropdb "${PG[@]}" --if-exists "$building"
      echo "template creation failed (log: /tmp/$building.log)" >&2
      return 1
    fi
    psql "${PG[@]}" -d postgres -qc "ALTER DATABASE \"$building\" RENAME TO \"$template\""
  fi
  echo "$template"
}
