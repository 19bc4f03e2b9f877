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

export interface StoreOptions {
  /**
   * Checkpoint the WAL from a worker thread (default for files): SQLite's automatic
   * checkpoint runs inside a commit, on the event loop, and its fsyncs stall every request
   * for as long as the disk takes (seconds on a busy shared disk). Off: SQLite's default.
   */
  backgroundCheckpoint?: boolean;
  /** How often the worker checkpoints. Default 200 ms. */
  checkpointIntervalMs?: number;
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
  // A WAL grown by a burst is cut back to this when it starts over.
  sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  const db = drizzle(sqlite, { schema }) as StoreDb;
  migrate(db, { migrationsFolder });
  if (path !== ":memory:" && options.backgroundCheckpoint !== false) {
    sqlite.pragma("wal_autocheckpoint = 0");
    db.$checkpointer = new Checkpointer(resolve(path), options.checkpointIntervalMs ?? 200, () => {
      // The worker is gone: SQLite checkpoints in commits again, nothing is lost.
      if (sqlite.open) sqlite.pragma("wal_autocheckpoint = 1000");
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

// The worker: its own connection to the same file; PASSIVE checkpoints never block the
// writer (the main thread). Past `hardLimitPages` of WAL (a write burst that never pauses)
// one RESTART checkpoint bounds the file, at the cost of briefly holding writers.
const CHECKPOINT_WORKER = `
const Database = require(${JSON.stringify(sqliteModule)});
const { workerData, parentPort } = require("node:worker_threads");
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
const tick = () => {
  try {
    const [r] = db.pragma("wal_checkpoint(PASSIVE)");
    if (r && r.log > workerData.hardLimitPages) db.pragma("wal_checkpoint(RESTART)");
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

/** A worker thread that checkpoints the store's WAL off the event loop. */
export class Checkpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | null = null;
  lastError: string | null = null;

  constructor(path: string, intervalMs: number, onExit: () => void) {
    this.worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { path, intervalMs, hardLimitPages: 50_000 } });
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
