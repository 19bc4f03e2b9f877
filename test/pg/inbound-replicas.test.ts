import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import type { DocumentHistoryView } from "../../sidecar/src/ops/history.ts";
import type { StatusDocument } from "../../sidecar/src/ops/status.ts";
import type { Sidecar } from "../../sidecar/src/service.ts";
import { OdooSimulator, type SimPurchaseOrder } from "../simulator/odoo.ts";
import { NUDGE_SECRET, PARTNER_SECRET, demoLines } from "../support/harness.ts";
import { createTestDatabase, pgUser, type TestDatabase } from "../support/pg.ts";
import { startReplicas } from "../support/replicas.ts";
import { odc } from "../ops/support.ts";

/**
 * Two real sidecars (replicas A and B) on one PostgreSQL database, the supplier posting its
 * acknowledgements to either: one message posted to both at once is one document, applied in
 * Odoo once; acknowledgements of one PO sent to A, B, A in turn are applied in that order; and
 * either replica lists the document, serves its body and shows its history
 * (`/admin/inbound/*`, `odc history --document`), and counts it in the status document.
 */

const user = await pgUser();
const ADMIN_TOKEN = "admin-token-for-pg-inbound-replicas-0123456789";
const example = JSON.parse(readFileSync(join(import.meta.dirname, "../../contracts/v1/examples/supplier.order_acknowledged.json"), "utf8")) as Record<string, any>;

