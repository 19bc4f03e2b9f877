import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { closeStore, openStore, type StoreDb } from "../store/db.ts";
import { InboundStore, type DecodedDocument, type NewInboundDocument } from "./store.ts";

/**
 * Received carrier webhooks are not in the unique index until decoded: the store deduplicates
 * them against the index and its own map of their keys. These tests hold that to the one rule
 * a partner sees: a message id is stored once per (partner, scope), whatever state it is in.
 */

const dirs: string[] = [];
const dbs: StoreDb[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) if (db.$client.open) await closeStore(db);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** One store file; each open() is a new connection to it (a restart, or another process). */
function fileStore(): { open: () => InboundStore } {
  const dir = mkdtempSync(join(tmpdir(), "odc-inbound-store-"));
  dirs.push(dir);
  const file = join(dir, "store.sqlite");
  return {
    open: () => {
      const db = openStore(file, { backgroundCheckpoint: false });
      dbs.push(db);
      return new InboundStore(db);
    },
  };
}

function received(messageId: string, o: Partial<NewInboundDocument> = {}): NewInboundDocument {
  return {
    partner: "EASYPOST",
    type: "(undecoded)",
    messageId,
    messageIdSource: "partner",
    messageScope: "easypost:Event:tracker.updated",
    eventId: null,
    format: "easypost",
    subjectRef: null,
    subjectKey: "EASYPOST|(undecoded)",
    testMode: false,
    contentType: "application/json",
    body: Buffer.from(`{"id":"${messageId}"}`),
    bodySha256: "",
    verification: "easypost_hmac",
    verificationKey: 0,
    receivedAt: 1_000,
    occurredAt: null,
    event: null,
    status: "received",
    nextAttemptAt: 1_000,
    detail: null,
    ...o,
  };
}

const pendingDoc = (id: number, n: number): DecodedDocument => ({
  id,
  doc: { type: "carrier.tracking_updated", eventId: `ev-${n}`, subjectRef: `TRK-${n}`, subjectKey: `EASYPOST|TRK-${n}`, testMode: false, bodySha256: "x", occurredAt: null, event: "{}", status: "pending", nextAttemptAt: 1_000, detail: null },
});

