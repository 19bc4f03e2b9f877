import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeStore, openStore } from "./db.ts";

const dir = mkdtempSync(join(tmpdir(), "odc-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const walBytes = (path: string) => {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("background checkpointer", () => {
  it("keeps the WAL bounded under writes that never pause, and cuts the file back once they do", async () => {
    const path = join(dir, "store.sqlite");
    const db = openStore(path, { checkpointIntervalMs: 20, walLimits: { catchUpPages: 128, hardLimitPages: 2_000, truncateBytes: 256 * 1024 } });
    db.$client.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    const insert = db.$client.prepare("INSERT INTO blobs (b) VALUES (?)");
    const row = Buffer.alloc(6000, 7);
    // A commit about every millisecond, as the inbound group commit makes them, for ~1.5 s: ~24 MB of pages.
    let written = 0;
    let largestWal = 0;
    const started = performance.now();
    while (performance.now() - started < 1_500) {
      db.$client.transaction(() => {
        for (let i = 0; i < 4; i++) insert.run(row);
      })();
      written += 4 * row.length;
      largestWal = Math.max(largestWal, walBytes(path));
      await sleep(1);
    }
    expect(written).toBeGreaterThan(8 * 1024 * 1024);
    // Unchecked, the WAL would hold everything written; catch-up passes, then a RESTART past
    // the hard limit (2,000 pages, 8 MB), start it over.
    expect(largestWal).toBeLessThan(written / 2);
    // Writing paused: the file goes back under the limit (TRUNCATE with nothing left to copy).
    for (let i = 0; i < 100 && walBytes(path) > 256 * 1024; i++) await sleep(50);
    expect(walBytes(path)).toBeLessThanOrEqual(256 * 1024);
    expect((db.$client.prepare("SELECT count(*) AS n FROM blobs").get() as { n: number }).n * row.length).toBe(written);
    await closeStore(db);
  });
});
