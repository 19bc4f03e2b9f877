/**
 * The walking skeleton against a real Odoo 18 (run by scripts/odoo-e2e.sh, which serves the
 * database): a PO approved through JSON-RPC as a user would is delivered by the real sidecar,
 * signed, to a loopback receiver, and its outbox row ends `delivered` in Odoo.
 *
 * Needs ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY (the integration user, as printed by
 * scripts/odoo-serve.sh), ODOO_ADMIN_PASSWORD (default "admin"), SIDECAR_PORT and NUDGE_SECRET
 * (as given to odoo-serve.sh).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { checkEvent } from "../../sidecar/src/contracts/validate.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { OdooClient } from "../../sidecar/src/odoo/client.ts";
import { Sidecar } from "../../sidecar/src/service.ts";
import { PartnerReceiver } from "../simulator/partner.ts";
import { PARTNER_SECRET, required, run } from "./run.ts";


async function main(): Promise<number> {
  const url = required("ODOO_URL");
  const db = required("ODOO_DB");
  const count = Number(process.env.E2E_POS ?? "3");
  const admin = new OdooClient({ url, db, login: process.env.ODOO_ADMIN_LOGIN ?? "admin", apiKey: process.env.ODOO_ADMIN_PASSWORD ?? "admin", retries: 1 });
  const version = await admin.version();
  console.log(`odoo ${version.server_version} at ${url}, database ${db}`);

  const partner = new PartnerReceiver([PARTNER_SECRET]);
  await partner.start();
  const dir = mkdtempSync(join(tmpdir(), "odc-real-"));
  const env = loadEnv({ ...process.env, ODC_PARTNERS_FILE: "(inline)", ODC_DB_PATH: join(dir, "store.sqlite"), ODC_PORT: required("SIDECAR_PORT"), ODC_NUDGE_SECRET: required("NUDGE_SECRET"), ODC_LOG_LEVEL: process.env.ODC_LOG_LEVEL ?? "warn" });
  const partners = parsePartners({ partners: [{ code: "E2E-SUPPLIER", endpoint: `${partner.url}/hooks`, signing_secrets: ["env:S"], subscriptions: { event_types: ["purchase_order.confirmed"] } }] }, { S: PARTNER_SECRET });
  const sidecar = new Sidecar({ env, partners, log: createLogger(env.ODC_LOG_LEVEL) });
  await sidecar.start();

  // Business side, as staff would do it: a vendor with a partner code, a product, a PO, Confirm.
  const vendorId = await admin.execute<number>("res.partner", "create", [{ name: `E2E Supplier ${Date.now()}`, is_company: true, connector_partner_code: "E2E-SUPPLIER" }]);
  const uomKg = await admin.execute<{ id: number }[]>("uom.uom", "search_read", [[["name", "=", "kg"]]], { fields: ["id"], limit: 1 });
  const productId = await admin.execute<number>("product.product", "create", [{ name: "E2E Desk", default_code: "E2E-DESK", type: "consu", is_storable: true, purchase_method: "purchase" }]);
  const panelId = await admin.execute<number>("product.product", "create", [{ name: "E2E Panel", default_code: "E2E-PANEL", type: "consu", uom_id: uomKg[0]!.id, uom_po_id: uomKg[0]!.id }]);
  await admin.execute("product.supplierinfo", "create", [{ partner_id: vendorId, product_tmpl_id: (await admin.execute<{ product_tmpl_id: [number, string] }[]>("product.product", "read", [[productId]], { fields: ["product_tmpl_id"] }))[0]!.product_tmpl_id[0], product_code: "SUP-DESK-1", price: 99 }]);
  const started = Date.now();
  const orderIds: number[] = [];
  for (let i = 0; i < count; i++) {
    const poId = await admin.execute<number>("purchase.order", "create", [
      {
        partner_id: vendorId,
        order_line: [
          [0, 0, { product_id: productId, product_qty: 2 + i, price_unit: 99 }],
          [0, 0, { product_id: panelId, product_qty: 12.5, price_unit: 4.2 }],
        ],
      },
    ]);
    await admin.execute("purchase.order", "button_confirm", [[poId]]);
    orderIds.push(poId);
  }
  console.log(`approved ${count} PO(s) in Odoo`);

  type Row = { id: number; event_uuid: string; state: string; last_error: string | false; payload: unknown; subject_ref: string };
  const readRows = () => admin.execute<Row[]>("connector.outbox", "search_read", [[["subject_model", "=", "purchase.order"], ["subject_id", "in", orderIds]]], { fields: ["event_uuid", "state", "last_error", "payload", "subject_ref"] });
  let rows: Row[] = [];
  const deadline = Date.now() + 30_000;
  do {
    await new Promise((r) => setTimeout(r, 200));
    rows = await readRows();
  } while ((rows.length < count || rows.some((r) => r.state !== "delivered")) && Date.now() < deadline);
  const elapsed = Date.now() - started;

  let ok = rows.length === count;
  for (const row of rows) {
    const check = checkEvent(row.payload);
    const received = partner.accepted.filter((e) => e.webhookId === row.event_uuid);
    console.log(`  ${row.subject_ref}: outbox ${row.state}; payload ${check.ok ? "valid" : `INVALID (${check.reason})`}; received by the partner ${received.length}x, signature verified`);
    ok &&= row.state === "delivered" && check.ok && received.length >= 1;
  }
  console.log(`${rows.filter((r) => r.state === "delivered").length}/${count} delivered and recorded in Odoo in ${elapsed} ms (from first create); nudges received: ${sidecar.metrics ? "see /metrics" : "-"}; bad signatures at the partner: ${partner.rejectedSignatures}`);
  await sidecar.stop(1_000);
  await partner.stop();
  rmSync(dir, { recursive: true, force: true });
  return ok ? 0 : 1;
}

run(main);
