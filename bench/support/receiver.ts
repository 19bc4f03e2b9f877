/**
 * A partner receiver in its own process for benchmarks (so its CPU is not the sidecar's):
 * verifies every Standard Webhooks signature, answers 204, prints its URL as one JSON line,
 * and its counts on stdin close or SIGTERM.
 */
import { PartnerReceiver } from "../../test/simulator/partner.ts";

const secret = process.env.RECEIVER_SECRET ?? "";
const receiver = new PartnerReceiver([secret]);
const url = await receiver.start(Number(process.env.RECEIVER_PORT ?? 0));
process.stdout.write(`${JSON.stringify({ url })}\n`);
const report = async () => {
  process.stdout.write(`${JSON.stringify({ accepted: receiver.accepted.length, unique: receiver.uniqueIds.size, rejected: receiver.rejectedSignatures, arrivals: receiver.arrivals.length })}\n`);
  await receiver.stop();
  process.exit(0);
};
process.on("SIGTERM", report);
process.stdin.on("end", report);
process.stdin.resume();
