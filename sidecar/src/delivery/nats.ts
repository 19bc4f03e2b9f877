import { jetstream, jetstreamManager, DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamClient, type StreamConfig } from "@nats-io/jetstream";
import { connect, credsAuthenticator, errors, headers as natsHeaders, nanos, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Wire } from "../config/formats.ts";
import { isPublish, type AttemptOutcome, type Prepared, type Transport } from "./attempt.ts";

/**
 * The event backbone's transport (format nats): a lane's attempts become JetStream publishes
 * instead of HTTP requests, and everything else stays the lane's (rate gate, breaker, retry
 * schedule, pause, metrics, status). One connection per lane, made at the lane's first wake
 * and kept (the client reconnects on its own); on each new connection the stream is created,
 * or checked and updated, before anything is published.
 *
 * An attempt is delivered only on the server's PubAck; a duplicate ack (the stream already had
 * this `Nats-Msg-Id`: a retry after a lost ack, a redelivery after a crash) is delivered too.
 * A timeout, no responders, a closed or refused connection, or a JetStream API error are
 * retryable failures that go through the lane's schedule like a partner's 503. A stream that
 * exists with subjects not covering `<prefix>.>` (or a stream of other subjects that already
 * owns them) is refused: the lane stops and sends nothing until the configuration changes.
 */

type NatsWire = Extract<Wire, { format: "nats" }>;

interface Session {
  nc: NatsConnection;
  js: JetStreamClient;
}

