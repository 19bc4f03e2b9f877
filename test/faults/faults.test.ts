import diagnostics from "node:diagnostics_channel";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AttemptOutcome } from "../../sidecar/src/delivery/attempt.ts";
import type { OdooSimulator, SimOutboxRow, SimPurchaseOrder } from "../simulator/odoo.ts";
import type { PartnerFault, PartnerRequest } from "../simulator/partner.ts";
import { maxInWindow, orderViolations, summarizeAccepted } from "../support/accepted.ts";
import { demoLines, startStack, waitFor, type Stack, type StackOptions } from "../support/harness.ts";
import { FAILING_KINDS, FaultSchedule } from "./fault-schedule.ts";

/**
 * The delivery engine against a partner that fails on purpose: a seeded schedule of 5xx,
 * 429 with Retry-After, hangs past the timeout, connection resets and late answers, plus
 * the permanent refusals. Waits are short so a run takes seconds; nothing here asserts a
 * duration, only lower bounds the engine promises (Retry-After, the schedule) and counts.
 */

const SCHEDULE_MS = [50, 100, 200, 400, 800, 800, 800, 800, 800, 800, 800, 800, 800, 800, 800, 800];
const JITTER = 0.2;
const TIMEOUT_MS = 300;

/**
 * Records when the sidecar creates each request to a partner path, through undici's
 * diagnostics channel: the production transport stays in place (no fetch injected).
 */
function observeSends(path = "/webhooks"): { times: number[]; stop(): void } {
  const times: number[] = [];
  const onCreate = (message: unknown) => {
    const request = (message as { request?: { path?: string } }).request;
    if (request?.path === path) times.push(Date.now());
  };
  diagnostics.subscribe("undici:request:create", onCreate);
  return { times, stop: () => diagnostics.unsubscribe("undici:request:create", onCreate) };
}

/**
 * The window in which sends are counted against the limit: the limiter decides at one instant
 * and the request leaves a moment later, on a busy 2-core machine sometimes a few ms later
 * (preemption, GC), which can push one send across a window edge. 5% of the window absorbs that
 * and still catches a limiter that lets one request too many through per window. The partner's
 * own count, which the issue asks for, is checked exactly.
 */
const sendWindow = (perMs: number) => perMs - Math.max(2, Math.ceil(perMs * 0.05));

interface Attempt {
  deliveryId: number;
  eventId: string;
  outcome: AttemptOutcome;
  final: "delivered" | "dead" | null;
  /** The delivery's row right after the outcome was recorded. */
  stored: { state: string; attempts: number; lastErrorClass: string | null; lastStatus: number | null; lastError: string | null } | null;
}

let stacks: Stack[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((s) => s.stop()));
  stacks = [];
});

interface FaultStackOptions {
  fault: (n: number, webhookId: string) => PartnerFault | null;
  concurrency?: number;
  rate?: { requests: number; per_ms: number };
  scheduleMs?: number[];
  env?: Record<string, string>;
  partnerFetch?: typeof fetch;
}

/** A stack whose partner fails on purpose, with short waits, and a log of every attempt as recorded. */
async function startFaultStack(options: FaultStackOptions): Promise<{ stack: Stack; attempts: Attempt[] }> {
  const attempts: Attempt[] = [];
  let stack: Stack | null = null;
  const stackOptions: StackOptions = {
    fault: options.fault,
    ...(options.partnerFetch ? { partnerFetch: options.partnerFetch } : {}),
    env: { ODC_POLL_INTERVAL_MS: "200", ...options.env },
    partnerOverrides: {
      limits: {
        concurrency: options.concurrency ?? 8,
        rate: options.rate ?? { requests: 40, per_ms: 250 },
        timeout_ms: TIMEOUT_MS,
        breaker_threshold: 8,
        breaker_cooldown_ms: 200,
      },
      retry: { schedule_ms: options.scheduleMs ?? SCHEDULE_MS, jitter: JITTER },
    },
    observer: {
      attempted(_partner, delivery, outcome, final) {
        const row = stack?.sidecar.store.delivery(delivery.id);
        attempts.push({
          deliveryId: delivery.id,
          eventId: delivery.eventId,
          outcome,
          final,
          stored: row ? { state: row.state, attempts: row.attempts, lastErrorClass: row.lastErrorClass, lastStatus: row.lastStatus, lastError: row.lastError } : null,
        });
      },
    },
  };
  stack = await startStack(stackOptions);
  stacks.push(stack);
  return { stack, attempts };
}

