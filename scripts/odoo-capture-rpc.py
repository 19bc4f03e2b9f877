#!/usr/bin/env python3
"""Capture real JSON-RPC answers of the addon's sidecar surface from a served Odoo.

Writes contracts/odoo-rpc-examples/*.json in the format of the project's captured Odoo
answers ({"request": ..., "response": ...}; database name, keys and passwords replaced by
placeholders, tracebacks trimmed), so the sidecar's Odoo simulator can be checked against
what the real addon answers. Standard library only.

Usage (a database served by scripts/odoo-serve.sh, whose printed settings are in the
environment):  ODOO_URL=... ODOO_DB=... ODOO_USER=connector ODOO_API_KEY=... \\
               ODOO_ADMIN_PASSWORD=admin python3 scripts/odoo-capture-rpc.py
"""

import json
import os
import pathlib
import sys
import urllib.error
import urllib.request

OUT = pathlib.Path(__file__).resolve().parents[1] / "contracts" / "odoo-rpc-examples"
URL = os.environ["ODOO_URL"].rstrip("/") + "/jsonrpc"
DB = os.environ["ODOO_DB"]
USER = os.environ.get("ODOO_USER", "connector")
KEY = os.environ["ODOO_API_KEY"]
ADMIN_PASSWORD = os.environ.get("ODOO_ADMIN_PASSWORD", "admin")
_next_id = [0]


def rpc(service, method, args):
    _next_id[0] += 1
    body = {"jsonrpc": "2.0", "method": "call", "id": _next_id[0],
            "params": {"service": service, "method": method, "args": args}}
    request = urllib.request.Request(URL, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, content_type, raw = response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as exc:
        status, content_type, raw = exc.code, exc.headers.get("Content-Type"), exc.read()
    return body, status, content_type, json.loads(raw)


def redact(value, secrets):
    if isinstance(value, str):
        for secret, placeholder in secrets:
            value = value.replace(secret, placeholder)
        return value
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: redact(item, secrets) for key, item in value.items()}
    return value


def trim_traceback(answer):
    data = answer.get("error", {}).get("data")
    if data and data.get("debug"):
        last = data["debug"].rstrip("\n").splitlines()[-1]
        data["debug"] = "Traceback (most recent call last):\n  (frames trimmed)\n%s\n" % last
    return answer


def save(name, exchange, extra_secrets=()):
    body, status, content_type, answer = exchange
    secrets = [(KEY, "<api key>"), (ADMIN_PASSWORD, "<password>"), *extra_secrets]
    body = json.loads(json.dumps(body))
    body["params"]["args"][0] = "<db>"
    document = {
        "request": {"url": "POST /jsonrpc", "body": redact(body, secrets)},
        "response": {"status": status, "content_type": content_type, "body": redact(trim_traceback(answer), secrets)},
    }
    document = json.loads(json.dumps(document).replace(json.dumps(DB)[1:-1], "<db>"))
    (OUT / ("%s.json" % name)).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print("wrote", name, "status", status, "error" if "error" in answer else "result")
    return answer


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    uid = rpc("common", "authenticate", [DB, USER, KEY, {}])[3]["result"]
    admin = rpc("common", "authenticate", [DB, "admin", ADMIN_PASSWORD, {}])[3]["result"]
    if not uid or not admin:
        sys.exit("cannot authenticate as %s and admin" % USER)

    def as_admin(model, method, args, kwargs=None):
        answer = rpc("object", "execute_kw", [DB, admin, ADMIN_PASSWORD, model, method, args, kwargs or {}])[3]
        if "error" in answer:
            sys.exit("%s.%s failed: %s" % (model, method, answer["error"]["data"]["message"]))
        return answer["result"]

    def as_sidecar(method, args, kwargs=None):
        return rpc("object", "execute_kw", [DB, uid, KEY, "connector.outbox", method, args, kwargs or {}])

    # Drain what is pending, so that the captured claim holds exactly the order below.
    while as_sidecar("claim_batch", [], {"limit": 5000})[3]["result"]["events"]:
        pass
    vendor = as_admin("res.partner", "create", [{"name": "Wood Corner", "is_company": True,
                                                  "connector_partner_code": "WOODCORNER"}])
    product = as_admin("product.product", "create", [{"name": "Desk Combination", "default_code": "FURN_7800"}])
    order = as_admin("purchase.order", "create", [{"partner_id": vendor, "order_line": [
        [0, 0, {"product_id": product, "product_qty": 3, "price_unit": 450.0}]]}])
    as_admin("purchase.order", "button_confirm", [[order]])

    claim = save("claim_batch_ok", as_sidecar("claim_batch", [], {"limit": 10, "lease_seconds": 120}))
    event_id = claim["result"]["events"][0]["event"]["id"]
    save("claim_batch_empty", as_sidecar("claim_batch", [], {"limit": 10}))
    save("claim_batch_bad_limit", as_sidecar("claim_batch", [], {"limit": 0}))
    save("claim_batch_not_integration_user", rpc(
        "object", "execute_kw", [DB, admin, ADMIN_PASSWORD, "connector.outbox", "claim_batch", [], {}]))
    unknown = "00000000-0000-4000-8000-000000000000"
    save("record_results_ok", as_sidecar("record_results", [[
        {"event_id": event_id, "state": "delivered", "partner": "WOODCORNER", "attempts": 1, "error": None,
         "at": "2026-11-26T10:00:00.000Z"},
        {"event_id": unknown, "state": "failed", "partner": "WOODCORNER", "attempts": 2, "error": "HTTP 503",
         "at": "2026-11-26T10:00:01.000Z"},
    ]]))
    save("record_results_ignored", as_sidecar("record_results", [[
        {"event_id": event_id, "state": "failed", "partner": "WOODCORNER", "attempts": 2, "error": "late",
         "at": "2026-11-26T10:00:02.000Z"},
    ]]))
    save("record_results_malformed", as_sidecar("record_results", [[
        {"event_id": event_id, "state": "delivered"}, {"event_id": "not-a-uuid", "state": "delivered"},
    ]]))


if __name__ == "__main__":
    main()