/** The stream this wire publishes into, as this sidecar creates it. */
export function streamConfigOf(wire: NatsWire): Partial<StreamConfig> & { name: string } {
  return {
    name: wire.stream,
    subjects: [`${wire.subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: wire.replicas,
    duplicate_window: nanos(wire.duplicateWindowMs),
    max_age: nanos(wire.maxAgeMs ?? 0),
  };
}

/** Thrown when the stream cannot be used as configured: the lane is refused, nothing is retried. */
class StreamRefused extends Error {}

export class NatsPublisher implements Transport {
  private session: Promise<Session> | null = null;
  private refusal: string | null = null;
  private closed = false;
  /** Set after a "no responders": the stream may have been deleted or the server's store wiped; check it before the next publish. */
  private recheck = false;

  constructor(
    private readonly server: string,
    private readonly wire: NatsWire,
    private readonly partner: string,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  refused(): string | null {
    return this.refusal;
  }

  async open(): Promise<void> {
    try {
      await this.connection();
    } catch {
      // Logged where it happened; the first attempt tries again and records the failure.
    }
  }

  async send(prepared: Prepared, timeoutMs: number): Promise<AttemptOutcome> {
    if (!isPublish(prepared)) return { ok: false, errorClass: "encode", message: "an HTTP request cannot go to NATS", retryable: false };
    if (this.refusal) return { ok: false, errorClass: "server_error", message: this.refusal, retryable: true };
    let session: Session;
    try {
      session = await this.connection();
      if (this.recheck) await this.recheckStream(session.nc);
    } catch (err) {
      return this.failure(err, timeoutMs);
    }
    const h = natsHeaders();
    for (const [name, value] of Object.entries(prepared.headers)) h.set(name, value);
    try {
      const ack = await session.js.publish(prepared.subject, prepared.payload, {
        msgID: prepared.msgId,
        headers: h,
        timeout: timeoutMs,
        // The server refuses the message if the subject is captured by another stream.
        expect: { streamName: this.wire.stream },
      });
      return { ok: true, status: 0, ack: { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate } };
    } catch (err) {
      return this.failure(err, timeoutMs);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.session;
    this.session = null;
    if (!pending) return;
    try {
      const { nc } = await pending;
      await nc.close();
    } catch {
      // never connected
    }
  }

  /** The live session, or a new connection (and the stream checked on it). */
  private connection(): Promise<Session> {
    if (this.closed) return Promise.reject(new errors.ClosedConnectionError());
    if (this.session) return this.session;
    const attempt = this.connectAndEnsure();
    this.session = attempt;
    attempt.catch(() => {
      if (this.session === attempt) this.session = null;
    });
    return attempt;
  }

  private async connectAndEnsure(): Promise<Session> {
    const auth = this.wire.auth;
    const options: ConnectionOptions = {
      servers: this.server,
      name: `odoo-distribution-connector ${this.partner}`,
      timeout: this.timeoutMs,
      // Once connected, the client reconnects on its own for ever; publishes made meanwhile time out and are retried by the lane.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...(auth && "user" in auth ? { user: auth.user, pass: auth.password } : {}),
      ...(auth && "token" in auth ? { token: auth.token } : {}),
      ...(auth && "credentials" in auth ? { authenticator: credsAuthenticator(new TextEncoder().encode(auth.credentials)) } : {}),
    };
    const nc = await connect(options);
    try {
      await this.ensureStream(nc);
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
    this.watch(nc);
    return { nc, js: jetstream(nc, { timeout: this.timeoutMs }) };
  }

  /** Logs the connection's life (never its options) and forgets it once closed. */
  private watch(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") this.log.warn({ partner: this.partner, server: this.server }, "NATS connection lost; reconnecting");
        else if (s.type === "reconnect") {
          this.log.info({ partner: this.partner, server: this.server }, "NATS connection back");
          this.recheck = true;
        }
      }
    })().catch(() => {});
    void nc.closed().then(() => {
      const current = this.session;
      void current?.then((s) => {
        if (s.nc === nc && this.session === current) this.session = null;
      }, () => {});
    });
  }

  /** One check at a time, however many attempts are in flight when the stream needs it. */
  private rechecking: Promise<void> | null = null;
  private recheckStream(nc: NatsConnection): Promise<void> {
    if (!this.rechecking) {
      this.recheck = false;
      this.rechecking = this.ensureStream(nc)
        .catch((err) => {
          this.recheck = true;
          throw err;
        })
        .finally(() => {
          this.rechecking = null;
        });
    }
    return this.rechecking;
  }

  /**
   * Creates the stream when missing; when it exists, it must capture `<prefix>.>` (other
   * subjects beside it are left alone) and its duplicate window and age limit are brought to
   * the configured ones. Anything else is refused, with the reason on the lane.
   */
  private async ensureStream(nc: NatsConnection): Promise<void> {
    const want = streamConfigOf(this.wire);
    const subject = want.subjects![0]!;
    const jsm = await jetstreamManager(nc, { timeout: this.timeoutMs });
    let existing: Awaited<ReturnType<typeof jsm.streams.info>> | null = null;
    try {
      existing = await jsm.streams.info(this.wire.stream);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === 10059)) throw err;
    }
    try {
      if (!existing) {
        await jsm.streams.add(want);
        this.log.info({ partner: this.partner, stream: this.wire.stream, subjects: want.subjects, duplicate_window_ms: this.wire.duplicateWindowMs }, "NATS stream created");
        return;
      }
      const subjects = existing.config.subjects ?? [];
      if (!subjects.includes(subject)) {
        throw new StreamRefused(`NATS stream ${this.wire.stream} exists with subjects ${subjects.join(", ") || "(none)"}, not ${subject}: give this partner another nats.stream or nats.subject_prefix, or change the stream`);
      }
      if (existing.config.duplicate_window !== want.duplicate_window || existing.config.max_age !== want.max_age) {
        await jsm.streams.update(this.wire.stream, { ...existing.config, duplicate_window: want.duplicate_window, max_age: want.max_age });
        this.log.info({ partner: this.partner, stream: this.wire.stream, duplicate_window_ms: this.wire.duplicateWindowMs }, "NATS stream updated");
      }
    } catch (err) {
      // 10065: another stream already captures these subjects; 10058: a stream of that name with another configuration.
      if (err instanceof StreamRefused || (err instanceof JetStreamApiError && (err.code === 10065 || err.code === 10058 || err.status === 400))) {
        const reason = err instanceof StreamRefused ? err.message : `NATS stream ${this.wire.stream} on ${subject} refused by the server: ${err.message}`;
        this.refusal = reason;
        this.log.error({ partner: this.partner, stream: this.wire.stream }, `${reason}; lane stopped until the configuration changes and the sidecar restarts`);
        throw new StreamRefused(reason);
      }
      throw err;
    }
  }

  /** An error as a retryable outcome (or the refusal); never carries credentials (they are not in the URL or in the client's messages). */
  private failure(err: unknown, timeoutMs: number): AttemptOutcome {
    const e = err as Error & { code?: string | number };
    if (err instanceof StreamRefused) return { ok: false, errorClass: "server_error", message: err.message, retryable: true };
    if (err instanceof errors.TimeoutError) return { ok: false, errorClass: "timeout", message: `no PubAck within ${timeoutMs} ms`, retryable: true };
    if (err instanceof errors.NoRespondersError || (err instanceof errors.RequestError && err.isNoResponders()) || e.name === "JetStreamNotEnabled") {
      this.recheck = true;
      return { ok: false, errorClass: "no_responders", message: `no JetStream stream answered (${e.message})`, retryable: true };
    }
    if (err instanceof JetStreamApiError) return { ok: false, errorClass: "server_error", message: `JetStream refused the publish: ${err.message} (${err.code})`, retryable: true };
    if (/MAX_PAYLOAD|max.?payload/i.test(e.message ?? "")) return { ok: false, errorClass: "encode", message: `event larger than the server's max_payload: ${e.message}`, retryable: false };
    if (err instanceof errors.AuthorizationError || err instanceof errors.PermissionViolationError) return { ok: false, errorClass: "network", message: `NATS refused us: ${e.message}`, retryable: true };
    return { ok: false, errorClass: "network", message: `NATS ${this.server}: ${e.message ?? String(err)}`.slice(0, 500), retryable: true };
  }
}
