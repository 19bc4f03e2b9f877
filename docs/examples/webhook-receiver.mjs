// A partner's receiver of the connector's canonical events (docs/partner-guide.md).
//   npm install standardwebhooks
//   WEBHOOK_SECRET=whsec_... PORT=9000 node webhook-receiver.mjs
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const webhook = new Webhook(process.env.WEBHOOK_SECRET); // the whsec_... secret you were given
const seen = new Set(); // use your database: webhook-id is the event id, the same on every redelivery

createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString("utf8"); // verify the raw bytes, before parsing
  let event;
  try {
    event = webhook.verify(body, req.headers); // checks webhook-signature and webhook-timestamp
  } catch {
    res.writeHead(401).end(); // not from the connector, or replayed: it is not retried
    return;
  }
  const id = req.headers["webhook-id"];
  if (!seen.has(id)) {
    seen.add(id);
    console.log(JSON.stringify({ id, type: event.type, ref: event.subject?.ref, sequence: event.sequence }));
  }
  res.writeHead(204).end(); // any 2xx: taken. 5xx, 408, 425, 429: retried later. Other 4xx: not retried
}).listen(Number(process.env.PORT ?? 9000), "127.0.0.1");
