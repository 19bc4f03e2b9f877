/**
 * The inbound store alone: what storing a received carrier webhook costs at the door, and what
 * decoding it costs afterwards, with the sidecar's InboundStore against the design before
 * migration 0006 (the unique dedupe index written at the door, by an upsert), in the same run.
 *
 *   npx tsx bench/inbound-store.ts            # print the figures
 *   npx tsx bench/inbound-store.ts --write    # also replace the "Inbound store" section of bench/README.md
 *
 * Each run stores ROWS documents (~800 B bodies) in transactions of 12 (the door's group commit
 * at ~12k webhooks/s), then decodes them all in transactions of 500 (the decode stage's batch),
 * in a new store file with the background checkpointer, as production opens it. CPU time is the
 * process's (the checkpointer thread included). Ids: EasyPost-shaped (`evt_` and 32 hex digits
 * that change from one event to the next), and sequential ones for comparison.
 * Env: BENCH_ROWS (default 100,000), BENCH_ROUNDS (default 3).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { closeStore, openStore } from "../sidecar/src/store/db.ts";
import { InboundStore, type DecodedDocument, type NewInboundDocument } from "../sidecar/src/inbound/store.ts";
import { writeReadmeSection } from "./support/readme.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DOOR_BATCH = 12;
const DECODE_BATCH = 500;
const BODY = Buffer.alloc(800, "x");

type Ids = "easypost" | "sequential";
type Design = "sidecar" | "index at the door";

function received(messageId: string, at: number): NewInboundDocument {
  return {
    partner: "EASYPOST", type: "(undecoded)", messageId, messageIdSource: "partner", messageScope: "easypost:Event:tracker.updated", eventId: null, format: "easypost",
    subjectRef: null, subjectKey: "EASYPOST|(undecoded)", testMode: false, contentType: "application/json", body: BODY, bodySha256: "", verification: "easypost_hmac",
    verificationKey: 0, receivedAt: at, occurredAt: null, event: null, status: "received", nextAttemptAt: at, detail: null,
  };
}

const decodedDoc = (id: number): DecodedDocument => ({
  id,
  doc: { type: "carrier.tracking_updated", eventId: randomUUID(), subjectRef: `TRK-${id}`, subjectKey: `EASYPOST|TRK-${id}`, testMode: false, bodySha256: "0".repeat(64), occurredAt: null, event: "{}", status: "pending", nextAttemptAt: 0, detail: null },
});

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

async function run(design: Design, ids: Ids): Promise<{ storeUs: number; decodeUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "odc-bench-inbound-store-"));
  const db = openStore(join(dir, "store.sqlite"));
  let receive: (docs: NewInboundDocument[]) => void;
  if (design === "sidecar") {
    const store = new InboundStore(db);
    receive = (docs) => void store.receive(docs);
  } else {
    // The design before migration 0006: a full unique index, and the door's upsert on it.
    const c = db.$client;
    c.exec(`DROP INDEX inbound_message_scope_uq; CREATE UNIQUE INDEX inbound_message_scope_uq ON inbound_documents (partner, message_scope, message_id)`);
    const upsert = c.prepare(
      `INSERT INTO inbound_documents (partner, type, message_id, message_id_source, message_scope, format, subject_key, content_type, body, body_sha256,
          verification, verification_key, received_at, last_received_at, status, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, 'received', ?)
       ON CONFLICT (partner, message_scope, message_id) DO UPDATE SET receipts = receipts + 1, last_received_at = excluded.last_received_at
       RETURNING id, receipts, status, event_id AS eventId`,
    );
    const tx = c.transaction((docs: NewInboundDocument[]) => {
      for (const d of docs) upsert.get(d.partner, d.type, d.messageId, d.messageIdSource, d.messageScope, d.format, d.subjectKey, d.contentType, d.body, d.verification, d.verificationKey, d.receivedAt, d.receivedAt, d.receivedAt);
    });
    receive = (docs) => tx(docs);
  }
  const prefix = randomUUID().slice(0, 8);
  let n = 0;
  const t0 = process.cpuUsage();
  while (n < ROWS) {
    const docs: NewInboundDocument[] = [];
    for (let j = 0; j < DOOR_BATCH; j++, n++) docs.push(received(ids === "easypost" ? `evt_${randomUUID().replaceAll("-", "")}` : `evt_${prefix}${n}`, n));
    receive(docs);
  }
  const storeMs = cpuMs(t0);
  // Decoding: the same update either way; in the sidecar it also enters the unique index.
  const store = new InboundStore(db);
  const t1 = process.cpuUsage();
  let decoded = 0;
  for (let rows = store.received(DECODE_BATCH); rows.length > 0; rows = store.received(DECODE_BATCH)) {
    store.decoded(rows.map((r) => decodedDoc(r.id)));
    decoded += rows.length;
  }
  const decodeMs = cpuMs(t1);
  if (decoded !== n) throw new Error(`decoded ${decoded} of ${n}`);
  await closeStore(db);
  rmSync(dir, { recursive: true, force: true });
  return { storeUs: (storeMs * 1000) / n, decodeUs: (decodeMs * 1000) / n };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const load0 = loadavg()[0]!;
const results = new Map<string, { storeUs: number[]; decodeUs: number[] }>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const ids of ["easypost", "sequential"] as const) {
    for (const design of ["index at the door", "sidecar"] as const) {
      const r = await run(design, ids);
      const key = `${ids}|${design}`;
      const acc = results.get(key) ?? { storeUs: [], decodeUs: [] };
      acc.storeUs.push(r.storeUs);
      acc.decodeUs.push(r.decodeUs);
      results.set(key, acc);
      console.log(`round ${round}, ${ids} ids, ${design}: store ${r.storeUs.toFixed(1)} µs/row, decode ${r.decodeUs.toFixed(1)} µs/row`);
    }
  }
}

const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} with \`npx tsx bench/inbound-store.ts\`: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}, 1-min load average ${load0.toFixed(2)} at start. ${ROUNDS} rounds, each storing ${ROWS.toLocaleString("en-US")} received EasyPost webhooks (~800 B bodies) in transactions of ${DOOR_BATCH} (the door's group commit at ~12k webhooks/s) into a new store file with the background checkpointer, then decoding them in transactions of ${DECODE_BATCH} (the decode stage's batch). CPU time of the process per row (checkpointer thread included), median of the rounds.`,
  "",
  "**index at the door** is the design before migration 0006: the unique dedupe index on (partner, scope, message id) written by the door's upsert. **sidecar** is InboundStore now: a received webhook is deduplicated against that index (a read) and a map of the keys still waiting to be decoded, and enters the index when decoded.",
  "",
  "| ids | design | store at the door, µs/row | decode, µs/row | both, µs/row | door: × index at the door |",
  "|---|---|---:|---:|---:|---:|",
];
for (const ids of ["easypost", "sequential"] as const) {
  const base = results.get(`${ids}|index at the door`)!;
  for (const design of ["index at the door", "sidecar"] as const) {
    const r = results.get(`${ids}|${design}`)!;
    const s = median(r.storeUs);
    const d = median(r.decodeUs);
    lines.push(`| ${ids} | ${design} | ${s.toFixed(1)} | ${d.toFixed(1)} | ${(s + d).toFixed(1)} | ${(s / median(base.storeUs)).toFixed(2)} |`);
  }
}
lines.push(
  "",
  "EasyPost's ids land anywhere in the index, so writing it costs a page per webhook wherever it happens; the sidecar moves that write from before the answer to the decode stage, where it is part of a larger transaction. Sequential ids (the inbound bench's ids before 2026-11-26) hide the cost.",
);
console.log(lines.join("\n"));
if (process.argv.includes("--write")) {
  const readme = join(root, "bench/README.md");
  writeReadmeSection(readme, "Inbound store", lines);
  console.log(`wrote the Inbound store section of ${readme}`);
}