/**
 * Commits `perSubject` events for each of `subjects` new orders, round robin (sequence 1 of
 * every order, then 2, ...), so claim batches mix subjects; one nudge per round.
 */
function seedSubjects(odoo: OdooSimulator, subjects: number, perSubject: number): { orders: SimPurchaseOrder[]; rows: SimOutboxRow[] } {
  const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
  const orders = Array.from({ length: subjects }, () => odoo.addPurchaseOrder(vendor.id, demoLines()));
  const rows: SimOutboxRow[] = [];
  for (const po of orders) rows.push(odoo.approve(po.id));
  for (let seq = 2; seq <= perSubject; seq++) {
    for (const po of orders) rows.push(odoo.emit("purchase_order.confirmed", "purchase.order", po.id, po.name, "WOODCORNER", odoo.purchaseOrderData(po)));
    odoo.afterCommit(orders.length);
  }
  return { orders, rows };
}

describe("30% injected faults (seeded): 5xx, 429 + Retry-After, timeouts, resets, late answers", () => {
  const rate = { requests: 40, per_ms: 250 };
  // Hangs last 2 s: past the partner timeout even with the ~0.5 s granularity of the transport's
  // timers (see "partner timeout" below), so a hang is always recorded as a timeout.
  const schedule = new FaultSchedule({ seed: 0x5eed_0030, rate: 0.3, slowRate: 0.05, retryAfterMaxS: 1, hangMs: 2_000, slowMaxMs: 100 });
  let run: { stack: Stack; attempts: Attempt[]; rows: SimOutboxRow[]; sends: number[] } | null = null;

  beforeAll(async () => {
    const observed = observeSends();
    const sends = observed.times;
    const { stack, attempts } = await startFaultStack({ fault: schedule.fault, concurrency: 8, rate });
    stacks = stacks.filter((x) => x !== stack); // lives for the whole describe
    const { rows } = seedSubjects(stack.odoo, 40, 10);
    await waitFor(() => rows.every((r) => r.state === "delivered"), "every outbox row recorded delivered", 120_000);
    observed.stop();
    run = { stack, attempts, rows, sends };
    const p = stack.partner;
    const s = summarizeAccepted(p.accepted);
    console.log(
      `30% faults: ${rows.length} events, ${p.requests.length} requests, ${schedule.failures} failures injected (${Math.round((100 * schedule.failures) / p.requests.length)}%), ` +
        `${s.unique}/${rows.length} delivered, ${s.duplicates} duplicates, max ${maxInWindow(sends, rate.per_ms)} sent and ${p.maxInWindow(rate.per_ms)} arrived in ${rate.per_ms} ms (limit ${rate.requests})`,
    );
  }, 150_000);
  afterAll(async () => {
    await run?.stack.stop();
  });
  const r = () => {
    if (!run) throw new Error("the run did not complete");
    return run;
  };

  it("injects failures at about the asked rate", () => {
    const requests = r().stack.partner.requests.length;
    expect(schedule.failures / requests).toBeGreaterThan(0.2);
    expect(schedule.failures / requests).toBeLessThan(0.4);
  });

  it("delivers 100% of events under their stable id, and every row is recorded delivered in Odoo", () => {
    const { stack, rows } = r();
    expect(rows.every((row) => row.state === "delivered")).toBe(true);
    expect(stack.partner.uniqueIds).toEqual(new Set(rows.map((row) => row.event_uuid)));
    expect(summarizeAccepted(stack.partner.accepted).idMismatches).toBe(0);
  });

  it("keeps order per subject among first deliveries", () => {
    expect(orderViolations(r().stack.partner.accepted)).toEqual([]);
  });

  it("never starts more requests in a window than the limit", () => {
    // Measured where requests leave the sidecar; see sendWindow for the 5% off the window.
    expect(maxInWindow(r().sends, sendWindow(rate.per_ms))).toBeLessThanOrEqual(rate.requests);
  });

  it("never lets the partner receive more requests in a window than the limit", () => {
    expect(r().stack.partner.maxInWindow(rate.per_ms)).toBeLessThanOrEqual(rate.requests);
  });

  it("records every failed attempt with the class of what the partner did, in the store", () => {
    const { attempts, stack } = r();
    // One recorded attempt per request that reached the partner.
    expect(attempts.length).toBe(stack.partner.requests.length);
    for (const a of attempts.filter((x) => !x.outcome.ok)) {
      const o = a.outcome as Extract<AttemptOutcome, { ok: false }>;
      expect(a.stored, `delivery ${a.deliveryId}`).toMatchObject({ state: "pending", lastErrorClass: o.errorClass, lastStatus: o.status ?? null });
    }
    // Pair the k-th request the partner saw for an event with the sidecar's k-th attempt of it
    // (an event's attempts never overlap; "dropped" is a hang still under way). The class must be the one for what the partner did,
    // or "timeout" when the sidecar's own timer fired first (a late answer, or on a loaded
    // machine a stalled event loop: then the partner may also have accepted it, a duplicate).
    const expected: Record<string, string | null> = { accepted: null, http_500: "http_5xx", http_502: "http_5xx", http_503: "http_5xx", http_429: "http_retryable_4xx", hang: "timeout", dropped: "timeout", reset: "network" };
    const seenByEvent = new Map<string, Attempt[]>();
    for (const a of attempts) seenByEvent.set(a.eventId, [...(seenByEvent.get(a.eventId) ?? []), a]);
    const sentByEvent = new Map<string, PartnerRequest[]>();
    for (const q of stack.partner.requests) sentByEvent.set(q.webhookId, [...(sentByEvent.get(q.webhookId) ?? []), q]);
    const classes = new Map<string, number>();
    let paired = 0;
    for (const [eventId, sent] of sentByEvent) {
      const seen = seenByEvent.get(eventId) ?? [];
      expect(seen.length, `attempts of ${eventId}`).toBe(sent.length);
      sent.forEach((q, k) => {
        const o = seen[k]!.outcome;
        const cls = o.ok ? null : o.errorClass;
        const want = expected[q.outcome];
        expect(want, `partner outcome ${q.outcome}`).not.toBeUndefined();
        if (cls !== want) expect(cls, `event ${eventId} attempt ${k + 1}: partner ${q.outcome}`).toBe("timeout");
        if (cls) classes.set(cls, (classes.get(cls) ?? 0) + 1);
        paired++;
      });
    }
    expect(paired).toBe(attempts.length);
    for (const cls of ["http_5xx", "http_retryable_4xx", "timeout", "network"]) expect(classes.get(cls) ?? 0, cls).toBeGreaterThan(0);
    // Every failure the schedule handed out was carried out by the partner.
    expect(stack.partner.requests.filter((q) => q.outcome !== "accepted")).toHaveLength(FAILING_KINDS.reduce((n, k) => n + schedule.injected[k], 0));
  });

  it("never retries sooner than Retry-After asks, nor sooner than the schedule (minus jitter)", () => {
    const { partner } = r().stack;
    const byEvent = new Map<string, PartnerRequest[]>();
    for (const q of partner.requests) byEvent.set(q.webhookId, [...(byEvent.get(q.webhookId) ?? []), q]);
    let retryAfterChecked = 0;
    for (const [id, list] of byEvent) {
      for (let i = 0; i + 1 < list.length; i++) {
        const q = list[i]!;
        const next = list[i + 1]!;
        if (q.outcome === "hang" || q.outcome === "dropped" || q.outcome === "accepted") continue; // the sidecar gave up before the partner answered
        const minWait = Math.max(SCHEDULE_MS[i]! * (1 - JITTER), q.retryAfter !== undefined ? Number(q.retryAfter) * 1000 : 0);
        expect(next.arrivedAt - q.answeredAt, `event ${id} attempt ${i + 2} after ${q.outcome}`).toBeGreaterThanOrEqual(Math.floor(minWait) - 1);
        if (q.retryAfter !== undefined && Number(q.retryAfter) > 0) retryAfterChecked++;
      }
    }
    expect(retryAfterChecked).toBeGreaterThan(0);
  });
});

