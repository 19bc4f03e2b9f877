import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import type { AttemptOutcome } from "../../sidecar/src/delivery/attempt.ts";
import type { InboundPort } from "../../sidecar/src/inbound/index.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import type { EventHistoryView } from "../../sidecar/src/ops/history.ts";
import { openSidecar, type Sidecar } from "../../sidecar/src/service.ts";
import type { Pg } from "../../sidecar/src/store/pg/db.ts";
import { EasypostSimulator } from "../simulator/suppliers.ts";
import { OdooSimulator } from "../simulator/odoo.ts";
import { NUDGE_SECRET, waitFor } from "../support/harness.ts";
import { createTestDatabase, pgUser } from "../support/pg.ts";

/**
 * EasyPost answers a booking with the bought Shipment; the sidecar stores that answer as an
 * inbound document before it records the delivery. When the store fails, the attempt fails
 * (retryable) and the delivery stays pending; the next attempt (the same idempotency key, so
 * EasyPost answers the same Shipment) stores the booking once, and the tracking code reaches
 * the picking. On the SQLite file (the store throws) and on the shared PostgreSQL store (it
 * answers later, so the dispatcher must wait for it); the latter skipped (with the reason on
 * stderr) only when no server can be reached.
 */

const user = await pgUser();
const EASYPOST_KEY = "EZTK-test-key-0123456789";
const ADMIN_TOKEN = "admin-token-for-booking-answer-tests-0123456789";

