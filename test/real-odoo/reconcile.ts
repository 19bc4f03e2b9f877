/**
 * Reconciliation against a real Odoo 18 (run by scripts/odoo-e2e.sh, which serves the
 * database): each of the four outbox mismatches is made on purpose in Odoo, as a restored
 * backup or a crashed replica would leave it, then the real sidecar's reconciler finds each on a
 * dry run (changing nothing), repairs each, and agrees with Odoo on a third run.
 *
 * - finished_unrecorded: a row delivered and recorded, set back to `leased` by this sidecar;
 * - failed_delivered: a row delivered here, set to `failed` in Odoo;
 * - leased_unknown: a row claimed with this sidecar's identity by another caller, never stored;
 * - lease_expired: a row claimed by a replica that "crashed", its lease run out.
 *
 * While the last two are made, Odoo's nudge goes to a closed port and the sidecar's poll is
 * long, so that the sidecar does not claim them on its own first.
 *
 * Needs ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY (the integration user),
 * ODOO_ADMIN_PASSWORD (default "admin"), SIDECAR_PORT and NUDGE_SECRET (as given to odoo-serve.sh).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners } from "../../sidecar/src/config/partners.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { OdooClient } from "../../sidecar/src/odoo/client.ts";
import { MISMATCH_KINDS, type ReconcileReport } from "../../sidecar/src/outbox/reconcile.ts";
import { Sidecar } from "../../sidecar/src/service.ts";
import { PartnerReceiver } from "../simulator/partner.ts";
import { PARTNER_SECRET, required, run } from "./run.ts";

const SIDECAR_URL_PARAM = "distribution_connector.sidecar_url";
const OUTBOX_KINDS = MISMATCH_KINDS.filter((k) => k !== "inbound_stuck");
const odooTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
type Row = { id: number; event_uuid: string; state: string; lease_consumer: string | false; last_error: string | false };

async function main(): Promise<number> {
  const url = required("ODOO_URL");
  const db = required("ODOO_DB");
  const admin = new OdooClient({ url, db, login: process.env.ODOO_ADMIN_LOGIN ?? "admin", apiKey: process.env.ODOO_ADMIN_PASSWORD ?? "admin", retries: 1 });
  const integration = new OdooClient({ url, db, login: required("ODOO_USER"), apiKey: required("ODOO_API_KEY"), retries: 1 });
  const tag = Date.now().toString(36).toUpperCase();
  const code = `RECON-SUP-${tag}`;

  const partner = new PartnerReceiver([PARTNER_SECRET]);
  await partner.start();
  const dir = mkdtempSync(join(tmpdir(), "odc-recon-"));
  const dbPath = join(dir, "store.sqlite");
  const env = loadEnv({ ...process.env, ODC_PARTNERS_FILE: "(inline)", ODC_DB_PATH: dbPath, ODC_PORT: required("SIDECAR_PORT"), ODC_NUDGE_SECRET: required("NUDGE_SECRET"), ODC_LOG_LEVEL: process.env.ODC_LOG_LEVEL ?? "warn", ODC_RECONCILE_INTERVAL_MS: "0", ODC_POLL_INTERVAL_MS: "600000" });
  const partners = parsePartners({ partners: [{ code, endpoint: `${partner.url}/hooks`, signing_secrets: ["env:S"], subscriptions: { event_types: ["purchase_order.confirmed"] } }] }, { S: PARTNER_SECRET });
  const sidecar = new Sidecar({ env, partners, log: createLogger(env.ODC_LOG_LEVEL) });
  await sidecar.start();
  const me = JSON.parse(readFileSync(`${dbPath}.consumer.json`, "utf8")) as { consumer: string; generation: number };
  const nudgeUrl = await admin.execute<string | false>("ir.config_parameter", "get_param", [SIDECAR_URL_PARAM]);

  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const vendorId = await admin.execute<number>("res.partner", "create", [{ name: `Reconcile Supplier ${tag}`, is_company: true, connector_partner_code: code }]);
  const productId = await admin.execute<number>("product.product", "create", [{ name: `Reconcile Desk ${tag}`, type: "consu" }]);
  const confirm = async () => {
    const poId = await admin.execute<number>("purchase.order", "create", [{ partner_id: vendorId, order_line: [[0, 0, { product_id: productId, product_qty: 2, price_unit: 10 }]] }]);
    await admin.execute("purchase.order", "button_confirm", [[poId]]);
    return poId;
  };
  const rowOf = async (poId: number) => {
    const [row] = await admin.execute<Row[]>("connector.outbox", "search_read", [[["subject_model", "=", "purchase.order"], ["subject_id", "=", poId]]], { fields: ["event_uuid", "state", "lease_consumer", "last_error"] });
    if (!row) throw new Error(`no outbox row for PO ${poId}`);
    return row;
  };
  const waitRows = async (ids: number[], state: string, ms: number) => {
    const deadline = Date.now() + ms;
    let rows: Row[] = [];
    do {
      rows = await Promise.all(ids.map(rowOf));
      if (rows.every((r) => r.state === state)) return rows;
      await new Promise((r) => setTimeout(r, 300));
    } while (Date.now() < deadline);
    return rows;
  };

  let code_ = 1;
  try {
    // Two orders delivered and recorded normally; then Odoo "restored from a backup".
    const [unrecordedPo, failedPo] = [await confirm(), await confirm()];
    const [unrecorded, failedThere] = await waitRows([unrecordedPo, failedPo], "delivered", 30_000);
    check(unrecorded!.state === "delivered" && failedThere!.state === "delivered", "the first two orders were not delivered");
    await admin.execute("connector.outbox", "write", [[unrecorded!.id], { state: "leased", delivered_at: false, lease_until: odooTime(Date.now() + 600_000), lease_consumer: me.consumer, lease_generation: me.generation }]);
    await admin.execute("connector.outbox", "write", [[failedThere!.id], { state: "failed", last_error: `[${code}] http_5xx: HTTP 503 (made on purpose)` }]);

    // No nudge reaches the sidecar while the next two are made.
    await admin.execute("ir.config_parameter", "set_param", [SIDECAR_URL_PARAM, "http://127.0.0.1:9"]);
    const lostPo = await confirm();
    const lostClaim = await integration.execute<{ events: { id: number }[] }>("connector.outbox", "claim_batch", [], { limit: 1, lease_seconds: 600, consumer: me.consumer, generation: me.generation });
    const orphanPo = await confirm();
    const orphanClaim = await integration.execute<{ events: { id: number }[] }>("connector.outbox", "claim_batch", [], { limit: 1, lease_seconds: 600, consumer: "odc-crashed-replica", generation: 1 });
    check(lostClaim.events.length === 1 && orphanClaim.events.length === 1, `the made-up claims took ${lostClaim.events.length} and ${orphanClaim.events.length} rows, expected 1 each`);
    const lost = await rowOf(lostPo);
    const orphan = await rowOf(orphanPo);
    await admin.execute("connector.outbox", "write", [[orphan.id], { lease_until: odooTime(Date.now() - 1_000) }]);
    check(lost.lease_consumer === me.consumer && orphan.lease_consumer === "odc-crashed-replica", "the made-up leases are not as intended");
    check(sidecar.store.event(lost.event_uuid) === undefined && sidecar.store.event(orphan.event_uuid) === undefined, "the sidecar stored a made-up row before reconciliation");
    const expected: Record<string, string> = { finished_unrecorded: unrecorded!.event_uuid, failed_delivered: failedThere!.event_uuid, leased_unknown: lost.event_uuid, lease_expired: orphan.event_uuid };
    const ids = [unrecordedPo, failedPo, lostPo, orphanPo];
    const statesBefore = (await Promise.all(ids.map(rowOf))).map((r) => r.state);

    // Dry run: each found, nothing changed in Odoo or the store.
    const dry: ReconcileReport = await sidecar.reconciler.run(true, "real-odoo e2e");
    const statesAfterDry = (await Promise.all(ids.map(rowOf))).map((r) => r.state);
    console.log(`dry run: ${OUTBOX_KINDS.map((k) => `${k} ${dry.kinds[k].found} found`).join(", ")}; Odoo rows ${statesBefore.join("/")} -> ${statesAfterDry.join("/")}`);
    check(dry.error === null, `dry run failed: ${dry.error}`);
    for (const k of OUTBOX_KINDS) check(dry.kinds[k].found === 1 && dry.kinds[k].repaired === 0 && dry.kinds[k].sample.includes(expected[k]!), `dry run ${k}: ${JSON.stringify(dry.kinds[k])}, expected one found: ${expected[k]}`);
    check(statesAfterDry.join() === statesBefore.join(), "the dry run changed Odoo's rows");
    check(sidecar.store.event(lost.event_uuid) === undefined, "the dry run stored the lost row");

    // The run repairs each; every row ends delivered and recorded in Odoo.
    const repair = await sidecar.reconciler.run(false, "real-odoo e2e");
    console.log(`repair: ${OUTBOX_KINDS.map((k) => `${k} ${repair.kinds[k].found} found, ${repair.kinds[k].repaired} repaired`).join("; ")}`);
    check(repair.error === null, `repair run failed: ${repair.error}`);
    for (const k of OUTBOX_KINDS) check(repair.kinds[k].found === 1 && repair.kinds[k].repaired === 1 && repair.kinds[k].left === 0, `repair ${k}: ${JSON.stringify(repair.kinds[k])}`);
    const after = await waitRows(ids, "delivered", 30_000);
    console.log(`Odoo rows after the repair: ${after.map((r) => r.state).join("/")}; partner received the two made-up rows: ${[lost, orphan].map((r) => partner.uniqueIds.has(r.event_uuid)).join("/")}`);
    check(after.every((r) => r.state === "delivered"), "not every row ended delivered in Odoo");
    check(!after[1]!.last_error, "the failed row still shows its error");
    check(partner.uniqueIds.has(lost.event_uuid) && partner.uniqueIds.has(orphan.event_uuid), "the partner did not receive the two rows the sidecar had never stored");
    for (const r of after) check(sidecar.store.history(r.event_uuid)?.transitions.some((h) => h.actor.startsWith("reconcile (real-odoo e2e")) ?? false, `no reconcile entry in the history of ${r.event_uuid}`);

    // A third run agrees.
    const again = await sidecar.reconciler.run(false, "real-odoo e2e");
    const left = OUTBOX_KINDS.reduce((n, k) => n + again.kinds[k].found, 0);
    console.log(`third run: ${left} mismatch(es)`);
    check(left === 0, `the third run still found ${left}: ${JSON.stringify(again.kinds)}`);
    code_ = problems.length === 0 ? 0 : 1;
  } finally {
    await admin.execute("ir.config_parameter", "set_param", [SIDECAR_URL_PARAM, nudgeUrl || ""]);
    for (const p of problems) console.log(`  PROBLEM ${p}`);
    await sidecar.stop(1_000);
    await partner.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return code_;
}

run(main);
