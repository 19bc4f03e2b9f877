import { userInfo } from "node:os";
import { parseArgs, type ParseArgsConfig } from "node:util";
import Table from "cli-table3";
import { SingleBar, Presets } from "cli-progress";
import type { PartnerStatus, StatusDocument } from "./status.ts";
import { AUDIT_ACTIONS, type AuditEntry } from "./audit.ts";
import type { DocumentHistoryView, EventHistoryView, HistoryEntry } from "./history.ts";
import { RECONCILE_LABELS } from "./page.ts";
import { ownBounds } from "./attention.ts";
import type { ReconcileReport } from "../outbox/index.ts";

/**
 * `odc status | dead-letters | replay | pause | resume | inbound quarantine`: IT's commands on
 * the host, talking to a running sidecar over its admin API (never to its store).
 *
 * Exit codes: 0 done (for `status`: the sidecar reports itself healthy); 1 the sidecar answered
 * with a failure (an unknown partner, a refused filter; for `status`: something needs
 * attention); 2 usage error (nothing was sent); 3 sidecar unreachable, or the token refused.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export const ADMIN_USAGE = `admin commands (talk to a running sidecar):
  status                              each partner's health, inbound, Odoo, business attention
  dead-letters [--partner P] [--since ISO] [--until ISO] [--limit N]
  replay (--delivery-ids 1,2 | --event-ids U1,U2 | --partner P | --since ISO | --until ISO | --all)
  pause <partner> [--reason TEXT]     the partner gets no request; its queue waits (survives restarts)
  resume <partner>
  inbound quarantine [--partner P] [--limit N]
  audit [--since ISO] [--action partner.pause|partner.resume|dead_letters.replay|outbox.reconcile] [--limit N]
  history <event-id> | history --document <id>
                                      every state change of an event's deliveries, or of an inbound document
  reconcile [--dry-run]               compare Odoo's outbox with the store, repair what is safe
                                      (exit 1 when mismatches are left; --dry-run: when any is found)

  options: --url URL (or ODC_ADMIN_URL, default http://127.0.0.1:8787)
           --token TOKEN (or ODC_ADMIN_TOKEN)   --json (machine-readable output)
  exit codes: 0 ok; 1 failure reported by the sidecar (status: not healthy);
              2 usage error; 3 sidecar unreachable or token refused
`;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
}

class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const COMMON = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean", default: false },
} as const satisfies ParseArgsConfig["options"];

function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length !== positionals) throw new Error(positionals === 0 ? "takes no arguments" : `takes ${positionals} argument(s)`);
    return parsed;
  } catch (err) {
    throw new CliExit(EXIT.usage, (err as Error).message);
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
/** A date (`2026-01-31`, taken as UTC midnight) or a full ISO time with its offset. */
function isoArg(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!ISO.test(v) || Number.isNaN(Date.parse(v))) throw new CliExit(EXIT.usage, `--${name}: an ISO date or time with offset, e.g. 2026-01-31 or 2026-01-31T22:00:00Z`);
  return v.length === 10 ? `${v}T00:00:00Z` : v;
}

function limitArg(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new CliExit(EXIT.usage, "--limit: a whole number from 1 to 1000");
  return n;
}

const PARTNER = /^[A-Za-z0-9._-]{1,64}$/;
function partnerArg(v: string | undefined): string | undefined {
  if (v !== undefined && !PARTNER.test(v)) throw new CliExit(EXIT.usage, "partner: 1 to 64 letters, digits or . _ -");
  return v;
}

/** The admin API of one sidecar. */
class AdminClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    let res: Response;
    const actor = `cli:${(userInfo().username || "unknown").replace(/[^A-Za-z0-9._@-]/g, "_").slice(0, 40)}`;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, "x-odc-actor": actor, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new CliExit(EXIT.unreachable, `sidecar unreachable at ${this.base} (${cause})`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: said below
    }
    if (res.status === 401 || res.status === 403) throw new CliExit(EXIT.unreachable, `the sidecar refused the admin token (HTTP ${res.status})`);
    if (res.status === 404 && (json as { error?: { code?: string } } | null)?.error?.code === "not_found") {
      throw new CliExit(EXIT.unreachable, `no admin API at ${this.base} (is ODC_ADMIN_TOKEN set on the sidecar?)`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
      throw new CliExit(EXIT.failed, `the sidecar answered HTTP ${res.status}${e ? `: ${e.code}: ${e.message}` : ""}`);
    }
    if (json === null) throw new CliExit(EXIT.failed, `the sidecar answered HTTP ${res.status} with a body that is not JSON`);
    return json as T;
  }
}

