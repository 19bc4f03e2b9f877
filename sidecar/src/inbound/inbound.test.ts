import fc from "fast-check";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../config/env.ts";
import { parsePartners } from "../config/partners.ts";
import type { OdooClient } from "../odoo/client.ts";
import { OdooProtocolError, OdooUnavailableError, OdooValidationError } from "../odoo/errors.ts";
import { OdooInbound, type ApplyItem } from "../odoo/inbound.ts";
import { openStore } from "../store/db.ts";
import { InboundStore, type NewInboundDocument } from "./store.ts";
import { coalesceSubject, type CoalesceCandidate } from "./coalesce.ts";
import { ApplyWorker } from "./worker.ts";
import { xmlCharacterProblem } from "../partners/xml/xml-chars.ts";

const silent = pino({ level: "silent" });

describe("coalescing tracking updates", () => {
  const STATUSES = ["pre_transit", "in_transit", "out_for_delivery", "delivered", "exception"];
  const candidates = fc
    .array(
      fc.record({
        type: fc.constantFrom("carrier.tracking_updated", "carrier.tracking_updated", "carrier.tracking_updated", "carrier.shipment_booked"),
        status: fc.constantFrom(...STATUSES),
        minute: fc.integer({ min: 0, max: 30 }),
      }),
      { maxLength: 40 },
    )
    .map((xs) =>
      xs.map((x, i): CoalesceCandidate => ({
        id: i + 1,
        type: x.type,
        eventId: `e${i + 1}`,
        status: x.type === "carrier.tracking_updated" ? x.status : null,
        occurredAt: new Date(Date.UTC(2026, 11, 1, 8, x.minute)).toISOString(),
        receivedAt: i,
      })),
    );

  it("keeps every change of status in the order they happened, the latest update, and every barrier in place; supersedes only same-status scans", () => {
    fc.assert(
      fc.property(candidates, (input) => {
        const { send, superseded } = coalesceSubject(input);
        // Nothing lost, nothing twice.
        expect([...send.map((c) => c.id), ...superseded.map((s) => s.item.id)].sort((a, b) => a - b)).toEqual(input.map((c) => c.id));
        // Split at barriers; within each run the statuses sent are the run's changes of status.
        let run: CoalesceCandidate[] = [];
        const expected: string[] = [];
        const flush = () => {
          const sorted = [...run].sort((a, b) => a.occurredAt!.localeCompare(b.occurredAt!) || a.id - b.id);
          sorted.forEach((c, i) => {
            if (sorted[i + 1]?.status !== c.status) expected.push(`${c.id}`);
          });
          run = [];
        };
        for (const c of input) {
          if (c.type === "carrier.tracking_updated") run.push(c);
          else {
            flush();
            expected.push(`${c.id}`);
          }
        }
        flush();
        expect(send.map((c) => `${c.id}`)).toEqual(expected);
        for (const s of superseded) {
          expect(s.into.status).toBe(s.item.status);
          expect(s.into.occurredAt! >= s.item.occurredAt!).toBe(true);
        }
      }),
    );
  });
});

describe("XML characters", () => {
  it.each([
    ["<a>ok</a>", null],
    ["<a><![CDATA[x]]></a>", null],
    ["<a><![CDATA[x]]>]]></a>", "outside a CDATA"],
    ["<a>]]></a>", "outside a CDATA"],
    ["<a>\u0000</a>", "0x00"],
    ["<a>\u001b</a>", "0x1b"],
    ["<a>\t\r\n</a>", null],
  ])("%j", (text, problem) => {
    const found = xmlCharacterProblem(Buffer.from(text));
    if (problem === null) expect(found).toBeNull();
    else expect(found?.message).toContain(problem);
  });
});

const item = (n: number): ApplyItem => ({
  event_id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  type: "carrier.tracking_updated",
  partner: "P",
  format: "easypost",
  test_mode: false,
  received_at: "2026-12-01T08:00:00Z",
  occurred_at: "2026-12-01T08:00:00Z",
  subject_ref: `T${n}`,
  data: {},
});