describe("deduplicating received documents", () => {
  it("a redelivery is a receipt of the first, while received, once decoded, and after a restart", () => {
    const s = fileStore();
    let store = s.open();
    const [first] = store.receive([received("evt_a")]);
    expect(first).toMatchObject({ duplicate: false, receipts: 1, status: "received" });
    expect(store.receive([received("evt_a", { receivedAt: 2_000 })])[0]).toEqual({ id: first!.id, duplicate: true, receipts: 2, status: "received", eventId: null });
    expect(store.receivedCount()).toBe(1);

    // Restarted before it was decoded: the key is found again from the rows.
    dbs[0]!.$client.close();
    store = s.open();
    expect(store.receivedCount()).toBe(1);
    expect(store.receive([received("evt_a")])[0]).toMatchObject({ id: first!.id, duplicate: true, receipts: 3 });

    store.decoded([pendingDoc(first!.id, 1)]);
    expect(store.receivedCount()).toBe(0);
    expect(store.receive([received("evt_a", { receivedAt: 3_000 })])[0]).toEqual({ id: first!.id, duplicate: true, receipts: 4, status: "pending", eventId: "ev-1" });
    // The same id in another scope, or from another partner, is another document.
    expect(store.receive([received("evt_a", { messageScope: "easypost:Event:batch.created" })])[0]!.duplicate).toBe(false);
    expect(store.receive([received("evt_a", { partner: "EASYPOST2" })])[0]!.duplicate).toBe(false);
    const row = store.list({ statuses: ["pending"] })[0]!;
    expect(row).toMatchObject({ id: first!.id, receipts: 4, receivedAt: 1_000, lastReceivedAt: 3_000 });
  });

  it("copies inside one batch are one document", () => {
    const store = fileStore().open();
    const out = store.receive([received("evt_b"), received("evt_c"), received("evt_b")]);
    expect(out.map((o) => [o.id, o.duplicate])).toEqual([
      [out[0]!.id, false],
      [out[1]!.id, false],
      [out[0]!.id, true],
    ]);
  });

  it("a batch that fails stores nothing and forgets its keys", () => {
    const store = fileStore().open();
    // A NULL body breaks the NOT NULL constraint after evt_d was inserted in the same transaction.
    expect(() => store.receive([received("evt_d"), received("evt_e", { body: null as unknown as Buffer })])).toThrow(/NOT NULL/);
    expect(store.receivedCount()).toBe(0);
    expect(store.list({})).toEqual([]);
    expect(store.receive([received("evt_d")])[0]!.duplicate).toBe(false);
  });

  it("a key stored twice by two processes on one file is merged into the first when decoded", () => {
    const s = fileStore();
    const one = s.open();
    const two = s.open();
    const a = one.receive([received("evt_f", { receivedAt: 1_000 })])[0]!;
    one.decoded([pendingDoc(a.id, 1)]);
    // The second connection loaded its keys before: it finds the decoded row in the index.
    expect(two.receive([received("evt_f")])[0]).toMatchObject({ id: a.id, duplicate: true });
    const c = one.receive([received("evt_g")])[0]!;
    const d = two.receive([received("evt_g", { receivedAt: 5_000 })])[0]!;
    expect(d.id).not.toBe(c.id);
    expect(one.decoded([pendingDoc(c.id, 2)])).toEqual([]);
    expect(two.decoded([pendingDoc(d.id, 3)])).toEqual([{ id: d.id, into: c.id }]);
    const rows = one.list({}).filter((r) => r.messageId === "evt_g");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: c.id, receipts: 2, lastReceivedAt: 5_000, status: "pending", eventId: "ev-2" });
  });

  it("holds to the rule on any sequence of deliveries, decodes and restarts (model check)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("deliver" as const), ids: fc.array(fc.constantFrom("a", "b", "c", "d", "\u0000", "a\u0000b"), { minLength: 1, maxLength: 4 }), scope: fc.constantFrom("s1", "s1\u0000a", "") }),
      fc.record({ kind: fc.constant("decode" as const), limit: fc.integer({ min: 1, max: 3 }) }),
      fc.constant({ kind: "restart" as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const s = fileStore();
        let store = s.open();
        // The model: first document id and receipts per (scope, id).
        const model = new Map<string, { id: number; receipts: number }>();
        let n = 0;
        for (const o of ops) {
          if (o.kind === "deliver") {
            const out = store.receive(o.ids.map((id) => received(id, { messageScope: o.scope })));
            o.ids.forEach((id, i) => {
              const key = JSON.stringify([o.scope, id]);
              const known = model.get(key);
              if (known) {
                known.receipts++;
                expect(out[i]).toMatchObject({ id: known.id, duplicate: true, receipts: known.receipts });
              } else {
                expect(out[i]!.duplicate).toBe(false);
                model.set(key, { id: out[i]!.id, receipts: 1 });
              }
            });
          } else if (o.kind === "decode") {
            expect(store.decoded(store.received(o.limit).map((r) => pendingDoc(r.id, ++n)))).toEqual([]);
          } else {
            dbs.at(-1)!.$client.close();
            store = s.open();
          }
        }
        const rows = store.list({}, 1000);
        expect(rows).toHaveLength(model.size);
        expect(store.receivedCount()).toBe(rows.filter((r) => r.status === "received").length);
        const receiptsById = new Map(rows.map((r) => [r.id, r.receipts]));
        for (const { id, receipts } of model.values()) expect(receiptsById.get(id)).toBe(receipts);
      }),
      { numRuns: 60 },
    );
  });
});
