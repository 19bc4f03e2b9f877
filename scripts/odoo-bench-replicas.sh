#!/usr/bin/env bash
# Runs bench/replicas.ts (naive relay, one sidecar on SQLite, 1-3 replicas on PostgreSQL)
# against a real Odoo 18: scripts/odoo-bench.sh serves it and seeds the payload to clone.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/odoo-bench.sh bench/replicas.ts
