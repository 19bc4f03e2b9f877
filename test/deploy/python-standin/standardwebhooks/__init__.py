# A stand-in for the PyPI package `standardwebhooks` (not reachable from this project's
# machines), for test/deploy/partner-guide.test.ts only: the same constructor and verify()
# as the library, written from the Standard Webhooks specification, so that the guide's
# Python receiver (docs/examples/webhook_receiver.py) runs against real signed requests.
import base64
import hashlib
import hmac
import time


class WebhookVerificationError(Exception):
    pass


class Webhook:
    def __init__(self, secret):
        if secret.startswith("whsec_"):
            secret = secret[len("whsec_"):]
        self._key = base64.b64decode(secret)

    def verify(self, payload, headers):
        payload = payload.decode() if isinstance(payload, bytes) else payload
        headers = {k.lower(): v for k, v in headers.items()}
        msg_id, stamp, signatures = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
        if not (msg_id and stamp and signatures):
            raise WebhookVerificationError("missing headers")
        if abs(time.time() - int(stamp)) > 300:
            raise WebhookVerificationError("timestamp out of tolerance")
        expected = hmac.new(self._key, f"{msg_id}.{stamp}.{payload}".encode(), hashlib.sha256).digest()
        for signature in signatures.split(" "):
            version, _, value = signature.partition(",")
            if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
                return payload
        raise WebhookVerificationError("no matching signature")
