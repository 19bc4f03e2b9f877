import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { projectRoot } from "../lib/paths.ts";
import * as schema from "./schema.ts";

export type StoreDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const migrationsFolder = join(projectRoot, "sidecar/migrations");

/**
 * Opens (or creates) the SQLite store and applies the committed migrations.
 * WAL keeps readers off the writer's back; synchronous=NORMAL survives a process crash
 * (SIGKILL) without losing a committed transaction, and Odoo's lease covers the rest.
 */
export function openStore(path: string): StoreDb {
  if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder });
  return db as StoreDb;
}
