import { connect, type Socket } from "node:net";

/**
 * An HTTP/1.1 load generator on raw keep-alive sockets, light enough that the server, not
 * the generator, is what a run measures (node:http's client costs more CPU per request than
 * a bare Hono server answering it, so a run against the bare server measured the client).
 * One request in flight per connection (no pipelining), as wrk does. Each request is built
 * by the caller (a fresh body and signature each time); answers are read with `Content-Length`
 * or chunked framing, which is all a Node server sends.
 */

export interface RawLoadOptions {
  port: number;
  connections: number;
  /** Closed loop: each connection sends its next request when the last is answered. Open: `rate` requests per second, latency from each request's scheduled time. */
  mode: "closed" | "open";
  rate?: number;
  warmupMs: number;
  measureMs: number;
  /** The n-th request, whole (request line, headers, body). */
  request(n: number): Buffer;
}

export interface RawLoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  statuses: Record<string, number>;
  /** Latencies in ms of the requests answered in the measuring window, sorted. */
  latencies: number[];
  /** Share of one core the generator used while measuring. */
  generatorCpu: number;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const CHUNKED_END = Buffer.from("0\r\n\r\n");

interface Conn {
  socket: Socket;
  buf: Buffer;
  startedAt: number;
  busy: boolean;
}

export function runRawLoad(o: RawLoadOptions): Promise<RawLoadResult> {
  return new Promise((resolve, reject) => {
    let n = 0;
    let measuring = false;
    let stopping = false;
    let measureStart = 0;
    let cpuStart = process.cpuUsage();
    const statuses: Record<string, number> = {};
    const latencies: number[] = [];
    const queue: number[] = []; // open loop: scheduled send times waiting for a free connection
    const conns: Conn[] = [];
    let openTimer: NodeJS.Timeout | null = null;
    let cursor = 0;

    const send = (c: Conn, scheduledAt: number) => {
      c.busy = true;
      c.startedAt = scheduledAt;
      c.socket.write(o.request(n++));
    };
    const next = (c: Conn) => {
      if (stopping) return;
      if (o.mode === "closed") send(c, performance.now());
      else if (queue.length > 0) send(c, queue.shift()!);
    };
    const answered = (c: Conn, status: number) => {
      c.busy = false;
      if (measuring) {
        latencies.push(performance.now() - c.startedAt);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
      next(c);
    };
    /** Reads every whole answer in the connection's buffer. */
    const parse = (c: Conn) => {
      for (;;) {
        const headEnd = c.buf.indexOf(HEAD_END);
        if (headEnd === -1) return;
        const head = c.buf.toString("latin1", 0, headEnd);
        const status = Number(head.slice(9, 12));
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        let end: number;
        if (length) {
          end = headEnd + 4 + Number(length[1]);
          if (c.buf.length < end) return;
        } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
          const term = c.buf.indexOf(CHUNKED_END, headEnd + 4);
          if (term === -1) return;
          end = term + CHUNKED_END.length;
        } else end = headEnd + 4; // no body (204/304 style)
        c.buf = c.buf.subarray(end);
        answered(c, status);
      }
    };

    let connected = 0;
    let started = false;
    /** Opens (or reopens: a server closes keep-alive connections idle past its timeout) connection i. */
    const open = (i: number) => {
      const socket = connect({ port: o.port, host: "127.0.0.1", noDelay: true });
      const c: Conn = { socket, buf: Buffer.alloc(0), startedAt: 0, busy: true };
      conns[i] = c;
      socket.on("data", (chunk: Buffer) => {
        c.buf = c.buf.length === 0 ? chunk : Buffer.concat([c.buf, chunk]);
        parse(c);
      });
      socket.on("error", () => undefined); // "close" follows
      socket.on("close", () => {
        if (stopping || conns[i] !== c) return;
        // A request on it went unanswered: counted, and the connection replaced.
        if (c.busy && started && measuring) statuses.error = (statuses.error ?? 0) + 1;
        open(i);
      });
      socket.on("connect", () => {
        c.busy = false;
        if (!started) {
          if (++connected === o.connections) start();
        } else next(c);
      });
    };
    for (let i = 0; i < o.connections; i++) open(i);

    const start = () => {
      started = true;
      const began = performance.now();
      if (o.mode === "closed") for (const c of conns) next(c);
      else {
        const rate = o.rate ?? 1000;
        let scheduled = 0;
        openTimer = setInterval(() => {
          const due = Math.floor(((performance.now() - began) / 1000) * rate);
          for (; scheduled < due; scheduled++) queue.push(began + (scheduled / rate) * 1000);
          // Round robin, so every connection stays in use (none idles into the server's keep-alive timeout).
          for (let k = 0; k < conns.length && queue.length > 0; k++) {
            const c = conns[(cursor + k) % conns.length]!;
            if (!c.busy) {
              send(c, queue.shift()!);
              cursor = (cursor + k + 1) % conns.length;
              k = -1;
            }
          }
        }, 1);
      }
      setTimeout(() => {
        measuring = true;
        measureStart = performance.now();
        cpuStart = process.cpuUsage();
      }, o.warmupMs);
      setTimeout(() => {
        const seconds = (performance.now() - measureStart) / 1000;
        const cpu = process.cpuUsage(cpuStart);
        measuring = false;
        stopping = true;
        if (openTimer) clearInterval(openTimer);
        for (const c of conns) c.socket.destroy();
        latencies.sort((a, b) => a - b);
        const ok = Object.entries(statuses)
          .filter(([s]) => s.startsWith("2"))
          .reduce((a, [, k]) => a + k, 0);
        resolve({ requests: latencies.length, seconds, perSecond: ok / seconds, statuses, latencies, generatorCpu: (cpu.user + cpu.system) / 1e6 / seconds });
      }, o.warmupMs + o.measureMs);
    };
  });
}