describe("permanent refusals and retryable 4xx", () => {
  it.each([400, 401, 403, 404, 409, 422])("HTTP %i ends the delivery dead at once, keeps the answer, reports it dead, and the subject moves on", async (status) => {
    let refusedId = "";
    const { stack, attempts } = await startFaultStack({ fault: (_n, id) => (id === refusedId ? { status, body: `refused: no such article (${status})` } : null) });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const po = odoo.addPurchaseOrder(vendor.id, demoLines());
    odoo.sidecarUrl = undefined; // commit all three before the sidecar looks
    const rows = [odoo.approve(po.id), ...[2, 3].map(() => odoo.emit("purchase_order.confirmed", "purchase.order", po.id, po.name, "WOODCORNER", odoo.purchaseOrderData(po)))];
    refusedId = rows[1]!.event_uuid;
    odoo.sidecarUrl = stack.sidecarUrl;
    odoo.afterCommit(3);

    await waitFor(() => rows[1]!.state === "dead" && rows[2]!.state === "delivered" && rows[0]!.state === "delivered", "sequence 2 dead, 1 and 3 delivered", 20_000);
    expect(partner.requests.filter((q) => q.webhookId === refusedId)).toHaveLength(1);
    expect(rows[1]!.last_error).toContain(`HTTP ${status}: refused: no such article (${status})`);
    const dead = attempts.find((a) => a.eventId === refusedId)!;
    expect(dead.final).toBe("dead");
    expect(dead.stored).toMatchObject({ state: "dead", attempts: 1, lastErrorClass: "http_4xx", lastStatus: status });
    expect(partner.accepted.map((e) => e.sequence)).toEqual([1, 3]);
  });

  it.each([408, 425, 429])("HTTP %i is retried, not dead", async (status) => {
    let refusals = 2;
    const { stack } = await startFaultStack({ fault: () => (refusals-- > 0 ? { status } : null) });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => row.state === "delivered", "delivered after two refusals", 20_000);
    expect(partner.requests.map((q) => q.outcome)).toEqual([`http_${status}`, `http_${status}`, "accepted"]);
  });

  it("an answer with X-Stop-Retrying: true ends retries", async () => {
    const { stack } = await startFaultStack({ fault: () => ({ status: 503, headers: { "x-stop-retrying": "true" }, body: "we will never take this one" }) });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => row.state === "dead", "dead", 20_000);
    expect(partner.requests).toHaveLength(1);
    expect(row.last_error).toContain("we will never take this one");
  });
});

