"""The post-commit nudge to the sidecar (contracts/odoo-rpc.md, "Nudge")."""

import hashlib
import hmac
import json

SIGNATURE_HEADER = "X-Connector-Signature"
NUDGE_PATH = "/nudge"


def nudge_body(database, count):
    """The exact bytes that are signed and sent."""
    return json.dumps({"database": database, "count": count}, separators=(",", ":")).encode()


def sign(secret, body, timestamp):
    """Header value ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``."""
    timestamp = int(timestamp)
    if isinstance(secret, str):
        secret = secret.encode()
    if isinstance(body, str):
        body = body.encode()
    mac = hmac.new(secret, b"%d." % timestamp + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (timestamp, mac)


def nudge_url(sidecar_url):
    return sidecar_url.rstrip("/") + NUDGE_PATH