function clientOf(values: { url?: string | undefined; token?: string | undefined }, io: Io): AdminClient {
  const url = values.url ?? io.env.ODC_ADMIN_URL ?? "http://127.0.0.1:8787";
  const token = values.token ?? io.env.ODC_ADMIN_TOKEN;
  if (!token) throw new CliExit(EXIT.usage, "no admin token: set ODC_ADMIN_TOKEN or pass --token");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliExit(EXIT.usage, `--url / ODC_ADMIN_URL: not a URL: ${url}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new CliExit(EXIT.usage, "--url / ODC_ADMIN_URL: http or https");
  return new AdminClient(parsed.origin + parsed.pathname.replace(/\/+$/, ""), token);
}

const table = (head: string[]) => new Table({ head, style: { head: [], border: [] }, wordWrap: true });
const dash = (v: unknown) => (v === null || v === undefined || v === "" ? "-" : String(v));

/** Seconds as a short age: 45s, 12m, 3h20m, 2d4h. */
export function age(s: number | null): string {
  if (s === null) return "-";
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

const stateOf = (p: PartnerStatus) => (p.paused ? `paused (${dash(p.paused_by)})` : p.disabled ? `disabled: ${p.disabled}` : p.health);

/** The status model as terminal tables. */
export function renderStatus(doc: StatusDocument): string {
  const lines: string[] = [];
  lines.push(`odc status at ${doc.generated_at}: ${doc.ok ? "OK" : "NEEDS ATTENTION"}  (up ${age(doc.sidecar.uptime_s)}, claiming ${doc.sidecar.claiming})`);
  lines.push(`Odoo: ${doc.odoo.reachable ? "reachable" : "UNREACHABLE"}; last claim ${dash(doc.odoo.last_claim_at)}; last error ${dash(doc.odoo.last_error)}`);
  lines.push(
    `Deliveries: ${doc.deliveries.pending} pending (oldest ${age(doc.deliveries.oldest_pending_age_s)}), ${doc.deliveries.dead} dead, ${doc.deliveries.delivered} delivered, ${doc.deliveries.report_pending} results waiting for Odoo`,
  );
  if (doc.store?.kind === "postgresql") {
    lines.push(`Counts: every replica's, from the shared PostgreSQL store as of ${dash(doc.store.as_of)}${doc.store.error ? `; READING IT FAILED: ${doc.store.error}` : ""}`);
  }
  const r = doc.reconcile;
  if (r) {
    const found = Object.entries(r.kinds).filter(([, k]) => k.found > 0).map(([kind, k]) => `${kind} ${k.found} found, ${k.repaired} repaired`);
    lines.push(`Reconciliation with Odoo: last run ${r.ran_at}${r.dry_run ? " (dry run)" : ""}: ${r.error ? `failed: ${r.error}` : found.length === 0 ? "no mismatch" : `${found.join("; ")}; ${r.left} left`}`);
  }
  const partners = table(["partner", "state", "circuit", "pending", "oldest", "dead", "in flight", "rate in use", "last success", "last error"]);
  for (const p of doc.partners) {
    partners.push([
      p.name ? `${p.code}\n${p.name}` : p.code,
      stateOf(p),
      dash(p.circuit),
      p.deliveries.pending,
      age(p.oldest_pending_age_s),
      p.deliveries.dead,
      p.in_flight,
      p.rate ? `${p.rate.in_use}/${p.rate.requests} per ${p.rate.per_ms} ms` : "-",
      dash(p.last_success_at),
      p.last_error_class ? `${p.last_error_class}: ${(p.last_error ?? "").slice(0, 80)}` : "-",
    ]);
  }
  lines.push(partners.toString());
  const i = doc.inbound;
  const inbound = table(["inbound waiting", "quarantined", "exceptions", "last applied", "last error"]);
  inbound.push([i.waiting, i.quarantined, i.exceptions, dash(i.last_applied_at), dash(i.last_error)]);
  lines.push(inbound.toString());
  const a = doc.attention;
  const attention = table(["business attention", "count", "detail"]);
  const detail = (m: Record<string, number>) => Object.entries(m).map(([k, n]) => `${k}: ${n}`).join(", ") || "-";
  attention.push([`POs confirmed, not acknowledged after ${age(a.bounds.ack_s)}`, a.po_unacknowledged.total, detail(a.po_unacknowledged.by_partner)]);
  attention.push(["POs acknowledged with changes, not accepted", a.ack_changes_pending.total, detail(a.ack_changes_pending.by_partner)]);
  attention.push([`Shipments dispatched, no carrier milestone after ${age(a.bounds.milestone_s)}`, a.shipments_without_milestone.total, detail(a.shipments_without_milestone.by_carrier)]);
  attention.push(["Exceptions open (inbound)", a.exceptions_open.total, detail(a.exceptions_open.by_partner)]);
  attention.push(["Backlog per carrier (pending deliveries)", Object.values(a.backlog_by_carrier).reduce((x, y) => x + y, 0), detail(a.backlog_by_carrier)]);
  lines.push(attention.toString());
  const own = ownBounds(a.bounds.by_partner ?? {}, age);
  if (own) lines.push(`Partners with their own bounds: ${own}`);
  return lines.join("\n") + "\n";
}

