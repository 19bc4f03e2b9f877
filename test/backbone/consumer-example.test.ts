import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, nanos, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/processes.ts";
import { connectOrExplain, deleteStream, NATS_URL, uniqueStream } from "./support.ts";

/** examples/nats-consumer.ts, run as a planning team would, against the real JetStream. */

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let nc: NatsConnection;
const { stream, prefix } = uniqueStream("EXAMPLE");
const dir = mkdtempSync(join(tmpdir(), "odc-consumer-"));

const example = JSON.parse(readFileSync(join(ROOT, "contracts/v1/examples/purchase_order.confirmed.json"), "utf8")) as { id: string; sequence: number; subject: { id: number } };
const eventOf = (id: string, po: number, sequence: number) => ({ ...example, id, sequence, subject: { ...example.subject, id: po } });

async function publish(event: { id: string; type?: string; sequence: number; subject: { id: number } }) {
  const h = headers();
  h.set("Odc-Sequence", String(event.sequence));
  return jetstream(nc).publish(`${prefix}.purchase_order.confirmed`, JSON.stringify(event), { msgID: event.id, headers: h });
}

async function runExample(): Promise<{ processed: string[]; duplicates: string[] }> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", join(ROOT, "examples/nats-consumer.ts")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", NATS_URL, ODC_STREAM: stream, ODC_SUBJECTS: `${prefix}.>`, CONSUMER: "planning", SEEN_FILE: join(dir, "seen.txt"), IDLE_EXIT_MS: "1500" },
    timeout: 60_000,
  });
  const lines = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { processed?: string; duplicate?: string });
  return { processed: lines.flatMap((l) => (l.processed ? [l.processed] : [])), duplicates: lines.flatMap((l) => (l.duplicate ? [l.duplicate] : [])) };
}

beforeAll(async () => {
  nc = await connectOrExplain();
  // A one-second duplicate window, so that a late copy of an event gets into the stream as it would after a long outage.
  await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`${prefix}.>`], duplicate_window: nanos(1_000) });
});
afterAll(async () => {
  if (nc) {
    await deleteStream(nc, stream);
    await nc.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("examples/nats-consumer.ts", () => {
  it("processes each event once in stream order, acks it, skips a late copy, and resumes where it was", async () => {
    const a = eventOf("11111111-1111-4111-8111-111111111111", 1, 1);
    const b = eventOf("22222222-2222-4222-8222-222222222222", 1, 2);
    const c = eventOf("33333333-3333-4333-8333-333333333333", 2, 1);
    await publish(a);
    await publish(b);
    await publish(c);
    await sleep(1_300);
    // Past the window the server stores a copy of a: the consumer must drop it.
    expect((await publish(a)).duplicate).toBe(false);

    const first = await runExample();
    expect(first.processed).toEqual([a.id, b.id, c.id]);
    expect(first.duplicates).toEqual([a.id]);
    const info = await (await jetstreamManager(nc)).consumers.info(stream, "planning");
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);

    // The durable consumer goes on where it was: only the new event.
    const d = eventOf("44444444-4444-4444-8444-444444444444", 2, 2);
    await publish(d);
    const second = await runExample();
    expect(second.processed).toEqual([d.id]);
    expect(second.duplicates).toEqual([]);
  });
});
