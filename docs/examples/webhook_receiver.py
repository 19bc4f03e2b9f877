# A partner's receiver of the connector's canonical events (docs/partner-guide.md).
#   pip install standardwebhooks
#   WEBHOOK_SECRET=whsec_... PORT=9000 python3 webhook_receiver.py
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks import Webhook

webhook = Webhook(os.environ["WEBHOOK_SECRET"])  # the whsec_... secret you were given
seen = set()  # use your database: webhook-id is the event id, the same on every redelivery


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))  # the raw bytes
        try:
            webhook.verify(body, dict(self.headers))  # checks webhook-signature and webhook-timestamp
        except Exception:
            self.send_response(401)  # not from the connector, or replayed: it is not retried
            self.end_headers()
            return
        event = json.loads(body)
        if event["id"] not in seen:
            seen.add(event["id"])
            print(json.dumps({"id": event["id"], "type": event["type"], "ref": event["subject"]["ref"]}), flush=True)
        self.send_response(204)  # any 2xx: taken. 5xx, 408, 425, 429: retried later
        self.end_headers()


HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "9000"))), Receiver).serve_forever()
