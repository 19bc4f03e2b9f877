import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";

/**
 * The real NATS server with JetStream for the backbone tests: the one `.ci/run` starts on
 * 127.0.0.1:4222, and separate servers a test starts and stops itself. Each run uses its own
 * stream name and subject prefix, so runs never collide and streams are deleted afterwards.
 */

export const NATS_URL = process.env.ODC_TEST_NATS_URL ?? "nats://127.0.0.1:4222";
export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? "/usr/sbin/nats-server";

/** Connects to the test server; a clear error (the tests fail, never skip) when it is down. */
export async function connectOrExplain(url = NATS_URL): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, timeout: 3_000, maxReconnectAttempts: 0 });
  } catch (err) {
    const message =
      `NATS JetStream is not reachable at ${url} (${(err as Error).message}). The backbone tests need the real server: ` +
      `.ci/run starts it, or run \`${NATS_SERVER_BIN} -a 127.0.0.1 -p 4222 -js -sd /tmp/nats\`.`;
    console.error(message);
    throw new Error(message);
  }
}

let counter = 0;
/** A stream name and subject prefix of their own for one test. */
export function uniqueStream(tag: string): { stream: string; prefix: string } {
  const id = `${process.pid}_${Date.now().toString(36)}_${counter++}`;
  return { stream: `ODCTEST_${tag}_${id}`, prefix: `odctest.${tag.toLowerCase()}_${id}` };
}

export async function deleteStream(nc: NatsConnection, stream: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => false);
}

export interface StoredMessage {
  seq: number;
  subject: string;
  msgId: string | null;
  headers: Record<string, string>;
  body: string;
}

/** Every message in a stream, in stream order, read with an ordered consumer (acks nothing, changes nothing). */
export async function readStream(nc: NatsConnection, stream: string): Promise<StoredMessage[]> {
  const jsm = await jetstreamManager(nc);
  const total = (await jsm.streams.info(stream)).state.messages;
  const out: StoredMessage[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push(toStored(m));
    if (out.length >= total) break;
  }
  await messages.close();
  return out;
}

function toStored(m: JsMsg): StoredMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headers ?? []) headers[k] = v[0] ?? "";
  return { seq: m.seq, subject: m.subject, msgId: m.headers?.get("Nats-Msg-Id") || null, headers, body: m.string() };
}

/** A nats-server with JetStream of the test's own, on its own port and store directory, that the test stops and starts. */
export class OwnNatsServer {
  private proc: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), "odc-nats-"));

  constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const proc = spawn(NATS_SERVER_BIN, ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.dir], { stdio: "ignore" });
    this.proc = proc;
    const until = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${NATS_SERVER_BIN} exited with ${proc.exitCode}`);
      try {
        const nc = await connect({ servers: this.url, timeout: 500, maxReconnectAttempts: 0 });
        await jetstreamManager(nc).then((jsm) => jsm.getAccountInfo());
        await nc.close();
        return;
      } catch {
        if (Date.now() > until) throw new Error(`nats-server on ${this.port} did not come up`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    if (proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGKILL");
      await exited;
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
