import { mkdtempSync, readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, closeStore } from "../sidecar/src/store/db.ts";
import { InboundStore } from "../sidecar/src/store/inbound.ts";
const body = Buffer.alloc(800, 97);
async function run(label: string, idOf: (n: number) => string, pragmas: string[] = [], rows = 100000, batch = 12) {
  const file = join(mkdtempSync(join(tmpdir(), "mb-")), "s.db");
  const ps = pragmas.find((p) => p.startsWith("page_size"));
  if (ps) { const D = (await import("better-sqlite3")).default; const d = new D(file); d.pragma(ps); d.exec("CREATE TABLE x(a); DROP TABLE x"); d.close(); }
  pragmas = pragmas.filter((p) => !p.startsWith("page_size"));
  const db = openStore(file);
  for (const p of pragmas) db.$client.pragma(p);
  const store = new InboundStore(db);
  let n = 0;
  const t0 = process.cpuUsage(); const w0 = performance.now();
  for (let i = 0; i < rows / batch; i++) {
    const docs = [];
    for (let j = 0; j < batch; j++) {
      const now = Date.now();
      docs.push({ partner: "easypost", type: "(undecoded)", messageId: idOf(n++), messageIdSource: "partner", messageScope: "easypost:Event:tracker.updated", eventId: null, format: "easypost", subjectRef: null, subjectKey: "easypost|(undecoded)", testMode: false, contentType: "application/json", body, bodySha256: "", verification: "hmac_sha256_hex", verificationKey: 0, receivedAt: now, occurredAt: null, event: null, status: "received", nextAttemptAt: now, detail: null } as any);
    }
    store.receive(docs);
  }
  const c = process.cpuUsage(t0);
  const walPages = db.$client.pragma("wal_checkpoint(PASSIVE)") as any;
  console.log(label, ((c.user + c.system) / rows).toFixed(2), "us/row cpu", ((performance.now() - w0) * 1000 / rows).toFixed(2), "us/row wall", JSON.stringify(walPages));
  await closeStore(db);
}
for (let r = 0; r < 2; r++) {
  const rnd = () => `evt_${randomUUID().replace(/-/g, "")}`;
  await run("random          ", rnd);
  await run("random ps2048   ", rnd, ["page_size = 2048"]);
  await run("random ps1024   ", rnd, ["page_size = 1024"]);
  await run("random ps8192   ", rnd, ["page_size = 8192"]);
  await run("seq ps2048      ", (n) => `evt_${String(n).padStart(32, "0")}`, ["page_size = 2048"]);
}