describe("410 Gone", () => {
  it("ends that delivery dead, reports it, and disables the partner's lane: nothing more is sent", async () => {
    const { stack } = await startFaultStack({ fault: (n) => (n === 2 ? { status: 410, body: "endpoint retired" } : null), concurrency: 1 });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const rows = Array.from({ length: 6 }, () => odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id));

    await waitFor(() => rows.some((r) => r.state === "dead"), "the refused row to be recorded dead", 20_000);
    const gone = rows.find((r) => r.state === "dead")!;
    expect(gone.event_uuid).toBe(partner.requests[2]!.webhookId);
    expect(gone.last_error).toContain("HTTP 410");
    const health = stack.sidecar.health() as unknown as { partners: Record<string, { disabled: string | null }> };
    expect(health.partners.WOODCORNER!.disabled).toMatch(/410/);

    // More events arrive and are claimed; the lane stays silent.
    const more = Array.from({ length: 3 }, () => odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id));
    await waitFor(() => more.every((r) => r.state !== "pending"), "the new rows to be claimed", 20_000);
    const sent = partner.requests.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(partner.requests.length).toBe(sent);
    expect(sent).toBe(3);
    expect(stack.sidecar.store.counts().pending).toBe(rows.length + more.length - 3);
  });
});

describe("Retry-After", () => {
  it("is honoured in seconds and as an HTTP date, on 429 and on 503, even when the schedule asks for less", async () => {
    const answers: PartnerFault[] = [];
    const { stack } = await startFaultStack({ fault: () => answers.shift() ?? null, scheduleMs: [10, 10, 10, 10] });
    answers.push({ status: 429, headers: { "retry-after": "1" } }, { status: 503, headers: { "retry-after": "1" } });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const row = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => partner.requests.length >= 2, "the second attempt", 20_000);
    // Now an HTTP date two seconds ahead (whole seconds, so at least one second away).
    const at = new Date(Math.ceil((Date.now() + 2_000) / 1000) * 1000);
    answers.push({ status: 429, headers: { "retry-after": at.toUTCString() } });
    await waitFor(() => row.state === "delivered", "delivered", 20_000);

    const [a, b, c, d] = partner.requests;
    expect([a, b, c, d].map((q) => q?.outcome)).toEqual(["http_429", "http_503", "http_429", "accepted"]);
    expect(b!.arrivedAt - a!.answeredAt).toBeGreaterThanOrEqual(1_000);
    expect(c!.arrivedAt - b!.answeredAt).toBeGreaterThanOrEqual(1_000);
    expect(d!.arrivedAt).toBeGreaterThanOrEqual(at.getTime());
  });
});

