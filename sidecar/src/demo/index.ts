/**
 * `npm run demo`: the whole relay on its embedded SQLite store, against the bundled Odoo
 * simulator and simulated partners on loopback, one of each format: a supplier taking signed
 * canonical JSON, a cXML supplier, a Peppol access point (UBL) and EasyPost booking a label.
 * Approves purchase orders and readies a delivery, narrates each event's path as it happens,
 * prints a summary, exits 0 when every event was delivered and recorded in Odoo and the
 * carrier's tracking code reached the delivery order (1 otherwise).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../config/env.ts";
import { parsePartners } from "../config/partners.ts";
import { createLogger, stdoutDestination } from "../lib/logger.ts";
import { Sidecar } from "../service.ts";
import { OdooSimulator } from "../../../test/simulator/odoo.ts";
import { PartnerReceiver } from "../../../test/simulator/partner.ts";
import { CxmlSupplier, EasypostSimulator, PeppolAccessPoint } from "../../../test/simulator/suppliers.ts";

const NUDGE_SECRET = "demo-nudge-secret-0123456789abcdef";
const SECRETS = {
  SUPPLIER_SECRET: "whsec_ZGVtby1zdXBwbGllci1zZWNyZXQtMDEyMzQ1Njc4OQ==",
  CXML_SHARED_SECRET: "demo-cxml-shared-secret",
  PEPPOL_SECRET: "whsec_ZGVtby1wZXBwb2wtYWNjZXNzLXBvaW50LTAxMjM0NQ==",
  EASYPOST_API_KEY: "EZTKdemo0123456789abcdef",
};
const CXML_IDS = { from: { domain: "NetworkID", identity: "AN01000000001" }, to: { domain: "DUNS", identity: "831234567" } };
const started = Date.now();
const t = () => `+${String(Date.now() - started).padStart(5)} ms`;
const say = (line: string) => process.stdout.write(`${t()}  ${line}\n`);

/** What each partner's answer meant, for the narration. */
const WHAT: Record<string, string> = {
  WOODCORNER: "Standard Webhooks signature verified by the supplier",
  ACMEOFFICE: "cXML Response Status 200",
  NORDICPANEL: "Peppol BIS 3 Order accepted by the access point",
  EASYPOST: "label bought; the booking goes to Odoo",
};

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "odc-demo-"));
  const odoo = new OdooSimulator({ db: "demo", nudgeSecret: NUDGE_SECRET, latency: { baseMs: 8, perRowMs: 0.1 } });
  await odoo.start();
  // The supplier refuses the very first request with 503 + Retry-After, to show a durable retry.
  const supplier = new PartnerReceiver([SECRETS.SUPPLIER_SECRET], (n) => (n === 0 ? { status: 503, headers: { "retry-after": "1" }, body: "maintenance" } : null));
  const cxml = new CxmlSupplier({ ...CXML_IDS, sharedSecret: SECRETS.CXML_SHARED_SECRET });
  const peppol = new PeppolAccessPoint({ auth: { secrets: [SECRETS.PEPPOL_SECRET] } });
  const easypost = new EasypostSimulator(SECRETS.EASYPOST_API_KEY);
  await Promise.all([supplier.start(), cxml.start(), peppol.start(), easypost.start()]);
  say(`Odoo simulator on ${odoo.url} (database "${odoo.db}")`);
  say(`partners: WOODCORNER canonical JSON on ${supplier.url}, ACMEOFFICE cXML on ${cxml.url}, NORDICPANEL Peppol on ${peppol.url}, EASYPOST on ${easypost.url}`);

  const env = loadEnv(odoo.sidecarSettings(NUDGE_SECRET, join(dir, "odc.sqlite"), { ODC_POLL_INTERVAL_MS: "2000", ODC_LOG_LEVEL: process.env.ODC_LOG_LEVEL ?? "warn" }));
  const partners = parsePartners(
    {
      partners: [
        {
          code: "WOODCORNER",
          name: "Wood Corner (supplier, signed canonical JSON)",
          endpoint: `${supplier.url}/webhooks/odoo`,
          signing_secrets: ["env:SUPPLIER_SECRET"],
          subscriptions: { event_types: ["purchase_order.confirmed"] },
          limits: { concurrency: 2, rate: { requests: 10, per_ms: 1000 } },
          retry: { schedule_ms: [500, 2_000, 10_000] },
        },
        {
          code: "ACMEOFFICE",
          name: "Acme Office Supply (cXML)",
          format: "cxml",
          endpoint: `${cxml.url}/cxml/orders`,
          subscriptions: { event_types: ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"] },
          cxml: {
            ...CXML_IDS,
            shared_secret: "env:CXML_SHARED_SECRET",
            deployment_mode: "test",
            bill_to: { name: "YourCompany", address_id: "HQ", street: ["250 Executive Park Blvd"], city: "San Francisco", state: "CA", postal_code: "94134", country: "US" },
          },
        },
        {
          code: "NORDICPANEL",
          name: "Nordic Panel (Peppol BIS 3)",
          format: "ubl",
          endpoint: `${peppol.url}/peppol/outbox`,
          signing_secrets: ["env:PEPPOL_SECRET"],
          subscriptions: { event_types: ["purchase_order.confirmed"] },
          ubl: { buyer: { endpoint_id: "5798000000001", endpoint_scheme: "0088", name: "YourCompany" }, seller: { endpoint_id: "7300010000001", endpoint_scheme: "0088" } },
        },
        {
          code: "EASYPOST",
          name: "EasyPost (carrier labels)",
          format: "easypost",
          endpoint: `${easypost.url}/v2`,
          subscriptions: { event_types: ["shipment.ready"] },
          easypost: { api_key: "env:EASYPOST_API_KEY", carrier_accounts: ["ca_demo0123456789"] },
        },
      ],
    },
    SECRETS,
  );
  const refs = new Map<string, string>();
  /** Events whose final result the sidecar has seen Odoo accept. */
  const recorded = new Set<string>();
  const sidecar = new Sidecar({
    env,
    partners,
    log: createLogger(env.ODC_LOG_LEVEL, stdoutDestination(env.ODC_LOG_SYNC)),
    observer: {
      claimed: (events) => say(`sidecar  claimed ${events.length} event(s) from the outbox: ${events.map((e) => e.event.subject.ref).join(", ")}`),
      attempted: (partner, row, outcome, final) => {
        const ref = refs.get(row.eventId) ?? row.eventId;
        if (outcome.ok) say(`sidecar  ${ref} -> ${partner}: HTTP ${outcome.status}, taken (${WHAT[partner] ?? "delivered"})`);
        else say(`sidecar  ${ref} -> ${partner}: ${outcome.message} (${outcome.errorClass}); ${final === "dead" ? "dead" : "retry scheduled"}`);
      },
      reported: (results) => {
        for (const r of results) if (r.state === "delivered" || r.state === "dead") recorded.add(r.event_id);
        say(`sidecar  recorded ${results.length} result(s) in Odoo in one call: ${results.map((r) => `${refs.get(r.event_id)}=${r.state}`).join(", ")}`);
      },
    },
  });
  const port = await sidecar.start();
  odoo.sidecarUrl = `http://127.0.0.1:${port}`;
  say(`sidecar listening on ${odoo.sidecarUrl} (store ${env.ODC_DB_PATH})`);

  const vendor = odoo.addVendor("Wood Corner", "WOODCORNER", "BE0477472701");
  const acme = odoo.addVendor("Acme Office Supply", "ACMEOFFICE", "US123456789");
  const nordic = odoo.addVendor("Nordic Panel AB", "NORDICPANEL", "SE556677889901");
  const catalogue = [
    { product_code: "FURN_7800", vendor_product_code: "WC-DESK-CMB", description: "[FURN_7800] Desk Combination", uom: "C62", unit_price: 450 },
    { product_code: "FURN_8220", vendor_product_code: "WC-CHAIR-4", description: "[FURN_8220] Four Person Desk", uom: "C62", unit_price: 2350 },
    { product_code: "PANEL_OAK", vendor_product_code: null, description: "Wood panel, oak", uom: "KGM", unit_price: 10 },
  ];
  const rows = [];
  const vendors = [vendor, vendor, acme, nordic, vendor];
  for (let i = 0; i < 5; i++) {
    const po = odoo.addPurchaseOrder(vendors[i]!.id, catalogue.slice(0, 1 + (i % 3)).map((p, j) => ({ ...p, quantity: 1 + i + j * 2.5 })));
    const row = odoo.approve(po.id);
    refs.set(row.event_uuid, po.name);
    rows.push(row);
    say(`odoo     ${po.name} approved (${po.lines.length} line(s)): outbox row ${row.id} written in the same transaction; nudge sent after commit`);
    await new Promise((r) => setTimeout(r, 150));
  }

  const { picking, row: shipment } = odoo.readyDelivery("EASYPOST", { service: "Priority" });
  refs.set(shipment.event_uuid, picking.name);
  rows.push(shipment);
  say(`odoo     ${picking.name} ready to ship with EASYPOST: shipment.ready in the outbox, routed by the carrier's partner code`);

  const deadline = Date.now() + 20_000;
  while ((rows.some((r) => !recorded.has(r.event_uuid)) || picking.carrier_tracking_ref === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

  process.stdout.write("\nsummary\n");
  process.stdout.write("  record        outbox state  partner      format     attempts  event id\n");
  for (const row of rows) {
    const delivery = sidecar.store.db.$client.prepare("select partner, attempts from deliveries where event_id = ?").get(row.event_uuid) as { partner: string; attempts: number } | undefined;
    const format = partners.find((p) => p.code === delivery?.partner)?.format ?? "-";
    process.stdout.write(`  ${row.subject_ref.padEnd(12)}  ${row.state.padEnd(12)}  ${(delivery?.partner ?? "-").padEnd(11)}  ${format.padEnd(9)}  ${String(delivery?.attempts ?? 0).padStart(8)}  ${row.event_uuid}\n`);
  }
  const delivered = rows.filter((r) => r.state === "delivered").length;
  const refused = cxml.refused.length + peppol.refused.length + easypost.refused.length;
  process.stdout.write(`\n  ${delivered}/${rows.length} delivered and recorded in Odoo\n`);
  process.stdout.write(`  WOODCORNER  took ${supplier.uniqueIds.size} signed canonical event(s) in ${supplier.arrivals.length} request(s) (${supplier.rejectedSignatures} bad signatures)\n`);
  process.stdout.write(`  ACMEOFFICE  took ${cxml.orders.length} cXML OrderRequest(s): ${cxml.orders.map((o) => `${o.orderId} type=${o.type}`).join(", ") || "none"}\n`);
  process.stdout.write(`  NORDICPANEL took ${peppol.documents.length} Peppol document(s): ${peppol.documents.map((d) => `${d.root} ${d.id}`).join(", ") || "none"}\n`);
  process.stdout.write(`  EASYPOST    booked ${easypost.bookings.length} label(s); ${picking.name} shows tracking ${picking.carrier_tracking_ref ?? "(none)"} and label ${picking.label_url ?? "(none)"}\n`);
  process.stdout.write(`  partners refused ${refused} request(s) as malformed; nudges sent ${odoo.nudgesSent}\n`);

  await sidecar.stop(1_000);
  await Promise.all([supplier.stop(), cxml.stop(), peppol.stop(), easypost.stop()]);
  await odoo.stop();
  rmSync(dir, { recursive: true, force: true });
  const allTaken = supplier.uniqueIds.size === 3 && cxml.orders.length === 1 && peppol.documents.length === 1 && picking.carrier_tracking_ref !== null;
  return delivered === rows.length && allTaken && refused === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
