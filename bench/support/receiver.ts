/**
 * A partner receiver in its own process for benchmarks (so its CPU is not the sidecar's):
 * verifies every Standard Webhooks signature, counts each webhook-id, answers 204 (401 when
 * the signature is wrong), prints its URL as one JSON line, and its counts on stdin close or
 * SIGTERM.
 *
 * A bare node:http handler rather than the test simulator's PartnerReceiver: a benchmark of
 * the relay should charge the machine for what any partner must do with a delivery (read it,
 * check its signature, answer), not for the simulator's bookkeeping of every request for test
 * assertions (bench/README.md, "Where the time goes in immediate mode").
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

const secret = process.env.RECEIVER_SECRET ?? "";
// The Standard Webhooks check with node:crypto (the official library's pure-JS SHA-256 would
// make the partner, not the relay, the bottleneck of a loopback benchmark).
const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");

function verified(id: string, timestamp: string, signatures: string, body: Buffer): boolean {
  const ts = Number(timestamp);
  if (!id || !Number.isFinite(ts) || Math.abs(Date.now() / 1000 - ts) > 300) return false;
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.split(" ").some((sig) => {
    const given = Buffer.from(sig.replace(/^v1,/, ""), "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const ids = new Set<string>();
let accepted = 0;
let rejected = 0;
let arrivals = 0;
let connections = 0;

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return typeof v === "string" ? v : "";
};

function handle(req: IncomingMessage, res: ServerResponse): void {
  arrivals++;
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const id = header(req, "webhook-id");
    if (!verified(id, header(req, "webhook-timestamp"), header(req, "webhook-signature"), body)) {
      rejected++;
      res.writeHead(401, { "content-type": "text/plain" }).end("bad signature");
      return;
    }
    accepted++;
    ids.add(id);
    res.writeHead(204).end();
  });
}

const server = createServer(handle);
server.keepAliveTimeout = 5_000;
server.on("connection", () => connections++);
await new Promise<void>((resolve) => server.listen(Number(process.env.RECEIVER_PORT ?? 0), "127.0.0.1", resolve));
const address = server.address();
if (!address || typeof address === "string") throw new Error("receiver: no TCP address");
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}` })}\n`);
const report = () => {
  process.stdout.write(`${JSON.stringify({ accepted, unique: ids.size, rejected, arrivals, connections })}\n`);
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on("SIGTERM", report);
process.stdin.on("end", report);
process.stdin.resume();