interface Run {
  odoo: OdooSimulator;
  easypost: EasypostSimulator;
  sidecar: Sidecar;
  url: string;
  /** The lane's attempts at EASYPOST, in order, with the final state each left. */
  attempts: { outcome: AttemptOutcome; final: string | null }[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(databaseUrl?: string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "odc-booking-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const odoo = new OdooSimulator({ nudgeSecret: NUDGE_SECRET });
  await odoo.start();
  cleanups.push(() => odoo.stop());
  const easypost = new EasypostSimulator(EASYPOST_KEY);
  await easypost.start();
  cleanups.push(() => easypost.stop());
  const partners = parsePartners(
    {
      partners: [
        {
          code: "EASYPOST",
          format: "easypost",
          endpoint: `${easypost.url}/v2`,
          subscriptions: { event_types: ["shipment.ready"] },
          // The retry comes soon, after the test has read the failed attempt's outcome.
          retry: { schedule_ms: [300, 300, 300], jitter: 0 },
          easypost: { api_key: "env:EASYPOST_KEY", carrier_accounts: ["ca_0123456789abcdef"] },
        },
      ],
    },
    { EASYPOST_KEY },
  );
  const env = loadEnv(
    odoo.sidecarSettings(NUDGE_SECRET, join(dir, "odc.sqlite"), {
      ODC_POLL_INTERVAL_MS: "60000",
      ODC_RECONCILE_INTERVAL_MS: "0",
      ODC_LOG_LEVEL: "silent",
      ODC_ADMIN_TOKEN: ADMIN_TOKEN,
      ...(databaseUrl ? { ODC_DATABASE_URL: databaseUrl, ODC_DATABASE_POOL: "3" } : {}),
    }),
  );
  const attempts: Run["attempts"] = [];
  const sidecar = await openSidecar({
    env,
    partners,
    log: createLogger("silent"),
    observer: { attempted: (partner, _row, outcome, final) => void (partner === "EASYPOST" && attempts.push({ outcome, final })) },
  });
  const port = await sidecar.start();
  cleanups.push(() => sidecar.stop(500));
  odoo.sidecarUrl = `http://127.0.0.1:${port}`;
  return { odoo, easypost, sidecar, url: odoo.sidecarUrl, attempts };
}

/** waitFor for a condition read from a store that answers later. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function history(run: Run, eventId: string): Promise<EventHistoryView> {
  const res = await fetch(`${run.url}/admin/events/${eventId}/history`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as EventHistoryView;
}

/** The booking's first attempt, whose answer could not be stored, and what follows it. */
async function bookThroughAFailedStore(run: Run, documents: () => ReturnType<InboundPort["list"]>): Promise<void> {
  const { odoo, easypost, attempts } = run;
  const { picking, row } = odoo.readyDelivery("EASYPOST", { service: "Priority" });

  await waitFor(() => attempts.length >= 1, "the first attempt recorded");
  // Booked at EasyPost, but the answer was not stored: failed, to be tried again.
  expect(attempts[0]!.outcome).toMatchObject({ ok: false, errorClass: "bad_answer", retryable: true });
  expect(attempts[0]!.final).toBeNull();
  expect(easypost.bookings).toHaveLength(1);

  await waitFor(() => row.state === "delivered", "the booking delivered and recorded in Odoo");
  await waitFor(() => picking.carrier_tracking_ref !== null, "the tracking code on the picking");
  expect(attempts.map((a) => [a.outcome.ok, a.final])).toEqual([
    [false, null],
    [true, "delivered"],
  ]);
  // The second request carried the same idempotency key: EasyPost answered the same Shipment, booked nothing new.
  expect(easypost.requests).toBe(2);
  expect(easypost.refused).toEqual([]);
  expect(easypost.bookings).toHaveLength(1);
  const booking = easypost.bookings[0]!;
  expect(booking.idempotencyKey).toBe(row.event_uuid);
  expect(picking.carrier_tracking_ref).toBe(booking.answer["tracking_code"]);
  expect(picking.label_url).toBe((booking.answer["postage_label"] as { label_url: string }).label_url);

  // Stored once, from the second answer, and applied (the store hears of it after Odoo does).
  await until(async () => (await documents()).some((d) => d.status !== "pending"), "the booking's document decided");
  const stored = await documents();
  expect(stored).toHaveLength(1);
  expect(stored[0]).toMatchObject({ partner: "EASYPOST", type: "carrier.shipment_booked", receipts: 1, status: "applied" });

  // The delivery's history: the failed attempt kept it pending with a retry, the next delivered it.
  const h = await history(run, row.event_uuid);
  expect(h.deliveries).toEqual([expect.objectContaining({ partner: "EASYPOST", state: "delivered", attempts: 2 })]);
  const changes = h.history.filter((e) => e.scope === "delivery").map((e) => [e.from, e.to, e.attempts]);
  expect(changes).toEqual([
    ["pending", "pending", 1],
    ["pending", "delivered", 2],
  ]);
  const failed = h.history.find((e) => e.scope === "delivery" && e.to === "pending")!;
  expect(failed.cause).toMatch(/^bad_answer: /);
  expect(failed.next_attempt_at).not.toBeNull();
}

describe("a carrier's booking answer that cannot be stored", () => {
  it("on the SQLite file: the attempt fails, the delivery stays pending, and the retry stores the booking once", async () => {
    const run = await start();
    const store = run.sidecar.inbound.store;
    const receive = store.receive.bind(store);
    let failures = 0;
    // The SQLite store throws when it cannot store (a full disk, a constraint): once here.
    store.receive = (docs) => {
      if (failures++ === 0) throw new Error("disk I/O error (test)");
      return receive(docs);
    };
    await bookThroughAFailedStore(run, () => store.list({}, 10));
    expect(failures).toBe(2);
  });

  describe.skipIf(!user)("on the shared PostgreSQL store", () => {
    it("the attempt fails, the delivery stays pending, and the retry stores the booking once", async () => {
      const db = (await createTestDatabase())!;
      // Dropped after the sidecar stopped (cleanups run last first).
      cleanups.push(() => db.drop());
      const run = await start(db.url);
      const sql: Pg = run.sidecar.shared!.sql;
      // The database refuses the first document inserted (a sequence is not rolled back with the
      // failed insert, so the second goes in): a store failure the shared store reports late.
      await sql`CREATE SEQUENCE odc_test_inbound_inserts`;
      await sql`
        CREATE FUNCTION odc_test_refuse_first_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF nextval('odc_test_inbound_inserts') = 1 THEN RAISE EXCEPTION 'inbound store refused (test)'; END IF;
          RETURN NEW;
        END $$`;
      await sql`CREATE TRIGGER odc_test_refuse_first_insert BEFORE INSERT ON inbound_documents FOR EACH ROW EXECUTE FUNCTION odc_test_refuse_first_insert()`;
      await bookThroughAFailedStore(run, () => run.sidecar.inbound.store.list({}, 10));
      const [inserts] = await sql<{ n: string }[]>`SELECT last_value AS n FROM odc_test_inbound_inserts`;
      expect(Number(inserts!.n)).toBe(2);
    });
  });
});
