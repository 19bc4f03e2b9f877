import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** What the partner does with one request: answer it, answer late, or drop the connection. */
export type PartnerFault = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | { reset: true } | { hangMs: number };

export interface ReceivedEvent {
  webhookId: string;
  type: string;
  subject: string;
  sequence: number;
  body: string;
  at: number;
}

/**
 * A partner's webhook receiver on loopback. It verifies every request's Standard Webhooks
 * signature with the official `standardwebhooks` library (independent of the sidecar's own
 * signing code), answers 401 to a bad one, records what it accepted, and can inject faults.
 */
export class PartnerReceiver {
  readonly accepted: ReceivedEvent[] = [];
  readonly arrivals: number[] = [];
  rejectedSignatures = 0;
  private readonly verifiers: Webhook[];
  private server: Server | null = null;
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

  /** Distinct event ids accepted. */
  get uniqueIds(): Set<string> {
    return new Set(this.accepted.map((e) => e.webhookId));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = this.arrivals.length;
    this.arrivals.push(Date.now());
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
        req.socket.destroy();
        return;
      }
      if (fault && "hangMs" in fault) {
        await new Promise((r) => setTimeout(r, fault.hangMs));
        req.socket.destroy();
        return;
      }
      if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault) {
        res.writeHead(fault.status, { "content-type": "text/plain", ...(fault.headers ?? {}) }).end(fault.body ?? `injected ${fault.status}`);
        return;
      }
      const verified = this.verifiers.some((v) => {
        try {
          v.verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) {
        this.rejectedSignatures++;
        res.writeHead(401, { "content-type": "text/plain" }).end("bad signature");
        return;
      }
      const event = JSON.parse(body) as { type: string; subject: { model: string; id: number }; sequence: number };
      this.accepted.push({ webhookId: headers["webhook-id"], type: event.type, subject: `${event.subject.model}:${event.subject.id}`, sequence: event.sequence, body, at: Date.now() });
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
    await new Promise<void>((r) => this.server!.listen(port, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
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
