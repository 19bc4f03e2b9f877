import { Webhook } from "standardwebhooks";

/**
 * The baseline of bench/drain.ts: the relay one writes first. It reads one outbox event per
 * JSON-RPC call, posts it to the partner (signed, so the partner accepts it), and records it
 * delivered with one call per event. Plain fetch, no batching, no concurrency.
 */

export interface NaiveRelayOptions {
  odoo: { url: string; db: string; login: string; apiKey: string };
  partnerUrl: string;
  /** Standard Webhooks secret the partner verifies with. */
  secret: string;
  /** Stop after this many events (or when the outbox has none pending). */
  count: number;
}

export interface NaiveRelayResult {
  events: number;
  ms: number;
  calls: number;
}

async function rpc<T>(url: string, service: string, method: string, args: unknown[]): Promise<T> {
  const res = await fetch(`${url}/jsonrpc`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", method: "call", id: 1, params: { service, method, args } }),
  });
  const answer = (await res.json()) as { result?: T; error?: { data?: { message?: string } } };
  if (answer.error) throw new Error(`Odoo: ${answer.error.data?.message ?? "error"}`);
  return answer.result as T;
}

export async function runNaiveRelay(options: NaiveRelayOptions): Promise<NaiveRelayResult> {
  const { odoo } = options;
  const uid = await rpc<number>(odoo.url, "common", "authenticate", [odoo.db, odoo.login, odoo.apiKey, {}]);
  const execute = <T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    rpc<T>(odoo.url, "object", "execute_kw", [odoo.db, uid, odoo.apiKey, model, method, args, kwargs]);
  const webhook = new Webhook(options.secret);
  let events = 0;
  let calls = 1;
  const started = performance.now();
  while (events < options.count) {
    // Read one event.
    const claim = await execute<{ events: { event: { id: string } & Record<string, unknown> }[] }>("connector.outbox", "claim_batch", [], { limit: 1, lease_seconds: 120 });
    calls++;
    const item = claim.events[0];
    if (!item) break;
    const body = JSON.stringify(item.event);
    const at = new Date();
    const res = await fetch(options.partnerUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": item.event.id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": webhook.sign(item.event.id, at, body),
      },
      body,
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`partner answered ${res.status}`);
    // Record it, one call per event.
    await execute("connector.outbox", "record_results", [[{ event_id: item.event.id, state: "delivered", partner: null, attempts: 1, error: null, at: null }]]);
    calls++;
    events++;
  }
  return { events, ms: performance.now() - started, calls };
}