describe("partner timeout", () => {
  let hung: Attempt[] = [];

  it("gives up on partners that hang, and delivers once they answer", async () => {
    const hungIds = new Set<string>();
    const { stack, attempts } = await startFaultStack({
      // Every event's first request hangs twice the partner timeout, then the partner drops it.
      fault: (_n, id) => {
        if (hungIds.has(id)) return null;
        hungIds.add(id);
        return { hangMs: 2 * TIMEOUT_MS };
      },
      concurrency: 10,
    });
    const { rows } = seedSubjects(stack.odoo, 10, 1);
    await waitFor(() => rows.every((r) => r.state === "delivered"), "every row delivered", 30_000);
    hung = attempts.filter((a) => !a.outcome.ok);
    expect(hung).toHaveLength(10);
  }, 60_000);

  // Found by this test: undici's headersTimeout runs on coarse timers (ticks of ~0.5 s), so a
  // 300 ms timeout fired after 0.5 to 1 s, and a partner that hung for 600 ms then dropped the
  // connection was recorded as a network error. Each attempt now carries its own timer.
  it("records each of those hangs as a timeout: the sidecar gave up within twice timeout_ms", () => {
    expect(hung).toHaveLength(10);
    expect(hung.map((a) => (a.outcome as Extract<AttemptOutcome, { ok: false }>).errorClass)).toEqual(Array(10).fill("timeout"));
  });
});

describe("order per subject across gaps in the sequence", () => {
  it("a claim answer lost to an Odoo timeout (no crash) does not let the next event of the subject overtake", async () => {
    const { stack } = await startFaultStack({ fault: () => null, env: { ODOO_TIMEOUT_MS: "400", ODC_LEASE_SECONDS: "10" } });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const po = odoo.addPurchaseOrder(vendor.id, demoLines());
    await waitFor(() => odoo.calls.some((c) => c.method === "claim_batch"), "the start-up claim");
    // Odoo leases sequence 1, then answers too late for the sidecar, which gives up and claims again.
    odoo.methodLatencyMs = { claim_batch: 3_000 };
    const first = odoo.approve(po.id);
    await waitFor(() => first.state === "leased", "sequence 1 to be leased");
    odoo.methodLatencyMs = {};
    const second = odoo.emit("purchase_order.confirmed", "purchase.order", po.id, po.name, "WOODCORNER", odoo.purchaseOrderData(po));
    odoo.afterCommit(1);
    await waitFor(() => first.state === "delivered" && second.state === "delivered", "both recorded delivered", 40_000);
    expect(partner.accepted.map((e) => e.sequence)).toEqual([1, 2]);
  }, 60_000);

  it("a gap that never fills (a row cancelled by staff) holds the next event only for a while, then it goes", async () => {
    const { stack } = await startFaultStack({ fault: () => null, env: { ODC_LEASE_SECONDS: "10" } });
    const { odoo, partner } = stack;
    const vendor = odoo.addVendor("Wood Corner", "WOODCORNER");
    const po = odoo.addPurchaseOrder(vendor.id, demoLines());
    odoo.sidecarUrl = undefined;
    const rows = [odoo.approve(po.id), ...[2, 3].map(() => odoo.emit("purchase_order.confirmed", "purchase.order", po.id, po.name, "WOODCORNER", odoo.purchaseOrderData(po)))];
    rows[1]!.state = "cancelled"; // staff pressed Cancel before the sidecar saw it
    odoo.sidecarUrl = stack.sidecarUrl;
    odoo.afterCommit(3);
    await waitFor(() => rows[0]!.state === "delivered" && rows[2]!.state === "delivered", "sequences 1 and 3 recorded delivered", 45_000);
    expect(partner.accepted.map((e) => e.sequence)).toEqual([1, 3]);
    expect(rows[1]!.state).toBe("cancelled");
  }, 60_000);
});