interface DeadLetter {
  delivery_id: number;
  event_id: string;
  event_type: string;
  partner: string;
  attempts: number;
  error_class: string | null;
  reason: string | null;
  created_at: string;
}

type Handler = (args: string[], io: Io) => Promise<number>;

const statusCommand: Handler = async (args, io) => {
  const { values } = parse(args, {});
  const doc = await clientOf(values, io).call<StatusDocument>("GET", "/admin/status");
  io.out(values.json ? JSON.stringify(doc, null, 2) + "\n" : renderStatus(doc));
  return doc.ok ? EXIT.ok : EXIT.failed;
};

const deadLettersCommand: Handler = async (args, io) => {
  const { values } = parse(args, { partner: { type: "string" }, since: { type: "string" }, until: { type: "string" }, limit: { type: "string" } });
  const q = new URLSearchParams();
  const partner = partnerArg(values.partner);
  const since = isoArg("since", values.since);
  const until = isoArg("until", values.until);
  const limit = limitArg(values.limit);
  if (partner) q.set("partner", partner);
  if (since) q.set("since", since);
  if (until) q.set("until", until);
  if (limit) q.set("limit", String(limit));
  const res = await clientOf(values, io).call<{ dead_letters: DeadLetter[] }>("GET", `/admin/dead-letters${q.size ? `?${q}` : ""}`);
  if (values.json) {
    io.out(JSON.stringify(res, null, 2) + "\n");
    return EXIT.ok;
  }
  const t = table(["delivery", "partner", "event", "type", "attempts", "error", "since"]);
  for (const d of res.dead_letters) t.push([d.delivery_id, d.partner, d.event_id, d.event_type, d.attempts, `${dash(d.error_class)}: ${(d.reason ?? "").slice(0, 100)}`, d.created_at]);
  io.out(`${res.dead_letters.length} dead letter(s)\n${res.dead_letters.length ? t.toString() + "\n" : ""}`);
  return EXIT.ok;
};