function fakeOdoo(answer: (items: ApplyItem[]) => unknown): OdooClient {
  return { execute: async (_m: string, _f: string, args: unknown[]) => answer(args[0] as ApplyItem[]) } as unknown as OdooClient;
}

describe("apply_events gateway", () => {
  const ok = (items: ApplyItem[]) => items.map((i) => ({ event_id: i.event_id, outcome: "applied", duplicate: false, detail: "ok", record: { model: "stock.picking", id: 1, ref: "WH/OUT/1" } }));

  it("reads one outcome per event, in order", async () => {
    const out = await new OdooInbound(fakeOdoo(ok)).applyEvents([item(1), item(2)]);
    expect(out.map((o) => o.outcome)).toEqual(["applied", "applied"]);
  });

  it.each([
    ["not a list", () => ({})],
    ["one outcome short", (items: ApplyItem[]) => ok(items).slice(1)],
    ["outcomes out of order", (items: ApplyItem[]) => ok(items).reverse()],
    ["an unknown outcome", (items: ApplyItem[]) => ok(items).map((o) => ({ ...o, outcome: "maybe" }))],
  ])("refuses an answer that is %s", async (_name, answer) => {
    await expect(new OdooInbound(fakeOdoo(answer)).applyEvents([item(1), item(2)])).rejects.toBeInstanceOf(OdooProtocolError);
  });

  it("never sends more than 200 events in one call", async () => {
    await expect(new OdooInbound(fakeOdoo(ok)).applyEvents(Array.from({ length: 201 }, (_, i) => item(i)))).rejects.toThrow(RangeError);
  });
});