describe("property: order per subject holds under random faults, subjects and concurrency", () => {
  it("never delivers a later sequence of a subject before an earlier one (first deliveries)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          subjects: fc.integer({ min: 1, max: 6 }),
          perSubject: fc.integer({ min: 2, max: 8 }),
          concurrency: fc.integer({ min: 1, max: 8 }),
          faultRate: fc.double({ min: 0, max: 0.35, noNaN: true }),
        }),
        async ({ seed, subjects, perSubject, concurrency, faultRate }) => {
          const schedule = new FaultSchedule({ seed, rate: faultRate, slowRate: 0.1, retryAfterMaxS: 0, hangMs: 2 * TIMEOUT_MS, slowMaxMs: 60 });
          const { stack } = await startFaultStack({ fault: schedule.fault, concurrency, rate: { requests: 200, per_ms: 1000 } });
          try {
            const { rows } = seedSubjects(stack.odoo, subjects, perSubject);
            await waitFor(() => rows.every((r) => r.state === "delivered"), "every row delivered", 60_000);
            expect(orderViolations(stack.partner.accepted)).toEqual([]);
            expect(stack.partner.uniqueIds.size).toBe(rows.length);
          } finally {
            await stack.stop();
            stacks = stacks.filter((s) => s !== stack);
          }
        },
      ),
      { numRuns: 6, seed: 424_242, endOnFailure: true },
    );
  }, 240_000);
});

describe("property: neither the sidecar's sends nor the partner's arrivals exceed the limit in any window", () => {
  it("holds for random limits, windows and concurrency, with and without faults", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({
            requests: fc.integer({ min: 2, max: 15 }),
            perMs: fc.integer({ min: 100, max: 400 }),
            concurrency: fc.integer({ min: 1, max: 16 }),
            events: fc.integer({ min: 20, max: 60 }),
            faultRate: fc.constantFrom(0, 0.1, 0.3),
            seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          })
          // Bounded runs: at most ~2.5 s of backlog at the limit.
          .filter(({ requests, perMs, events }) => (events / requests) * perMs <= 2_500),
        async ({ requests, perMs, concurrency, events, faultRate, seed }) => {
          const schedule = new FaultSchedule({ seed, rate: faultRate, retryAfterMaxS: 0, hangMs: 2 * TIMEOUT_MS, slowMaxMs: 60 });
          const observed = observeSends();
          const { stack } = await startFaultStack({ fault: schedule.fault, concurrency, rate: { requests, per_ms: perMs } });
          try {
            const { rows } = seedSubjects(stack.odoo, events, 1);
            await waitFor(() => rows.every((r) => r.state === "delivered"), "every row delivered", 60_000);
            expect(maxInWindow(observed.times, sendWindow(perMs))).toBeLessThanOrEqual(requests);
            expect(stack.partner.maxInWindow(perMs)).toBeLessThanOrEqual(requests);
            // A hung request stays open at the partner after the sidecar gave up on it, so the
            // partner's in-flight count bounds ours only without faults.
            if (faultRate === 0) expect(stack.partner.maxInFlight).toBeLessThanOrEqual(concurrency);
          } finally {
            observed.stop();
            await stack.stop();
            stacks = stacks.filter((s) => s !== stack);
          }
        },
      ),
      { numRuns: 6, seed: 171_717, endOnFailure: true },
    );
  }, 240_000);
});

describe("the rate limit as the partner counts it", () => {
  // Requests do not arrive exactly when they start (one slow new connection is enough for the
  // partner to count limit + 1 within one window of exactly per_ms): the lane's RateGate counts
  // each request from its start until per_ms after its answer, so no skew can do that.
  it("never receives more than its limit in a window when one connection is slow", async () => {
    const limit = { requests: 10, per_ms: 1_000 };
    let sent = 0;
    const partnerFetch: typeof fetch = async (input, init) => {
      if (sent++ === 0) await new Promise((r) => setTimeout(r, 150)); // a fresh connection's handshake
      return fetch(input, init);
    };
    const { stack } = await startFaultStack({ fault: () => null, concurrency: 10, rate: limit, partnerFetch });
    const { rows } = seedSubjects(stack.odoo, 20, 1);
    await waitFor(() => rows.every((r) => r.state === "delivered"), "every row delivered", 30_000);
    expect(stack.partner.maxInWindow(limit.per_ms)).toBeLessThanOrEqual(limit.requests);
  });
});