const idList = (name: string, v: string | undefined, check: (s: string) => boolean) => {
  if (v === undefined) return undefined;
  const items = v.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0 || items.length > 10_000 || !items.every(check)) throw new CliExit(EXIT.usage, `--${name}: a comma-separated list`);
  return items;
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const replayCommand: Handler = async (args, io) => {
  const { values } = parse(args, {
    "delivery-ids": { type: "string" },
    "event-ids": { type: "string" },
    partner: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    all: { type: "boolean", default: false },
  });
  const deliveryIds = idList("delivery-ids", values["delivery-ids"], (s) => /^[1-9]\d{0,15}$/.test(s))?.map(Number);
  const eventIds = idList("event-ids", values["event-ids"], (s) => UUID.test(s));
  const partner = partnerArg(values.partner);
  let since = isoArg("since", values.since);
  const until = isoArg("until", values.until);
  if (values.all) since ??= "1970-01-01T00:00:00Z";
  if (!deliveryIds && !eventIds && !partner && !since && !until) throw new CliExit(EXIT.usage, "name what to replay: --delivery-ids, --event-ids, --partner, --since/--until, or --all");
  const client = clientOf(values, io);
  const report = (replayed: number) => {
    io.out(values.json ? JSON.stringify({ replayed }) + "\n" : `replayed ${replayed} dead deliver${replayed === 1 ? "y" : "ies"}\n`);
    return EXIT.ok;
  };
  if (deliveryIds || eventIds) {
    const res = await client.call<{ replayed: number }>("POST", "/admin/replay", { ...(deliveryIds ? { delivery_ids: deliveryIds } : {}), ...(eventIds ? { event_ids: eventIds } : {}), ...(partner ? { partner } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}) });
    return report(res.replayed);
  }
  // By partner or time: page by page (1,000 at a time) so a long replay shows its progress.
  // A replayed delivery starts over with a new creation time, so bounding the pages by the
  // sidecar's time at the start never picks up again one that died again meanwhile.
  const status = await client.call<StatusDocument>("GET", "/admin/status");
  const startedAt = status.generated_at;
  const upTo = until && Date.parse(until) < Date.parse(startedAt) ? until : startedAt;
  const estimate = partner ? (status.partners.find((p) => p.code === partner)?.deliveries.dead ?? 0) : status.deliveries.dead;
  const q = new URLSearchParams({ limit: "1000", until: upTo, ...(partner ? { partner } : {}), ...(since ? { since } : {}) });
  const bar = io.isTTY && !values.json ? new SingleBar({ format: "replaying [{bar}] {value}/{total} dead deliveries", hideCursor: true, stream: process.stderr }, Presets.shades_classic) : null;
  let replayed = 0;
  bar?.start(Math.max(estimate, 1), 0);
  try {
    for (;;) {
      const page = await client.call<{ dead_letters: DeadLetter[] }>("GET", `/admin/dead-letters?${q}`);
      if (page.dead_letters.length === 0) break;
      const res = await client.call<{ replayed: number }>("POST", "/admin/replay", { delivery_ids: page.dead_letters.map((d) => d.delivery_id), until: upTo });
      replayed += res.replayed;
      if (bar) {
        if (replayed > bar.getTotal()) bar.setTotal(replayed);
        bar.update(replayed);
      } else if (!values.json) io.err(`replayed ${replayed} so far\n`);
      if (res.replayed === 0) break;
    }
  } finally {
    if (bar) {
      bar.setTotal(Math.max(replayed, 1));
      bar.update(replayed);
      bar.stop();
    }
  }
  return report(replayed);
};

const pauseCommand =
  (action: "pause" | "resume"): Handler =>
  async (args, io) => {
    const { values, positionals } = parse(args, action === "pause" ? { reason: { type: "string" } } : {}, 1);
    const partner = partnerArg(positionals[0])!;
    const reason = (values as { reason?: string }).reason;
    if (reason !== undefined && reason.length > 200) throw new CliExit(EXIT.usage, "--reason: at most 200 characters");
    const res = await clientOf(values, io).call<{ partner: string; paused: boolean; changed: boolean; paused_by: string | null; paused_at: string | null }>(
      "POST",
      `/admin/partners/${encodeURIComponent(partner)}/${action}`,
      reason !== undefined ? { reason } : undefined,
    );
    if (values.json) io.out(JSON.stringify(res) + "\n");
    else if (action === "pause") io.out(res.changed ? `${partner} paused: its deliveries wait in the store until \`odc resume ${partner}\`\n` : `${partner} was already paused (since ${res.paused_at}, by ${res.paused_by})\n`);
    else io.out(res.changed ? `${partner} resumed: its waiting deliveries go out now\n` : `${partner} was not paused\n`);
    return EXIT.ok;
  };