describe("apply worker", () => {
  function doc(n: number, subject: string): NewInboundDocument {
    const it = { ...item(n), subject_ref: subject, type: "supplier.shipment_noticed" as const };
    return {
      partner: "P",
      type: it.type,
      messageId: `m${n}`,
      messageIdSource: "partner",
      messageScope: "supplier.shipment_noticed",
      eventId: it.event_id,
      format: "cxml",
      subjectRef: subject,
      subjectKey: `P|asn|${subject}`,
      testMode: false,
      contentType: "text/xml",
      body: Buffer.from("<x/>"),
      bodySha256: "0",
      verification: "cxml_shared_secret",
      verificationKey: 0,
      receivedAt: Date.now(),
      occurredAt: it.occurred_at,
      event: JSON.stringify(it),
      status: "pending",
      nextAttemptAt: 0,
      detail: null,
    };
  }

  it("keeps order per subject with calls in flight at once, and retries what failed, in order", async () => {
    const store = new InboundStore(openStore(":memory:"));
    const subjects = ["A", "B", "C"];
    store.receive(Array.from({ length: 30 }, (_, i) => doc(i + 1, subjects[i % 3]!)));
    const seen: string[] = [];
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const gateway = {
      applyEvents: async (items: ApplyItem[]) => {
        calls++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        if (calls === 2) throw new OdooUnavailableError("Odoo unreachable (ECONNREFUSED)");
        for (const i of items) seen.push(`${i.subject_ref}:${Number(i.event_id.slice(-12))}`);
        return items.map((i) => ({ event_id: i.event_id, outcome: "applied" as const, duplicate: false, detail: null, record: null }));
      },
    } as unknown as OdooInbound;
    const worker = new ApplyWorker(store, gateway, silent, { batch: 4, concurrency: 2, retryMaxMs: 20, retryBaseMs: 5 });
    worker.start();
    const until = Date.now() + 10_000;
    while (store.counts().applied !== 30 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await worker.stop();
    expect(store.counts().applied).toBe(30);
    expect(maxInFlight).toBe(2);
    for (const s of subjects) {
      const order = seen.filter((x) => x.startsWith(`${s}:`)).map((x) => Number(x.split(":")[1]));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order).toHaveLength(10);
    }
  });

  it("after Odoo refuses a whole call, sends its events one by one so one bad event holds up only its subject", async () => {
    const store = new InboundStore(openStore(":memory:"));
    store.receive([doc(1, "A"), doc(2, "B"), doc(3, "C")]);
    const poison = item(2).event_id;
    const batches: number[] = [];
    const gateway = {
      applyEvents: async (items: ApplyItem[]) => {
        batches.push(items.length);
        if (items.some((i) => i.event_id === poison)) throw new OdooValidationError("events[1]: boom");
        return items.map((i) => ({ event_id: i.event_id, outcome: "applied" as const, duplicate: false, detail: null, record: null }));
      },
    } as unknown as OdooInbound;
    const worker = new ApplyWorker(store, gateway, silent, { batch: 10, concurrency: 1, retryMaxMs: 10, retryBaseMs: 1 });
    worker.start();
    const until = Date.now() + 10_000;
    while (store.counts().applied !== 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    await worker.stop();
    expect(store.counts()).toMatchObject({ applied: 2, pending: 1 });
    expect(batches[0]).toBe(3);
    expect(store.list({ statuses: ["pending"] })[0]).toMatchObject({ subjectRef: "B", lastError: "events[1]: boom" });
  });
});

describe("inbound partner settings", () => {
  const easypost = { code: "EASYPOST", inbound: { format: "easypost", verification: { scheme: "easypost_hmac", secrets: ["env:EP"] } } };
  const issues = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.join("\n");
      throw err;
    }
    throw new Error("expected a ConfigError");
  };

  it("an inbound-only partner needs no endpoint; defaults are filled and secrets resolved", () => {
    const [p] = parsePartners({ partners: [easypost] }, { EP: "sécret" });
    expect(p).toMatchObject({ outbound: false, endpoint: "", subscriptions: { event_types: [] } });
    expect(p!.inbound).toMatchObject({ enabled: true, format: "easypost", max_body_bytes: 1_048_576, rate: { requests: 50, per_ms: 1000 }, test_partner: false, coalesce_ms: 1000, verification: { scheme: "easypost_hmac", secrets: ["sécret"] } });
  });

  it.each([
    ["no outbound nor inbound", { code: "X" }, "partners.0.endpoint: required, but not set"],
    ["half an outbound section", { code: "X", endpoint: "https://x.example/h", inbound: easypost.inbound }, "partners.0.signing_secrets: required with endpoint"],
    ["cXML with an HMAC scheme", { code: "X", inbound: { format: "cxml", verification: { scheme: "easypost_hmac", secrets: ["env:EP"] } } }, "partners.0.inbound.verification.scheme"],
    ["a shared secret for JSON", { code: "X", inbound: { format: "shippo", verification: { scheme: "cxml_shared_secret", secrets: ["env:EP"] } } }, "cxml_shared_secret only applies to format cxml"],
    ["an unknown format", { code: "X", inbound: { format: "edifact", verification: { scheme: "url_token", secrets: ["env:EP"] } } }, "partners.0.inbound.format"],
    ["an inline secret", { code: "X", inbound: { format: "easypost", verification: { scheme: "easypost_hmac", secrets: ["sécret"] } } }, "partners.0.inbound.verification.secrets.0"],
    ["a body limit above 16 MiB", { code: "X", inbound: { ...easypost.inbound, max_body_bytes: 20_000_000 } }, "partners.0.inbound.max_body_bytes"],
  ])("refuses %s, naming the field", (_name, partner, text) => {
    expect(issues(() => parsePartners({ partners: [partner] }, { EP: "sécret" }))).toContain(text);
  });

  it("checks what each scheme needs of its secrets", () => {
    const standard = { code: "X", inbound: { format: "canonical", verification: { scheme: "standard_webhooks", secrets: ["env:S"] } } };
    expect(issues(() => parsePartners({ partners: [standard] }, { S: "plain" }))).toContain("whsec_");
    const token = { code: "X", inbound: { format: "shippo", verification: { scheme: "url_token", secrets: ["env:S"] } } };
    expect(issues(() => parsePartners({ partners: [token] }, { S: "short" }))).toContain("at least 16 characters");
    expect(issues(() => parsePartners({ partners: [easypost] }, {}))).toContain("EP is not set");
  });
});
