/**
 * A partner receiver in its own process for benchmarks (so its CPU is not the sidecar's):
 * verifies every Standard Webhooks signature, answers 204, prints its URL as one JSON line,
 * and its counts on stdin close or SIGTERM.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { PartnerReceiver } from "../../test/simulator/partner.ts";

const secret = process.env.RECEIVER_SECRET ?? "";
const receiver = new PartnerReceiver([secret]);
// The Standard Webhooks check with node:crypto (the official library's pure-JS SHA-256 would
// make the partner, not the relay, the bottleneck of a loopback benchmark).
const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
receiver.verifyWith = (body, headers) => {
  const ts = Number(headers["webhook-timestamp"]);
  if (!Number.isFinite(ts) || Math.abs(Date.now() / 1000 - ts) > 300) return false;
  const expected = createHmac("sha256", key).update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.`).update(body).digest();
  return headers["webhook-signature"].split(" ").some((sig) => {
    const given = Buffer.from(sig.replace(/^v1,/, ""), "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
};
const url = await receiver.start(Number(process.env.RECEIVER_PORT ?? 0));
process.stdout.write(`${JSON.stringify({ url })}\n`);
const report = async () => {
  process.stdout.write(`${JSON.stringify({ accepted: receiver.accepted.length, unique: receiver.uniqueIds.size, rejected: receiver.rejectedSignatures, arrivals: receiver.arrivals.length, connections: receiver.connections })}\n`);
  await receiver.stop();
  process.exit(0);
};
process.on("SIGTERM", report);
process.stdin.on("end", report);
process.stdin.resume();