interface InboundDoc {
  document_id: number;
  partner: string;
  type: string;
  subject_ref: string | null;
  status: string;
  detail: string | null;
  received_at: string;
}

const inboundCommand: Handler = async (args, io) => {
  const [sub, ...rest] = args;
  if (sub !== "quarantine") throw new CliExit(EXIT.usage, "usage: odc inbound quarantine [--partner P] [--limit N]");
  const { values } = parse(rest, { partner: { type: "string" }, limit: { type: "string" } });
  const q = new URLSearchParams();
  const partner = partnerArg(values.partner);
  const limit = limitArg(values.limit);
  if (partner) q.set("partner", partner);
  if (limit) q.set("limit", String(limit));
  const res = await clientOf(values, io).call<{ documents: InboundDoc[] }>("GET", `/admin/inbound/quarantine${q.size ? `?${q}` : ""}`);
  if (values.json) {
    io.out(JSON.stringify(res, null, 2) + "\n");
    return EXIT.ok;
  }
  const t = table(["document", "partner", "type", "about", "status", "detail", "received"]);
  for (const d of res.documents) t.push([d.document_id, d.partner, d.type, dash(d.subject_ref), d.status, (d.detail ?? "").slice(0, 100), d.received_at]);
  io.out(`${res.documents.length} quarantined document(s)\n${res.documents.length ? t.toString() + "\n" : ""}`);
  return EXIT.ok;
};

const auditCommand: Handler = async (args, io) => {
  const { values } = parse(args, { since: { type: "string" }, action: { type: "string" }, limit: { type: "string" } });
  const q = new URLSearchParams();
  const since = isoArg("since", values.since);
  const limit = limitArg(values.limit);
  if (values.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(values.action)) throw new CliExit(EXIT.usage, `--action: one of ${AUDIT_ACTIONS.join(", ")}`);
  if (since) q.set("since", since);
  if (values.action) q.set("action", values.action);
  if (limit) q.set("limit", String(limit));
  const res = await clientOf(values, io).call<{ entries: AuditEntry[] }>("GET", `/admin/audit${q.size ? `?${q}` : ""}`);
  if (values.json) {
    io.out(JSON.stringify(res, null, 2) + "\n");
    return EXIT.ok;
  }
  const t = table(["at", "actor", "action", "subject", "detail"]);
  for (const e of res.entries) t.push([e.at, e.actor, e.action, dash(e.subject), e.detail ? JSON.stringify(e.detail).slice(0, 120) : "-"]);
  io.out(`${res.entries.length} audit entr${res.entries.length === 1 ? "y" : "ies"}\n${res.entries.length ? t.toString() + "\n" : ""}`);
  return EXIT.ok;
};

const historyTable = (entries: readonly HistoryEntry[]) => {
  const t = table(["at", "what", "from → to", "cause", "actor", "attempts", "next attempt"]);
  for (const e of entries) {
    const what = e.scope === "delivery" ? `delivery ${e.delivery_id} (${dash(e.partner)})` : e.scope === "partner" ? `partner ${dash(e.partner)}` : e.scope;
    t.push([e.at, what, `${e.from ?? "-"} → ${e.to}`, (e.cause ?? "-").slice(0, 100), e.actor, dash(e.attempts), dash(e.next_attempt_at)]);
  }
  return t.toString();
};

