# Sourced by the real-Odoo runners (odoo-e2e.sh, odoo-inbound-e2e.sh, odoo-bench.sh): serves
# $ODOO_DB on $ODOO_PORT with scripts/odoo-serve.sh in the background, waits until it answers
# JSON-RPC, exports the integration user's settings (ODOO_URL, ODOO_DB, ODOO_USER,
# ODOO_API_KEY) and stops Odoo when the calling script exits.
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