describe.skipIf(!user)("inbound documents posted to either of two replicas on the shared store", () => {
  let db: TestDatabase;
  let odoo: OdooSimulator;
  let dir = "";
  const replicas: { sidecar: Sidecar; url: string }[] = [];
  let po: SimPurchaseOrder;

  const admin = (r: { url: string }, path: string) => fetch(`${r.url}/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const webhook = new Webhook(PARTNER_SECRET);
  const acknowledgement = (version: number, status = "accepted") => {
    const ack = structuredClone(example);
    ack.id = randomUUID();
    ack.subject.ref = ack.data.po_number = po.name;
    ack.data.version = version;
    ack.data.status = status;
    ack.data.partner_document_id = `CONF-${version}`;
    const body = JSON.stringify(ack);
    const webhookId = `msg_${ack.id}`;
    const at = new Date();
    return { body, headers: { "content-type": "application/json", "webhook-id": webhookId, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": webhook.sign(webhookId, at, body) } };
  };
  const post = async (r: { url: string }, doc: { body: string; headers: Record<string, string> }) => {
    const res = await fetch(`${r.url}/inbound/WOODCORNER`, { method: "POST", headers: doc.headers, body: doc.body });
    return { status: res.status, json: (await res.json()) as { document_id: number; event_id: string; duplicate: boolean; status: string } };
  };
  const documentOf = async (r: { url: string }, id: number) =>
    ((await (await admin(r, `/inbound/documents?limit=1&before_id=${id + 1}`)).json()) as { documents: { document_id: number; status: string; receipts: number }[] }).documents.find((d) => d.document_id === id);
  const applied = (eventId: string) => odoo.inbound.calls.flat().filter((i) => i.event_id.toLowerCase() === eventId.toLowerCase()).length;

  beforeAll(async () => {
    db = (await createTestDatabase())!;
    dir = mkdtempSync(join(tmpdir(), "odc-pg-inbound-"));
    odoo = new OdooSimulator({ nudgeSecret: NUDGE_SECRET });
    await odoo.start();
    const vendor = odoo.addVendor("Vendor WOODCORNER", "WOODCORNER");
    po = odoo.addPurchaseOrder(vendor.id, demoLines());
    odoo.approve(po.id);
    const partners = parsePartners(
      {
        partners: [
          {
            code: "WOODCORNER",
            name: "Wood Corner",
            endpoint: "http://127.0.0.1:9/webhooks",
            signing_secrets: ["env:PARTNER_SECRET"],
            subscriptions: { event_types: ["purchase_order.changed"] },
            inbound: { format: "canonical", verification: { scheme: "standard_webhooks", secrets: ["env:PARTNER_SECRET"] } },
          },
        ],
      },
      { PARTNER_SECRET },
    );
    replicas.push(...(await startReplicas({ odoo, databaseUrl: db.url, dir, partners, adminToken: ADMIN_TOKEN, env: { ODC_INBOUND_RETRY_MAX_MS: "200" } })));
  }, 60_000);

  afterAll(async () => {
    for (const r of replicas) await r.sidecar.stop(500).catch(() => undefined);
    await odoo?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("stores one acknowledgement posted to both replicas at once once, applies it in Odoo once, and shows it from either", async () => {
    const [a, b] = replicas as [{ sidecar: Sidecar; url: string }, { sidecar: Sidecar; url: string }];
    const doc = acknowledgement(1, "accepted");
    const answers = await Promise.all([post(a, doc), post(b, doc)]);
    expect(answers.map((x) => x.status)).toEqual([202, 202]);
    expect(answers[0]!.json.document_id).toBe(answers[1]!.json.document_id);
    expect(answers.map((x) => x.json.duplicate).sort()).toEqual([false, true]);
    const id = answers[0]!.json.document_id;
    await expect.poll(async () => (await documentOf(b, id))?.status, { timeout: 10_000, interval: 100 }).toBe("applied");
    expect(await documentOf(a, id)).toMatchObject({ status: "applied", receipts: 2 });
    expect(applied(answers[0]!.json.event_id)).toBe(1);
    // Applied to the PO (the example's lines change some quantities).
    expect(odoo.inbound.ackState(po.id)).toMatchObject({ supplier_status: "changed", ack_version: 1 });

    // Either replica serves its body and its history, whichever applied it.
    for (const r of [a, b]) {
      const body = await admin(r, `/inbound/documents/${id}/body`);
      expect(body.status).toBe(200);
      expect(await body.text()).toBe(doc.body);
      const h = (await (await admin(r, `/inbound/documents/${id}/history`)).json()) as DocumentHistoryView;
      expect(h.document).toMatchObject({ document_id: id, status: "applied", receipts: 2 });
      expect(h.history.map((e) => e.to)).toContain("applied");
    }
    const run = await odc(["history", "--document", String(id)], { ODC_ADMIN_URL: b.url, ODC_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("applied");
    // The status document counts it: the shared store's inbound counts, whichever replica asks.
    for (const r of [a, b]) {
      await expect.poll(async () => ((await (await admin(r, "/status")).json()) as StatusDocument).inbound.by_status.applied, { timeout: 10_000, interval: 200 }).toBeGreaterThanOrEqual(1);
    }
  });

  it("applies a PO's acknowledgements sent to A, B and A in turn in that order", async () => {
    const [a, b] = replicas as [{ sidecar: Sidecar; url: string }, { sidecar: Sidecar; url: string }];
    const sent: string[] = [];
    for (const [i, r] of [a, b, a].entries()) {
      const answer = await post(r, acknowledgement(10 + i));
      expect(answer.status).toBe(202);
      sent.push(answer.json.event_id.toLowerCase());
    }
    await expect.poll(() => sent.every((e) => applied(e) > 0), { timeout: 10_000, interval: 100 }).toBe(true);
    const order = odoo.inbound.calls.flat().map((i) => i.event_id.toLowerCase()).filter((e) => sent.includes(e));
    expect([...new Set(order)]).toEqual(sent);
    expect(sent.map(applied)).toEqual([1, 1, 1]);
  });

  it("answers a forged acknowledgement 401 on either replica and stores nothing", async () => {
    const before = ((await (await admin(replicas[0]!, "/inbound/documents")).json()) as { documents: unknown[] }).documents.length;
    for (const r of replicas) {
      const doc = acknowledgement(99);
      const forged = { ...doc, headers: { ...doc.headers, "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" } };
      expect((await post(r, forged)).status).toBe(401);
    }
    expect(((await (await admin(replicas[1]!, "/inbound/documents")).json()) as { documents: unknown[] }).documents).toHaveLength(before);
  });
});