const historyCommand: Handler = async (args, io) => {
  const hasDocument = args.some((a) => a === "--document" || a.startsWith("--document="));
  const { values, positionals } = parse(args, { document: { type: "string" } }, hasDocument ? 0 : 1);
  const client = clientOf(values, io);
  if (values.document !== undefined) {
    if (!/^[1-9]\d{0,15}$/.test(values.document)) throw new CliExit(EXIT.usage, "--document: a document id (a positive whole number)");
    const res = await client.call<DocumentHistoryView>("GET", `/admin/inbound/documents/${values.document}/history`);
    if (values.json) io.out(JSON.stringify(res, null, 2) + "\n");
    else {
      const d = res.document;
      io.out(`inbound document ${d.document_id} from ${d.partner}: ${d.type}${d.subject_ref ? ` about ${d.subject_ref}` : ""}, now ${d.status}${d.detail ? ` (${d.detail.slice(0, 120)})` : ""}\n${historyTable(res.history)}\n`);
    }
    return EXIT.ok;
  }
  const id = positionals[0]!;
  if (!UUID.test(id)) throw new CliExit(EXIT.usage, "event id: a UUID (the event's id, as in odc dead-letters)");
  const res = await client.call<EventHistoryView>("GET", `/admin/events/${id.toLowerCase()}/history`);
  if (values.json) {
    io.out(JSON.stringify(res, null, 2) + "\n");
    return EXIT.ok;
  }
  const e = res.event;
  const deliveries = res.deliveries.map((d) => `${d.partner} ${d.state} after ${d.attempts} attempt(s)${d.next_attempt_at ? `, next ${d.next_attempt_at}` : ""}`).join("; ") || "no delivery";
  io.out(
    `event ${e.id}: ${e.type} of ${e.subject} #${e.sequence} (outbox row ${e.outbox_id})\n` +
      `now: ${deliveries}; result ${e.final_state ?? "not final"}${e.result_waiting_for_odoo ? ", waiting to be recorded in Odoo" : e.recorded_in_odoo_at ? `, recorded in Odoo ${e.recorded_in_odoo_at}` : ""}\n` +
      `${historyTable(res.history)}\n`,
  );
  return EXIT.ok;
};

/** A reconciliation report as a table. */
export function renderReconcile(r: ReconcileReport): string {
  const left = Object.values(r.kinds).reduce((n, k) => n + k.left, 0);
  const found = Object.values(r.kinds).reduce((n, k) => n + k.found, 0);
  const lines = [
    `odc reconcile at ${r.ran_at}${r.dry_run ? " (dry run: nothing changed)" : ""}: ${r.error ? `FAILED: ${r.error}` : found === 0 ? "Odoo's outbox and the store agree" : r.dry_run ? `${found} mismatch(es) found` : left === 0 ? `${found} mismatch(es) found, all repaired` : `${left} of ${found} mismatch(es) left for a person`}`,
  ];
  const t = table(["mismatch", "found", r.dry_run ? "would repair" : "repaired", "left", "examples (odc history <id>)"]);
  for (const [kind, k] of Object.entries(r.kinds)) t.push([`${RECONCILE_LABELS[kind] ?? kind}\n${kind}`, k.found, r.dry_run ? "-" : k.repaired, k.left, k.sample.slice(0, 3).join("\n") || "-"]);
  lines.push(t.toString());
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join("\n") + "\n";
}

const reconcileCommand: Handler = async (args, io) => {
  const { values } = parse(args, { "dry-run": { type: "boolean", default: false } });
  const report = await clientOf(values, io).call<ReconcileReport>("POST", "/admin/reconcile", { dry_run: values["dry-run"] });
  io.out(values.json ? JSON.stringify(report, null, 2) + "\n" : renderReconcile(report));
  const left = Object.values(report.kinds).reduce((n, k) => n + k.left, 0);
  return report.error || left > 0 ? EXIT.failed : EXIT.ok;
};

export const adminCommands: Record<string, Handler> = {
  history: historyCommand,
  reconcile: reconcileCommand,
  audit: auditCommand,
  status: statusCommand,
  "dead-letters": deadLettersCommand,
  replay: replayCommand,
  pause: pauseCommand("pause"),
  resume: pauseCommand("resume"),
  inbound: inboundCommand,
};

/** Runs one admin command; every failure becomes its documented exit code and a line on stderr. */
export async function runAdminCommand(name: string, args: string[], io: Io): Promise<number> {
  const handler = adminCommands[name];
  if (!handler) return EXIT.usage;
  try {
    return await handler(args, io);
  } catch (err) {
    if (err instanceof CliExit) {
      io.err(`odc ${name}: ${err.message}\n${err.code === EXIT.usage ? `\n${ADMIN_USAGE}` : ""}`);
      return err.code;
    }
    io.err(`odc ${name}: ${(err as Error).message}\n`);
    return EXIT.failed;
  }
}
