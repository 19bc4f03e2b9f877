import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { projectRoot } from "../lib/paths.ts";
import * as schema from "./schema.ts";

export type StoreDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database; $checkpointer?: Checkpointer };

const migrationsFolder = join(projectRoot, "sidecar/migrations");

/** Largest WAL file kept once a burst is over (SQLite's journal_size_limit, or the checkpointer's TRUNCATE). */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export interface StoreOptions {
  /**
   * Checkpoint the WAL from a worker thread (default for files): SQLite's automatic
   * checkpoint runs inside a commit, on the event loop, and its fsyncs stall every request
   * for as long as the disk takes (seconds on a busy shared disk). Off: SQLite's default.
   */
  backgroundCheckpoint?: boolean;
  /** How often the worker checkpoints. Default 200 ms. */
  checkpointIntervalMs?: number;
  /** When the background checkpointer catches up, gives up on catching up, and cuts the WAL file back (defaults: 4,096 pages, 250,000 pages, 64 MiB). */
  walLimits?: Partial<WalLimits>;
}

/**
 * Opens (or creates) the SQLite store and applies the committed migrations.
 * WAL keeps readers off the writer's back; synchronous=NORMAL survives a process crash
 * (SIGKILL) without losing a committed transaction, and Odoo's lease covers the rest.
 */
export function openStore(path: string, options: StoreOptions = {}): StoreDb {
  if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // A WAL grown by a burst is cut back to this when it starts over (files without the
  // background checkpointer; with it, the checkpointer does that once writing pauses).
  if (path === ":memory:" || options.backgroundCheckpoint === false) sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  const db = drizzle(sqlite, { schema }) as StoreDb;
  migrate(db, { migrationsFolder });
  if (path !== ":memory:" && options.backgroundCheckpoint !== false) {
    sqlite.pragma("wal_autocheckpoint = 0");
    db.$checkpointer = new Checkpointer(resolve(path), options.checkpointIntervalMs ?? 200, { ...DEFAULT_WAL_LIMITS, ...options.walLimits }, () => {
      // The worker is gone: SQLite checkpoints in commits again, nothing is lost.
      if (sqlite.open) {
        sqlite.pragma("wal_autocheckpoint = 1000");
        sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      }
    });
  }
  return db;
}

/** Stops the background checkpointer (one last checkpoint), then closes the connection. */
export async function closeStore(db: StoreDb): Promise<void> {
  await db.$checkpointer?.stop();
  db.$client.close();
}

const sqliteModule = createRequire(import.meta.url).resolve("better-sqlite3");

// The worker: its own connection to the same file. Its checkpoints never hold the writer
// (the main thread), which only ever waits on a lock in SQLite's busy handler, sleeping 1, 2,
// 5, 10, 15 ms... (a writer that meets a lock held for 2 ms wakes after 33 ms):
// - PASSIVE copies WAL pages into the database without blocking anyone.
// - Under steady writes, one pass rarely finishes everything (pages keep coming while it
//   copies), and the WAL only starts over from its beginning once a pass has. Past
//   `catchUpPages`, passes repeat, each copying what arrived during the last, until one finds
//   nothing new (commits a millisecond or more apart leave it the gap); the writer then
//   starts the WAL over by itself at its next commit. Writes with no gaps at all: past
//   `hardLimitPages`, one RESTART, which holds the writer, but with only the pages of the
//   last pass left to copy.
// - The WAL file keeps the size a burst gave it (the writer truncating it on restart would
//   stall a commit for as long as the filesystem takes); once writing has paused, a TRUNCATE
//   checkpoint, with nothing left to copy, cuts it back.
const CHECKPOINT_WORKER = `
const Database = require(${JSON.stringify(sqliteModule)});
const { statSync } = require("node:fs");
const { workerData, parentPort } = require("node:worker_threads");
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
let lastLog = -1;
let quiet = 0;
const walBytes = () => { try { return statSync(workerData.path + "-wal").size; } catch { return 0; } };
const tick = () => {
  try {
    let [r] = db.pragma("wal_checkpoint(PASSIVE)");
    if (!r) return;
    if (r.log > workerData.catchUpPages) {
      for (let i = 0; i < 50 && r.checkpointed < r.log; i++) [r] = db.pragma("wal_checkpoint(PASSIVE)");
      if (r.log > workerData.hardLimitPages) [r] = db.pragma("wal_checkpoint(RESTART)");
    }
    quiet = r.log === lastLog && r.checkpointed === r.log ? quiet + 1 : 0;
    lastLog = r.log;
    if (quiet >= 2 && walBytes() > workerData.truncateBytes) db.pragma("wal_checkpoint(TRUNCATE)");
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  tick();
  db.close();
  parentPort.postMessage("stopped");
});
`;

export interface WalLimits {
  catchUpPages: number;
  hardLimitPages: number;
  truncateBytes: number;
}

// 250,000 pages (~1 GB): a burst at the door's full speed (~25 MB of WAL a second on the
// benchmark's machine, faster than the checkpointer copies while the door takes every core)
// runs ~40 s before a RESTART holds the writer; a 50,000-page limit made a 10 s burst end in
// a 70-130 ms stall of every request (bench/README.md, "Inbound").
const DEFAULT_WAL_LIMITS: WalLimits = { catchUpPages: 4_096, hardLimitPages: 250_000, truncateBytes: WAL_SIZE_LIMIT_BYTES };

/** A worker thread that checkpoints the store's WAL off the event loop. */
export class Checkpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | null = null;
  lastError: string | null = null;

  constructor(path: string, intervalMs: number, limits: WalLimits, onExit: () => void) {
    this.worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { path, intervalMs, ...limits } });
    this.worker.unref();
    this.worker.on("message", (m: unknown) => {
      if (typeof m === "object" && m !== null && "error" in m) this.lastError = String((m as { error: unknown }).error);
    });
    this.worker.on("error", (err) => (this.lastError = err.message));
    this.worker.on("exit", onExit);
  }

  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const done = () => resolve();
      this.worker.once("exit", done);
      this.worker.once("message", (m: unknown) => {
        if (m === "stopped") void this.worker.terminate().then(done, done);
      });
      this.worker.postMessage("stop");
    });
    return this.stopped;
  }
}
