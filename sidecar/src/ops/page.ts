import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { HttpError } from "../http/errors.ts";
import type { PartnerStatus, StatusDocument } from "./status.ts";
import { ownBounds } from "./attention.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Whether `given` is one of the tokens, compared in constant time (each token hashed first). */
function oneOf(given: string, tokens: readonly Buffer[]): boolean {
  if (!given || given.length > 512) return false;
  const d = digest(given);
  let ok = false;
  for (const t of tokens) ok = timingSafeEqual(d, t) || ok;
  return ok;
}

function age(s: number | null): string {
  if (s === null) return "-";
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** The mismatch kinds in words (outbox/reconcile.ts). */
export const RECONCILE_LABELS: Record<string, string> = {
  leased_unknown: "Leased to this sidecar in Odoo, unknown to its store",
  finished_unrecorded: "Finished here, never recorded in Odoo",
  lease_expired: "Lease expired in Odoo, not claimed again",
  failed_delivered: "Failed in Odoo, delivered here",
  inbound_stuck: "Inbound documents stuck before apply",
};

const dash = (v: unknown) => (v === null || v === undefined || v === "" ? "-" : String(v));

/** State words, never colour alone: the class only adds a border and background. */
function stateCell(p: PartnerStatus) {
  const word = p.disabled ? `disabled: ${p.disabled}` : p.paused ? `paused by ${dash(p.paused_by)}${p.pause_reason ? ` (${p.pause_reason})` : ""}` : p.health.replace("_", " ");
  const cls = p.health === "ok" ? "ok" : p.health === "paused" ? "warn" : "bad";
  return html`<span class="state ${cls}">${word}</span>`;
}

const CSS = `
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:1rem 1.5rem;color:#111;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0 .5rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;margin:.25rem 0 1rem;min-width:40%}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #767676;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#e8e8e8}td.n{text-align:right;font-variant-numeric:tabular-nums}
.state{display:inline-block;padding:0 .35rem;border:2px solid;border-radius:3px;font-weight:600}
.ok{border-color:#1a6b2a;background:#e6f4e9;color:#0b3d16}.warn{border-color:#8a5a00;background:#fff4dc;color:#4a3000}.bad{border-color:#a4141d;background:#fde8e9;color:#6b0c12}
.summary{font-size:1.1rem;margin:.5rem 0}small,.muted{color:#444}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.25rem 0 1rem}dt{font-weight:600}dd{margin:0}
`;

/** The status model as a page: server-rendered, no script, refreshes itself every `refreshS` seconds. */
export function renderPage(doc: StatusDocument, refreshS: number | null): HtmlEscapedString | Promise<HtmlEscapedString> {
  const a = doc.attention;
  const detail = (m: Record<string, number>) => Object.entries(m).map(([k, n]) => `${k}: ${n}`).join(", ") || "-";
  const backlog = Object.values(a.backlog_by_carrier).reduce((x, y) => x + y, 0);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refreshS !== null ? html`<meta http-equiv="refresh" content="${refreshS}">
` : ""}<meta name="referrer" content="no-referrer">
<title>${doc.ok ? "OK" : "Needs attention"} - Odoo distribution connector status</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header>
<h1>Odoo distribution connector: relay status</h1>
<p class="summary">Overall: <span class="state ${doc.ok ? "ok" : "bad"}">${doc.ok ? "OK" : "Needs attention"}</span>
 <span class="muted">as of <time datetime="${doc.generated_at}">${doc.generated_at}</time>.</span>
 ${refreshS !== null ? html`This page refreshes every ${refreshS} s: <a href="/?refresh=off">stop refreshing</a>.` : html`Automatic refresh is off: <a href="/">refresh every 30 s</a>.`}</p>
</header>
<main>
<section aria-labelledby="h-odoo">
<h2 id="h-odoo">Odoo</h2>
<dl>
<dt>Reachable</dt><dd><span class="state ${doc.odoo.reachable ? "ok" : "bad"}">${doc.odoo.reachable ? "yes" : "no"}</span></dd>
<dt>Last claim</dt><dd>${dash(doc.odoo.last_claim_at)}</dd>
<dt>Last Odoo error</dt><dd>${dash(doc.odoo.last_error)}</dd>
<dt>Claiming</dt><dd>${doc.sidecar.claiming}</dd>
<dt>Sidecar up for</dt><dd>${age(doc.sidecar.uptime_s)}</dd>
</dl>
</section>
<section aria-labelledby="h-deliveries">
<h2 id="h-deliveries">Deliveries to partners</h2>
<p>${doc.deliveries.pending} pending (oldest ${age(doc.deliveries.oldest_pending_age_s)}), ${doc.deliveries.dead} dead letters, ${doc.deliveries.delivered} delivered, ${doc.deliveries.report_pending} results waiting to be recorded in Odoo.</p>
${doc.store?.kind === "postgresql" ? html`<p class="muted">Every replica's deliveries, from the shared PostgreSQL store as of ${dash(doc.store.as_of)}${doc.store.error ? html` (<strong>reading it failed: ${doc.store.error}</strong>)` : ""}; the audit trail is this replica's.</p>` : ""}
<table>
<caption>Each partner's health</caption>
<thead><tr><th scope="col">Partner</th><th scope="col">State</th><th scope="col">Circuit</th><th scope="col">Pending</th><th scope="col">Oldest pending</th><th scope="col">Dead</th><th scope="col">In flight</th><th scope="col">Rate in use</th><th scope="col">Last success</th><th scope="col">Last error</th></tr></thead>
<tbody>
${doc.partners.map(
  (p) => html`<tr><th scope="row">${p.code}${p.name ? html`<br><small>${p.name}</small>` : ""}</th><td>${stateCell(p)}</td><td>${dash(p.circuit)}</td><td class="n">${p.deliveries.pending}</td><td>${age(p.oldest_pending_age_s)}</td><td class="n">${p.deliveries.dead}</td><td class="n">${p.in_flight}</td><td>${p.rate ? `${p.rate.in_use} of ${p.rate.requests} per ${p.rate.per_ms} ms` : "-"}</td><td>${dash(p.last_success_at)}</td><td>${p.last_error_class ? html`<strong>${p.last_error_class}</strong>: ${(p.last_error ?? "").slice(0, 160)}` : "-"}</td></tr>`,
)}
</tbody>
</table>
</section>
<section aria-labelledby="h-inbound">
<h2 id="h-inbound">Inbound documents from partners</h2>
<table>
<caption>Documents waiting, quarantined and in exception</caption>
<thead><tr><th scope="col">Waiting to apply</th><th scope="col">Quarantined</th><th scope="col">Exceptions</th><th scope="col">Last applied</th><th scope="col">Last error</th></tr></thead>
<tbody><tr><td class="n">${doc.inbound.waiting}</td><td class="n">${doc.inbound.quarantined}</td><td class="n">${doc.inbound.exceptions}</td><td>${dash(doc.inbound.last_applied_at)}</td><td>${dash(doc.inbound.last_error)}</td></tr></tbody>
</table>
</section>
<section aria-labelledby="h-attention">
<h2 id="h-attention">Business attention</h2>
<table>
<caption>What a person should look at</caption>
<thead><tr><th scope="col">Condition</th><th scope="col">Count</th><th scope="col">By partner or carrier</th></tr></thead>
<tbody>
<tr><th scope="row">Purchase orders confirmed, not acknowledged after ${age(a.bounds.ack_s)}</th><td class="n">${a.po_unacknowledged.total}</td><td>${detail(a.po_unacknowledged.by_partner)}</td></tr>
<tr><th scope="row">Acknowledged with changes, not yet accepted</th><td class="n">${a.ack_changes_pending.total}</td><td>${detail(a.ack_changes_pending.by_partner)}</td></tr>
<tr><th scope="row">Shipments dispatched, no carrier milestone after ${age(a.bounds.milestone_s)}</th><td class="n">${a.shipments_without_milestone.total}</td><td>${detail(a.shipments_without_milestone.by_carrier)}</td></tr>
<tr><th scope="row">Exceptions open</th><td class="n">${a.exceptions_open.total}</td><td>${detail(a.exceptions_open.by_partner)}</td></tr>
<tr><th scope="row">Backlog per carrier (pending deliveries)</th><td class="n">${backlog}</td><td>${detail(a.backlog_by_carrier)}</td></tr>
</tbody>
</table>
${ownBounds(a.bounds.by_partner, age) ? html`<p>Partners with their own bounds: ${ownBounds(a.bounds.by_partner, age)}.</p>` : ""}
</section>
<section aria-labelledby="h-reconcile">
<h2 id="h-reconcile">Reconciliation with Odoo's outbox</h2>
${doc.reconcile === null
  ? html`<p>Not run since the sidecar started (<code>odc reconcile</code> runs it now).</p>`
  : html`<p>Last run <time datetime="${doc.reconcile.ran_at}">${doc.reconcile.ran_at}</time> (${doc.reconcile.dry_run ? "dry run, by " : "by "}${doc.reconcile.actor}): ${doc.reconcile.error ? html`<span class="state bad">failed</span> ${doc.reconcile.error}` : doc.reconcile.left === 0 ? html`<span class="state ok">nothing left</span>` : html`<span class="state bad">${doc.reconcile.left} left for a person</span>`}${doc.reconcile.notes.length ? html` <small>${doc.reconcile.notes.join("; ")}</small>` : ""}</p>
<table>
<caption>Mismatches found, repaired and left, by kind</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Found</th><th scope="col">Repaired</th><th scope="col">Left</th></tr></thead>
<tbody>
${Object.entries(doc.reconcile.kinds).map(([kind, k]) => html`<tr><th scope="row">${RECONCILE_LABELS[kind] ?? kind}</th><td class="n">${k.found}</td><td class="n">${k.repaired}</td><td class="n">${k.left}</td></tr>`)}
</tbody>
</table>`}
</section>
</main>
<footer><p class="muted">Read-only. Repair from the host with <code>odc</code> (see docs/operations.md). JSON: <code>GET /admin/status</code>.</p></footer>
</body>
</html>`;
}

/**
 * `GET /`: the status page, read-only, opened by the admin token or the read token, as
 * `Authorization: Bearer` or `?token=` (a browser bookmark). The request log carries the path
 * only, never the query; the answer tells the browser not to send the address on (no-referrer)
 * nor keep the page (no-store), and to run no script.
 */
export function statusPageRoutes(tokens: readonly string[], status: () => StatusDocument, refreshS = 30): Hono {
  const hashed = tokens.map(digest);
  // The cookie carries an HMAC of the token, never the token: valid while that token is configured.
  const sessions = tokens.map((t) => digest(createHmac("sha256", t).update("odc status page session v1").digest("hex")));
  const sessionOf = (token: string) => createHmac("sha256", token).update("odc status page session v1").digest("hex");
  const app = new Hono();
  app.get("/", (c) => {
    const security = { "cache-control": "no-store", "referrer-policy": "no-referrer", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", "x-content-type-options": "nosniff" };
    const refuse = () => new HttpError(401, "unauthorized", "read or admin token required (Authorization: Bearer, or ?token=)", security);
    const header = c.req.header("authorization");
    const query = c.req.query("token");
    if (header !== undefined) {
      if (!header.startsWith("Bearer ") || !oneOf(header.slice(7), hashed)) throw refuse();
    } else if (query !== undefined) {
      // A bookmark's ?token=: swapped at once for a session cookie and the bare address, so the
      // token leaves the address bar (and the history, and what a refresh or a link sends).
      if (!oneOf(query, hashed)) throw refuse();
      const refresh = c.req.query("refresh") === "off" ? "?refresh=off" : "";
      return c.body(null, 303, { ...security, location: `/${refresh}`, "set-cookie": `odc_status=${sessionOf(query)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200` });
    } else {
      const cookie = /(?:^|;\s*)odc_status=([0-9a-f]{64})(?:;|$)/.exec(c.req.header("cookie") ?? "")?.[1];
      if (!cookie || !oneOf(cookie, sessions)) throw refuse();
    }
    for (const [k, v] of Object.entries(security)) c.header(k, v);
    return c.html(renderPage(status(), c.req.query("refresh") === "off" ? null : refreshS));
  });
  return app;
}
