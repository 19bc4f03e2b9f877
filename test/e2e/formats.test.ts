import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeWith } from "../../sidecar/src/partners/registry.ts";
import { contractsDir } from "../../sidecar/src/partners/test-support/fixtures.ts";
import { CxmlSupplier, EasypostSimulator, PeppolAccessPoint, type CxmlSupplierOptions } from "../simulator/suppliers.ts";
import { closeServer, listenLoopback } from "../simulator/loopback.ts";
import { demoLines, startStack, waitFor, type Stack } from "../support/harness.ts";

/**
 * Every partner receives its own format from the relay, and its answer comes back to Odoo:
 * a cXML supplier, a Peppol access point and EasyPost, each a loopback server that parses
 * what it gets with its own parser and answers as the real one does.
 */

const SECRETS = {
  CXML_SECRET: "cxml-shared-secret-for-tests",
  UBL_SECRET: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
  EASYPOST_KEY: "EZTK-test-key-0123456789",
};
const CXML = { from: { domain: "NetworkID", identity: "AN01000000001" }, to: { domain: "DUNS", identity: "123456789" } };
const FAST_RETRY = { schedule_ms: [50, 100, 200], jitter: 0 };

let stack: Stack | null = null;
const servers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await stack?.stop();
  stack = null;
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function startFormats(cxmlStatus?: CxmlSupplierOptions["status"]) {
  const cxml = new CxmlSupplier({ ...CXML, sharedSecret: SECRETS.CXML_SECRET, ...(cxmlStatus ? { status: cxmlStatus } : {}) });
  const peppol = new PeppolAccessPoint({ auth: { secrets: [SECRETS.UBL_SECRET] } });
  const easypost = new EasypostSimulator(SECRETS.EASYPOST_KEY);
  await Promise.all([cxml.start(), peppol.start(), easypost.start()]);
  servers.push(cxml, peppol, easypost);
  const poTypes = ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"];
  stack = await startStack({
    partnerOverrides: { subscriptions: { event_types: ["purchase_order.confirmed"], partner_codes: ["NOBODY"] } },
    secrets: SECRETS,
    extraPartners: [
      {
        code: "CXMLSUP",
        format: "cxml",
        endpoint: `${cxml.url}/cxml`,
        subscriptions: { event_types: poTypes },
        retry: FAST_RETRY,
        cxml: {
          ...CXML,
          shared_secret: "env:CXML_SECRET",
          deployment_mode: "test",
          bill_to: { name: "YourCompany", address_id: "HQ", street: ["250 Executive Park Blvd"], city: "San Francisco", state: "CA", postal_code: "94134", country: "US" },
        },
      },
      {
        code: "PEPPOLSUP",
        format: "ubl",
        endpoint: `${peppol.url}/as4`,
        signing_secrets: ["env:UBL_SECRET"],
        subscriptions: { event_types: poTypes },
        retry: FAST_RETRY,
        ubl: { buyer: { endpoint_id: "5798000000001", endpoint_scheme: "0088", name: "YourCompany" }, seller: { endpoint_id: "5798000000002", endpoint_scheme: "0088" } },
      },
      {
        code: "EASYPOST",
        format: "easypost",
        endpoint: `${easypost.url}/v2`,
        subscriptions: { event_types: ["shipment.ready"] },
        retry: FAST_RETRY,
        easypost: { api_key: "env:EASYPOST_KEY", carrier_accounts: ["ca_0123456789abcdef"] },
      },
    ],
  });
  return { cxml, peppol, easypost, ...stack };
}

