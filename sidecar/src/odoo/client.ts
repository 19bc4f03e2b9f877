import PQueue from "p-queue";
import pRetry, { AbortError } from "p-retry";
import type { Logger } from "pino";
import { OdooAuthError, OdooError, OdooProtocolError, OdooUnavailableError, errorFromRpc } from "./errors.ts";

export interface OdooClientOptions {
  url: string;
  db: string;
  login: string;
  apiKey: string;
  /** Calls in flight at once (Odoo's worker pool and db_maxconn are small). */
  concurrency?: number;
  timeoutMs?: number;
  /** Quick retries of a retryable failure inside one call. */
  retries?: number;
  /** Largest answer accepted, in bytes. */
  maxResponseBytes?: number;
  logger?: Logger;
  fetch?: typeof fetch;
}

/**
 * JSON-RPC client for Odoo 18's `/jsonrpc` endpoint, authenticated with an API key.
 * Bounded concurrency protects Odoo: on this machine 300 concurrent calls made half of them
 * fail with an HTML 500 "The Connection Pool Is Full".
 */
export class OdooClient {
  private uid: number | null = null;
  private readonly queue: PQueue;
  private readonly endpoint: string;
  private nextId = 1;

  constructor(private readonly options: OdooClientOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency ?? 4 });
    this.endpoint = new URL("/jsonrpc", options.url).toString();
  }

  /** Calls `model.method(*args, **kwargs)` as the integration user. */
  async execute<T = unknown>(model: string, method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<T> {
    const uid = await this.authenticate();
    return this.call<T>("object", "execute_kw", [this.options.db, uid, this.options.apiKey, model, method, args, kwargs]);
  }

  async version(): Promise<{ server_serie: string; server_version: string }> {
    return this.call("common", "version", []);
  }

  async authenticate(): Promise<number> {
    if (this.uid !== null) return this.uid;
    const uid = await this.call<number | false>("common", "authenticate", [this.options.db, this.options.login, this.options.apiKey, {}]);
    if (typeof uid !== "number") throw new OdooAuthError(`Odoo refused login "${this.options.login}" on database "${this.options.db}"`);
    this.uid = uid;
    return uid;
  }

  get pending(): number {
    return this.queue.size + this.queue.pending;
  }

  private call<T>(service: string, method: string, args: unknown[]): Promise<T> {
    return this.queue.add(
      () =>
        pRetry(() => this.post<T>(service, method, args), {
          retries: this.options.retries ?? 2,
          minTimeout: 200,
          maxTimeout: 2_000,
          randomize: true,
          shouldRetry: ({ error }) => error instanceof OdooError && error.retryable,
        }),
    ) as Promise<T>;
  }

  private async post<T>(service: string, method: string, args: unknown[]): Promise<T> {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: "2.0", method: "call", id, params: { service, method, args } });
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const reason = (err as Error).name === "TimeoutError" ? "timed out" : ((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
      throw new OdooUnavailableError(`Odoo unreachable (${reason})`);
    }
    const text = await readLimited(response, this.options.maxResponseBytes ?? 64 * 1024 * 1024);
    if (text === null) throw new AbortError(new OdooProtocolError("Odoo answer exceeds the size limit"));
    const contentType = response.headers.get("content-type") ?? "";
    if (response.status >= 500 || response.status === 429) {
      throw new OdooUnavailableError(`Odoo answered HTTP ${response.status}${contentType.includes("html") ? " (HTML page: overloaded or restarting)" : ""}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new OdooProtocolError(`Odoo answered HTTP ${response.status} with ${contentType || "no content type"}, not JSON-RPC`);
    }
    if (typeof parsed !== "object" || parsed === null || (parsed as { jsonrpc?: unknown }).jsonrpc !== "2.0") {
      throw new OdooProtocolError("Odoo answer is not a JSON-RPC 2.0 object");
    }
    const answer = parsed as { id?: unknown; result?: unknown; error?: { message?: unknown; data?: { name?: unknown; message?: unknown } } };
    if (answer.error !== undefined) {
      if (typeof answer.error !== "object" || answer.error === null) throw new OdooProtocolError("Odoo error answer is malformed");
      const error = errorFromRpc(answer.error);
      if (error instanceof OdooAuthError) this.uid = null;
      throw error;
    }
    if (answer.id !== id) throw new OdooProtocolError(`Odoo answered id ${String(answer.id)} to request ${id}`);
    // Odoo 18 leaves `result` out when a method returns None (button_cancel, for one).
    return (("result" in answer ? answer.result : null) as T);
  }
}

/** Reads a body up to `limit` bytes; null past it (the rest is discarded). */
async function readLimited(response: Response, limit: number): Promise<string | null> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await response.body?.cancel();
    return null;
  }
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
