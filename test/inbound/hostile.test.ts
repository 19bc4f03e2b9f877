/**
 * At least 10,000 generated hostile requests (test/inbound/hostile.ts) against a running
 * sidecar: every one answered with the 4xx it deserves (a replay of an accepted message with
 * a 2xx naming it a duplicate), no 5xx, nothing applied in Odoo, nothing new stored, no
 * secret in the logs, and the sidecar still healthy afterwards.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { hostileRequests, HOSTILE_MAX_BODY, validHeaders, type AcceptedMessage, type HostileRequest } from "./hostile.ts";
import { cxmlConfirmation, easypostTracking, shippoTracking, aftershipTracking, signed, startInboundStack, waitFor, SECRETS, type InboundStack } from "./support.ts";

const RUNS = Number(process.env.HOSTILE_RUNS ?? 10_000);
const CONCURRENCY = 16;

let s: InboundStack;
beforeAll(async () => {
  const big = { max_body_bytes: HOSTILE_MAX_BODY, rate: { requests: 1_000_000, per_ms: 1000 } };
  s = await startInboundStack({ inbound: { WOODCORNER: big, EASYPOST: big, SHIPPO: big, "SHIPPO-TOKEN": big, AFTERSHIP: big, CANON: big } });
});
afterAll(async () => {
  await s?.stop();
});

it(`${RUNS} generated hostile requests change nothing in Odoo and never crash the sidecar`, { timeout: 180_000 }, async () => {
  // Messages accepted (and applied) before the attack: the attacker replays them.
  const po = s.approvedPo("WOODCORNER");
  s.odoo.inbound.addDeliveryOrder("EASYPOST", { tracking: "REPLAY-1" });
  s.odoo.inbound.addDeliveryOrder("SHIPPO", { tracking: "REPLAY-2" });
  s.odoo.inbound.addDeliveryOrder("AFTERSHIP", { tracking: "REPLAY-3" });
  const cxml = cxmlConfirmation({ po: po.name, type: "accept", payloadId: "replayed@wc" });
  const accepted: AcceptedMessage[] = [
    { partner: "WOODCORNER", body: cxml, headers: signed.xml() },
    ...(
      [
        ["EASYPOST", easypostTracking({ tracking: "REPLAY-1", status: "in_transit", at: "2026-12-01T08:00:00Z", id: "evt_replayed" })],
        ["SHIPPO", shippoTracking({ tracking: "REPLAY-2", status: "TRANSIT", at: "2026-12-01T08:00:00Z" })],
        ["AFTERSHIP", aftershipTracking({ tracking: "REPLAY-3", tag: "InTransit", at: "2026-12-01T08:00:00Z" })],
      ] as const
    ).map(([partner, body]) => ({ partner, body, headers: validHeaders(partner, body) })),
  ];
  for (const m of accepted) expect((await s.post(m.partner, m.body, m.headers)).status).toBeLessThan(300);
  await waitFor(() => s.sidecar.inbound.store.counts().pending === 0 && !s.sidecar.inbound.worker.busy, "the accepted messages to be applied");
  expect(s.odoo.inbound.rows.size).toBe(4);

  const odooBefore = s.odoo.inbound.snapshot();
  const callsBefore = s.odoo.inbound.calls.length;
  const storeBefore = s.sidecar.inbound.store.counts();
  const logsBefore = s.logs.length;

  const requests = fc.sample(hostileRequests(accepted), { numRuns: RUNS, seed: 20_261_126 });
  const byKind = new Map<string, Map<number, number>>();
  const violations: { request: HostileRequest; status: number; text: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const res = await fetch(`${s.url}${r.path}`, { method: r.method, headers: r.headers, ...(r.body === null ? {} : { body: typeof r.body === "string" ? r.body : new Uint8Array(r.body) }) });
      const text = await res.text();
      const counts = byKind.get(r.kind) ?? new Map<number, number>();
      counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
      byKind.set(r.kind, counts);
      const ok = r.expect.includes(res.status) && (!r.replay || res.status >= 400 || /"duplicate":true|already received/.test(text));
      if (!ok && violations.length < 20) violations.push({ request: { ...r, body: typeof r.body === "string" ? r.body.slice(0, 300) : r.body }, status: res.status, text: text.slice(0, 500) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  const summary = Object.fromEntries([...byKind].map(([kind, counts]) => [kind, Object.fromEntries([...counts].sort())]));
  console.log(`hostile run: ${requests.length} requests`, JSON.stringify(summary));
  expect(violations.map((v) => `${v.request.kind} ${v.request.method} ${v.request.path} -> ${v.status}: ${v.text.replace(/\s+/g, " ").slice(-300)}`)).toEqual([]);
  const statuses = [...byKind.values()].flatMap((m) => [...m.keys()]);
  expect(statuses.filter((st) => st >= 500)).toEqual([]);

  // Give the apply worker every chance to do something it should not.
  await new Promise((r) => setTimeout(r, 300));
  await waitFor(() => !s.sidecar.inbound.worker.busy, "the worker to be idle");
  expect(s.odoo.inbound.calls.length).toBe(callsBefore);
  expect(s.odoo.inbound.snapshot()).toBe(odooBefore);
  expect(s.sidecar.inbound.store.counts()).toEqual(storeBefore);

  // Still healthy, and still taking genuine documents.
  const health = await fetch(`${s.url}/healthz`);
  expect(health.status).toBe(200);
  s.odoo.inbound.addDeliveryOrder("EASYPOST", { tracking: "AFTER-ATTACK" });
  const genuine = easypostTracking({ tracking: "AFTER-ATTACK", status: "delivered", at: "2026-12-02T08:00:00Z" });
  expect((await s.post("EASYPOST", genuine, signed.easypost(genuine))).status).toBe(202);
  await waitFor(() => [...s.odoo.inbound.pickings.values()].some((p) => p.carrier_tracking_ref === "AFTER-ATTACK" && p.carrier_status === "delivered"), "a genuine update after the attack");

  // Each refusal was logged, without the partners' secrets or the signatures offered.
  const logs = s.logs.slice(logsBefore).join("");
  // (Other methods and paths that are no partner address at all, e.g. /inbound/X/.., meet the app's 404.)
  const refusedByRoute = [...byKind].filter(([kind]) => kind !== "wrong method" && kind !== "unknown partner").flatMap(([, m]) => [...m].filter(([st]) => st >= 400).map(([, count]) => count));
  const refusedLogged = s.logs.slice(logsBefore).filter((l) => l.includes('"inbound refused"')).length;
  expect(refusedLogged).toBeGreaterThanOrEqual(refusedByRoute.reduce((a, b) => a + b, 0));
  for (const secret of Object.values(SECRETS)) expect(logs.includes(secret), `a secret in the logs`).toBe(false);
  expect(logs).not.toMatch(/hmac-sha256-hex=|v1,[A-Za-z0-9+/]{20}/);
});