describe("partner formats on the wire", () => {
  it("a PO reaches a cXML supplier as an OrderRequest with its credentials, and a Peppol access point as a signed BIS 3 Order", async () => {
    const { odoo, cxml, peppol, partner } = await startFormats();
    const a = odoo.addVendor("Cxml Supplies", "CXMLSUP");
    const b = odoo.addVendor("Peppol Supplies", "PEPPOLSUP");
    const poA = odoo.addPurchaseOrder(a.id, demoLines());
    const poB = odoo.addPurchaseOrder(b.id, demoLines());
    const rowA = odoo.approve(poA.id);
    const rowB = odoo.approve(poB.id);
    await waitFor(() => rowA.state === "delivered" && rowB.state === "delivered", "both orders delivered");

    expect(cxml.refused).toEqual([]);
    expect(cxml.orders).toHaveLength(1);
    expect(cxml.orders[0]).toMatchObject({ orderId: poA.name, type: "new", deploymentMode: "test", payloadId: expect.stringContaining(rowA.event_uuid) });
    expect(cxml.orders[0]!.lines.map((l) => [l.lineNumber, l.quantity, l.supplierPartId])).toEqual([["10", "3", "WC-DESK-CMB"], ["20", "22.5", expect.any(String)]]);
    expect(cxml.orders[0]!.xml).not.toContain(SECRETS.EASYPOST_KEY);

    expect(peppol.refused).toEqual([]);
    expect(peppol.documents).toHaveLength(1);
    expect(peppol.documents[0]).toMatchObject({ root: "Order", id: poB.name, webhookId: rowB.event_uuid });
    // The canonical receiver subscribed to nobody's code got nothing.
    expect(partner.accepted).toHaveLength(0);
  });

  it("a change and a cancellation follow as cXML update/delete referring to the previous order, and as Peppol Order Change/Cancellation", async () => {
    const { odoo, cxml, peppol } = await startFormats();
    const a = odoo.addVendor("Cxml Supplies", "CXMLSUP");
    const b = odoo.addVendor("Peppol Supplies", "PEPPOLSUP");
    const poA = odoo.addPurchaseOrder(a.id, demoLines());
    const poB = odoo.addPurchaseOrder(b.id, demoLines());
    const rows = [odoo.approve(poA.id), odoo.approve(poB.id)];
    await waitFor(() => rows.every((r) => r.state === "delivered"), "orders delivered");
    for (const po of [poA, poB]) rows.push(odoo.change(po.id, (p) => (p.lines[0]!.quantity = 5)));
    await waitFor(() => rows.every((r) => r.state === "delivered"), "changes delivered");
    odoo.cancel(poA.id);
    odoo.cancel(poB.id);
    await waitFor(() => cxml.orders.length === 3 && peppol.documents.length === 3, "cancellations delivered");

    expect(cxml.refused).toEqual([]);
    expect(cxml.orders.map((o) => o.type)).toEqual(["new", "update", "delete"]);
    expect(cxml.orders[1]!.lines[0]!.quantity).toBe("5");
    // Each version refers to the one it replaces.
    expect(cxml.orders[1]!.documentReference).toBe(cxml.orders[0]!.payloadId);
    expect(cxml.orders[2]!.documentReference).toBe(cxml.orders[1]!.payloadId);

    expect(peppol.refused).toEqual([]);
    expect(peppol.documents.map((d) => d.root)).toEqual(["Order", "OrderChange", "OrderCancellation"]);
    expect(peppol.documents.slice(1).map((d) => d.orderReference)).toEqual([poB.name, poB.name]);
  });

  it("a cXML Status 500 is retried; a Status 400 is dead with the supplier's text in Odoo", async () => {
    const { odoo, cxml } = await startFormats((n, order) =>
      order.orderId.endsWith("1") ? (n === 0 ? { code: 500, text: "Internal Server Error", message: "order desk busy" } : null) : { code: 400, text: "Bad Request", message: "unknown SupplierPartID WC-DESK-CMB" },
    );
    const vendor = odoo.addVendor("Cxml Supplies", "CXMLSUP");
    const retried = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => retried.state === "delivered", "the order delivered after a retry");
    expect(cxml.requests).toBe(2);
    expect(cxml.orders).toHaveLength(1);

    const refused = odoo.approve(odoo.addPurchaseOrder(vendor.id, demoLines()).id);
    await waitFor(() => refused.state === "dead", "the refused order dead in Odoo");
    expect(refused.last_error).toContain("cXML Status 400");
    expect(refused.last_error).toContain("unknown SupplierPartID WC-DESK-CMB");
    // HTTP was 200 all along: the Status decided.
    expect(cxml.requests).toBe(3);
  });

  it("shipment.ready books a label at EasyPost with its API key; the tracking code and label land on the picking", async () => {
    const { odoo, easypost } = await startFormats();
    const { picking, row } = odoo.readyDelivery("EASYPOST", { service: "Priority" });
    await waitFor(() => row.state === "delivered", "the booking delivered");
    await waitFor(() => picking.carrier_tracking_ref !== null, "the tracking code on the picking");

    expect(easypost.refused).toEqual([]);
    expect(easypost.bookings).toHaveLength(1);
    const booking = easypost.bookings[0]!;
    expect(booking).toMatchObject({ resource: "shipments", idempotencyKey: row.event_uuid, request: { reference: picking.name, service: "Priority", carrier_accounts: ["ca_0123456789abcdef"] } });
    expect(picking.carrier_tracking_ref).toBe(booking.answer["tracking_code"]);
    expect(picking.label_url).toBe((booking.answer["postage_label"] as { label_url: string }).label_url);
  });

  it("an address EasyPost cannot verify is dead with the carrier's message, for a person on the picking", async () => {
    const { odoo, easypost } = await startFormats();
    const { picking, row } = odoo.readyDelivery("EASYPOST", { street: "1 Undeliverable Road" });
    await waitFor(() => row.state === "dead", "the booking dead");
    expect(row.last_error).toContain("ADDRESS.VERIFY.FAILURE");
    expect(row.last_error).toContain("street1: Address not found");
    expect(picking.carrier_tracking_ref).toBeNull();
    expect(easypost.bookings).toHaveLength(0);
  });

  it("a shipment EasyPost creates but does not buy (no service) is dead, saying why, never booked twice", async () => {
    const { odoo, easypost } = await startFormats();
    const { picking, row } = odoo.readyDelivery("EASYPOST", { service: null });
    await waitFor(() => row.state === "dead", "the booking dead");
    expect(row.last_error).toMatch(/without a bought label/);
    expect(picking.carrier_tracking_ref).toBeNull();
    expect(easypost.bookings).toHaveLength(1);
  });

  it("the partner simulators refuse what their format's rules refuse (a test cannot pass on a malformed document)", async () => {
    const cxml = new CxmlSupplier({ ...CXML, sharedSecret: SECRETS.CXML_SECRET });
    const peppol = new PeppolAccessPoint({ auth: { token: "tok" } });
    await Promise.all([cxml.start(), peppol.start()]);
    servers.push(cxml, peppol);
    const event = JSON.parse(readFileSync(join(contractsDir, "examples/purchase_order.confirmed.json"), "utf8"));
    const order = encodeWith("cxml", event, { ...CXML, sharedSecret: SECRETS.CXML_SECRET, billTo: { name: "Y", street: ["1 St"], city: "C", country: "BE" } });
    const peppolOrder = encodeWith("ubl", event, { buyer: { endpointId: "5798000000001", endpointScheme: "0088", name: "Y" }, seller: { endpointId: "5798000000002", endpointScheme: "0088" } });
    if (!order.ok || !peppolOrder.ok) throw new Error("the examples encode");
    const post = (url: string, body: string, headers: Record<string, string>) => fetch(url, { method: "POST", headers, body }).then(async (r) => ({ status: r.status, text: await r.text() }));
    // As sent: taken.
    expect((await post(cxml.url, order.body, { "content-type": "text/xml" })).text).toContain('code="200"');
    expect((await post(peppol.url, peppolOrder.body, { "content-type": "application/xml", authorization: "Bearer tok" })).status).toBe(202);
    // Without the BillTo the DTD requires, or with another CustomizationID: refused with the rule.
    const noBillTo = await post(cxml.url, order.body.replace(/<BillTo>[\s\S]*?<\/BillTo>/, ""), { "content-type": "text/xml" });
    expect(noBillTo.text).toContain('code="400"');
    expect(cxml.refused.at(-1)?.reason).toMatch(/BillTo/);
    const wrongId = await post(peppol.url, peppolOrder.body.replace("urn:fdc:peppol.eu:poacc:trns:order:3", "urn:example:order"), { "content-type": "application/xml", authorization: "Bearer tok" });
    expect(wrongId.status).toBe(400);
    expect(peppol.refused.at(-1)?.reason).toMatch(/CustomizationID/);
    expect(cxml.orders).toHaveLength(1);
    expect(peppol.documents).toHaveLength(1);
  });

  it("a partner that echoes our credentials in its error page: the message kept, logged and recorded in Odoo holds none of them", async () => {
    // An echoing proxy before EasyPost: 502 with every request header and the body we sent.
    const echo = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => res.writeHead(502, { "content-type": "text/plain" }).end(`bad gateway; you sent ${JSON.stringify(req.headers)} and ${Buffer.concat(chunks).toString("utf8")} key=${SECRETS.EASYPOST_KEY}`));
    });
    const url = await listenLoopback(echo);
    servers.push({ stop: () => closeServer(echo) });
    stack = await startStack({
      partnerOverrides: { subscriptions: { event_types: ["purchase_order.confirmed"], partner_codes: ["NOBODY"] } },
      secrets: SECRETS,
      extraPartners: [{ code: "EASYPOST", format: "easypost", endpoint: `${url}/v2`, subscriptions: { event_types: ["shipment.ready"] }, retry: { schedule_ms: [60_000], jitter: 0 }, easypost: { api_key: "env:EASYPOST_KEY" } }],
    });
    const { row } = stack.odoo.readyDelivery("EASYPOST");
    await waitFor(() => row.state === "failed" && row.last_error !== null, "the failure recorded in Odoo");
    const kept = stack.sidecar.store.db.$client.prepare("select last_error from deliveries").get() as { last_error: string };
    const basic = Buffer.from(`${SECRETS.EASYPOST_KEY}:`).toString("base64");
    for (const text of [row.last_error!, kept.last_error]) {
      expect(text).toContain("bad gateway");
      expect(text).toContain("[redacted]");
      expect(text).not.toContain(SECRETS.EASYPOST_KEY);
      expect(text).not.toContain(basic);
    }
  });
});
