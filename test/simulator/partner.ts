import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Webhook } from "standardwebhooks";
import { closeServer, listenLoopback } from "./loopback.ts";

/**
 * What the partner does with one request: answer it with an error (maybe late), drop the
 * connection, hang (then drop it), or accept it but answer late (`acceptAfterMs`).
 */
export type PartnerFault =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  | { reset: true }
  | { hangMs: number }
  | { acceptAfterMs: number };

/** One request as the partner saw it, in arrival order. */
export interface PartnerRequest {
  n: number;
  webhookId: string;
  arrivedAt: number;
  /** When the answer was sent, or the connection dropped. */
  answeredAt: number;
  /** `accepted`, `bad_signature`, `reset`, `hang`, or the injected status as `http_<status>`. */
  outcome: string;
  /** Retry-After the partner asked for, as sent. */
  retryAfter?: string;
}

export interface ReceivedEvent {
  webhookId: string;
  type: string;
  subject: string;
  sequence: number;
  body: string;
  at: number;
  /** The request's webhook-id when the event came in a batch. */
  batchId?: string;
}

/**
 * A partner's webhook receiver on loopback. It verifies every request's Standard Webhooks
 * signature with the official `standardwebhooks` library (independent of the sidecar's own
 * signing code), answers 401 to a bad one, records what it accepted, and can inject faults.
 */
export class PartnerReceiver {
  readonly accepted: ReceivedEvent[] = [];
  /** Sizes of the batched requests accepted. */
  readonly batches: number[] = [];
  readonly arrivals: number[] = [];
  /** Every request with its fate, in arrival order. */
  readonly requests: PartnerRequest[] = [];
  rejectedSignatures = 0;
  private readonly verifiers: Webhook[];
  private server: Server | null = null;
  /** TCP connections accepted (a keep-alive client opens few). */
  connections = 0;
  private inFlight = 0;
  maxInFlight = 0;
  url = "";

  constructor(
    secrets: string[],
    /** Decides the fate of the n-th request (0-based); null = accept. */
    public fault: (n: number, webhookId: string) => PartnerFault | null = () => null,
  ) {
    this.verifiers = secrets.map((s) => new Webhook(s));
  }

  /**
   * Replaces the official library's check (benchmarks: its pure-JS SHA-256 costs the partner
   * process more CPU than the sidecar's whole delivery).
   */
  verifyWith: ((body: string, headers: Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string>) => boolean) | null = null;

  /** Distinct event ids accepted. */
  get uniqueIds(): Set<string> {
    return new Set(this.accepted.map((e) => e.webhookId));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = this.arrivals.length;
    const arrivedAt = Date.now();
    this.arrivals.push(arrivedAt);
    const request: PartnerRequest = { n, webhookId: String(req.headers["webhook-id"] ?? ""), arrivedAt, answeredAt: arrivedAt, outcome: "dropped" };
    this.requests.push(request);
    const settle = (outcome: string) => {
      request.outcome = outcome;
      request.answeredAt = Date.now();
    };
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = {
        "webhook-id": String(req.headers["webhook-id"] ?? ""),
        "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
        "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
      };
      const fault = this.fault(n, headers["webhook-id"]);
      if (fault && "reset" in fault) {
        settle("reset");
        req.socket.destroy();
        return;
      }
      if (fault && "hangMs" in fault) {
        await new Promise((r) => setTimeout(r, fault.hangMs));
        settle("hang");
        req.socket.destroy();
        return;
      }
      if (fault && "status" in fault) {
        if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
        const retryAfter = Object.entries(fault.headers ?? {}).find(([k]) => k.toLowerCase() === "retry-after")?.[1];
        if (retryAfter !== undefined) request.retryAfter = retryAfter;
        settle(`http_${fault.status}`);
        res.writeHead(fault.status, { "content-type": "text/plain", ...(fault.headers ?? {}) }).end(fault.body ?? `injected ${fault.status}`);
        return;
      }
      const verified = this.verifyWith
        ? this.verifyWith(body, headers)
        : this.verifiers.some((v) => {
            try {
              v.verify(body, headers);
              return true;
            } catch {
              return false;
            }
          });
      if (!verified) {
        this.rejectedSignatures++;
        settle("bad_signature");
        res.writeHead(401, { "content-type": "text/plain" }).end("bad signature");
        return;
      }
      type Canonical = { id: string; type: string; subject: { model: string; id: number }; sequence: number };
      const parsed = JSON.parse(body) as Canonical | { events: Canonical[] };
      // A batched delivery carries several events; each is deduplicated on its own id.
      const list = "events" in parsed ? parsed.events : [parsed];
      const batched = "events" in parsed;
      for (const event of list) {
        this.accepted.push({ webhookId: batched ? event.id : headers["webhook-id"], type: event.type, subject: `${event.subject.model}:${event.subject.id}`, sequence: event.sequence, body: batched ? JSON.stringify(event) : body, at: Date.now(), ...(batched ? { batchId: headers["webhook-id"] } : {}) });
      }
      if (batched) this.batches.push(list.length);
      if (fault && "acceptAfterMs" in fault) await new Promise((r) => setTimeout(r, fault.acceptAfterMs));
      settle("accepted");
      res.writeHead(204).end();
    } finally {
      this.inFlight--;
    }
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    this.server.keepAliveTimeout = 5_000;
    this.server.on("connection", () => this.connections++);
    this.url = await listenLoopback(this.server, port);
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await closeServer(this.server);
    this.server = null;
  }

  /** Largest number of requests that arrived within any window of `windowMs`. */
  maxInWindow(windowMs: number): number {
    let max = 0;
    let lo = 0;
    for (let hi = 0; hi < this.arrivals.length; hi++) {
      while (this.arrivals[hi]! - this.arrivals[lo]! >= windowMs) lo++;
      max = Math.max(max, hi - lo + 1);
    }
    return max;
  }
}
