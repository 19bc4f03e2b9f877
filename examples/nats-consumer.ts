/**
 * A planning team's consumer of the connector's event backbone (NATS JetStream), to copy and
 * adapt. It reads every canonical event (contracts/v1) the sidecar publishes, through a
 * durable pull consumer, processes each one, and acknowledges it only after processing.
 *
 *   NATS_URL=nats://127.0.0.1:4222 ODC_STREAM=ODC ODC_SUBJECTS='odc.v1.purchase_order.>' \
 *   CONSUMER=planning SEEN_FILE=/var/lib/planning/seen.txt node --import tsx examples/nats-consumer.ts
 *
 * What you can rely on (README, "Event backbone (NATS JetStream)"):
 * - one message per event on `odc.v1.<event type>`; the body is the event's JSON as Odoo
 *   wrote it; the header `Nats-Msg-Id` is the event id, `Odc-Subject` the record it is about
 *   (`purchase.order/42`) and `Odc-Sequence` its sequence for that record;
 * - the sidecar publishes each record's events in order of their sequence, and the stream
 *   keeps that order;
 * - the server drops a second publish of an event id within the stream's duplicate window,
 *   but a copy can still reach you (a very late retry, or this consumer crashing after
 *   processing and before its ack reached the server: the server then redelivers). So
 *   deduplicate on the event id, here with a file of processed ids; in real life with a
 *   unique key in the database you write to, in the same transaction as the processing.
 *
 * The durable consumer (CONSUMER) remembers on the server what was acknowledged: stop and
 * start this process and it goes on where it was. Settings: NATS_URL, ODC_STREAM (default
 * ODC), ODC_SUBJECTS (default odc.v1.>), CONSUMER (default planning), SEEN_FILE (default
 * ./planning-seen.txt), IDLE_EXIT_MS (exit 0 after that long without a message; unset: run
 * until SIGINT/SIGTERM).
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { AckPolicy, DeliverPolicy, JetStreamApiError, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

const servers = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const stream = process.env.ODC_STREAM ?? "ODC";
const subjects = process.env.ODC_SUBJECTS ?? "odc.v1.>";
const durable = process.env.CONSUMER ?? "planning";
const seenFile = process.env.SEEN_FILE ?? "./planning-seen.txt";
const idleExitMs = process.env.IDLE_EXIT_MS ? Number(process.env.IDLE_EXIT_MS) : null;

interface CanonicalEvent {
  id: string;
  type: string;
  occurred_at: string;
  subject: { model: string; id: number; ref: string };
  sequence: number;
  data: Record<string, unknown>;
}

/** Your processing goes here: update the plan, write to your database, ... Throw to have the message redelivered later. */
async function handle(event: CanonicalEvent): Promise<void> {
  console.log(JSON.stringify({ processed: event.id, type: event.type, subject: `${event.subject.model}/${event.subject.id}`, ref: event.subject.ref, sequence: event.sequence }));
}

/** Event ids already processed (a file of one id per line; use a unique key in your database instead). */
const seen = new Set(existsSync(seenFile) ? readFileSync(seenFile, "utf8").split("\n").filter(Boolean) : []);

async function processMessage(m: JsMsg): Promise<void> {
  let event: CanonicalEvent;
  try {
    event = m.json<CanonicalEvent>();
  } catch {
    // Not an event (never published by the connector): set it aside rather than block the stream.
    console.error(JSON.stringify({ skipped: m.seq, reason: "not JSON" }));
    m.term();
    return;
  }
  const id = m.headers?.get("Nats-Msg-Id") || event.id;
  if (seen.has(id)) {
    console.log(JSON.stringify({ duplicate: id }));
    await m.ackAck();
    return;
  }
  try {
    await handle(event);
  } catch (err) {
    // Redelivered after a pause; the record's later events wait behind it (max_ack_pending 1 below keeps the order).
    console.error(JSON.stringify({ failed: id, error: (err as Error).message }));
    m.nak(5_000);
    return;
  }
  appendFileSync(seenFile, `${id}\n`);
  seen.add(id);
  // ackAck waits for the server to confirm the ack, so a processed message is not redelivered after we move on.
  await m.ackAck();
}

async function main(): Promise<void> {
  const nc = await connect({ servers, name: `planning consumer ${durable}`, maxReconnectAttempts: -1 });
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    await jsm.consumers.add(stream, {
      durable_name: durable,
      filter_subject: subjects,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // One message at a time keeps each record's events in order, even across redeliveries.
      max_ack_pending: 1,
      ack_wait: 30_000_000_000,
    });
  }
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let idleSince = Date.now();
  while (!stopping) {
    const batch = await consumer.fetch({ max_messages: 100, expires: 1_000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      await processMessage(m);
      if (stopping) break;
    }
    if (got > 0) idleSince = Date.now();
    else if (idleExitMs !== null && Date.now() - idleSince >= idleExitMs) break;
  }
  await nc.drain();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
