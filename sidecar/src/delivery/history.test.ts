import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ClaimedEvent } from "../contracts/events.ts";
import { closeStore, openStore, type StoreDb } from "../store/db.ts";
import { DeliveryStore } from "./store.ts";

const claimed = (outboxId: number, id: string): ClaimedEvent => ({
  outboxId,
  replay: false,
  event: { id, type: "purchase_order.confirmed", sequence: 1, subject: { model: "purchase.order", id: outboxId } } as unknown as ClaimedEvent["event"],
});

describe("delivery history on SQLite (found through the outbox row)", () => {
  let dir: string;
  let db: StoreDb;
  afterEach(async () => {
    await closeStore(db);
    rmSync(dir, { recursive: true, force: true });
  });
  const open = () => {
    dir = mkdtempSync(join(tmpdir(), "odc-history-"));
    db = openStore(join(dir, "store.sqlite"));
    return new DeliveryStore(db);
  };

  it("lists every change of an event and none of another's", () => {
    const store = open();
    store.ingest([claimed(7, "ev-a"), claimed(8, "ev-b")], () => ["P", "Q"], () => null);
    const [a1, a2, b1] = store.due("P", Date.now() + 1, 10).concat(store.due("Q", Date.now() + 1, 10)).sort((x, y) => x.id - y.id);
    store.recordOutcomes([
      { id: a1!.id, ok: true, status: 204, at: Date.now() },
      { id: a2!.id, ok: false, errorClass: "http_5xx", message: "HTTP 503", status: 503, nextAttemptAt: Date.now() + 60_000 },
      { id: b1!.id, ok: true, status: 200, at: Date.now() },
    ]);
    const h = store.history("ev-a")!;
    expect(h.transitions.map((t) => `${t.eventId} ${t.fromState}->${t.toState}`)).toEqual(["ev-a pending->delivered", "ev-a pending->pending"]);
    expect(store.history("ev-b")!.transitions.every((t) => t.eventId === "ev-b")).toBe(true);
    expect(store.history("ev-unknown")).toBeUndefined();
    const rows = db.$client.prepare(`SELECT DISTINCT outbox_id AS o FROM delivery_transitions WHERE event_id = 'ev-a'`).all();
    expect(rows).toEqual([{ o: 7 }]);
  });

  it("keeps a change noted before the store held the event, and shows it once the event is stored", () => {
    const store = open();
    store.noteEvent("ev-late", "claimed", "leased to this sidecar in Odoo, unknown to its store: claimed again", "reconcile (test)");
    expect(db.$client.prepare(`SELECT outbox_id AS o FROM delivery_transitions WHERE event_id = 'ev-late'`).get()).toEqual({ o: null });
    store.ingest([claimed(9, "ev-late")], () => ["P"], () => null);
    const [d] = store.due("P", Date.now() + 1, 10);
    store.recordOutcomes([{ id: d!.id, ok: true, status: 204, at: Date.now() }]);
    store.markReported([{ id: "ev-late", state: "delivered" }]);
    expect(store.history("ev-late")!.transitions.map((t) => t.toState)).toEqual(["claimed", "delivered", "delivered"]);
    expect(store.history("ev-late")!.transitions.map((t) => t.actor)).toEqual(["reconcile (test)", "sidecar", "sidecar"]);
  });

  it("a hostile event id finds nothing and changes nothing", () => {
    const store = open();
    store.ingest([claimed(1, "ev-1")], () => ["P"], () => null);
    const before = db.$client.prepare(`SELECT count(*) AS n FROM delivery_transitions`).get();
    for (const id of ["' OR 1=1 --", "%", "ev-1' UNION SELECT * FROM events --", "x".repeat(100_000)]) expect(store.history(id)).toBeUndefined();
    expect(db.$client.prepare(`SELECT count(*) AS n FROM delivery_transitions`).get()).toEqual(before);
  });
});
