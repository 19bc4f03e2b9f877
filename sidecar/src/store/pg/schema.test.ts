import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as sqlite from "../schema.ts";
import * as pg from "./schema.ts";

/** The two dialects' schemas name the same tables, columns and indexes; PostgreSQL adds only what sharing needs. */
const PG_ONLY_COLUMNS: Record<string, string[]> = {
  events: ["report_leased_by", "report_lease_until"],
  deliveries: ["leased_by", "lease_until"],
  inbound_documents: ["leased_by", "lease_until"],
};
const PG_ONLY_INDEXES: Record<string, string[]> = { deliveries: ["deliveries_delivered_subject_idx", "deliveries_event_idx"], delivery_transitions: ["delivery_transitions_event_idx"] };
/** The SQLite store finds an event's history through its outbox row (see store/schema.ts); PostgreSQL by event id. */
const SQLITE_ONLY_COLUMNS: Record<string, string[]> = { delivery_transitions: ["outbox_id"] };
const SQLITE_ONLY_INDEXES: Record<string, string[]> = { delivery_transitions: ["delivery_transitions_outbox_idx", "delivery_transitions_orphan_idx"] };
const PG_ONLY_TABLES = ["partner_slots", "partner_breakers"];

const tables = ["events", "deliveries", "inboundDocuments", "partnerPauses", "auditLog", "deliveryTransitions", "inboundTransitions"] as const;

describe("PostgreSQL schema", () => {
  it.each(tables)("%s has the SQLite table's columns and indexes", (name) => {
    const s = sqliteConfig(sqlite[name]);
    const p = pgConfig(pg[name]);
    expect(p.name).toBe(s.name);
    const pgOnly = PG_ONLY_COLUMNS[p.name] ?? [];
    expect(p.columns.map((c) => c.name).filter((c) => !pgOnly.includes(c)).sort()).toEqual(s.columns.map((c) => c.name).filter((c) => !(SQLITE_ONLY_COLUMNS[s.name] ?? []).includes(c)).sort());
    for (const c of s.columns.filter((x) => !(SQLITE_ONLY_COLUMNS[s.name] ?? []).includes(x.name))) expect(p.columns.find((x) => x.name === c.name)!.notNull, `${p.name}.${c.name} NOT NULL`).toBe(c.notNull);
    const pgIdx = p.indexes.map((i) => i.config.name).filter((n) => !(PG_ONLY_INDEXES[p.name] ?? []).includes(n!));
    expect(pgIdx.sort()).toEqual(s.indexes.map((i) => i.config.name).filter((n) => !(SQLITE_ONLY_INDEXES[s.name] ?? []).includes(n!)).sort());
  });

  it("has only the shared partner state as tables of its own", () => {
    const names = Object.values(pg).map((t) => pgConfig(t as Parameters<typeof pgConfig>[0]).name);
    expect(names.filter((n) => !tables.some((t) => sqliteConfig(sqlite[t]).name === n)).sort()).toEqual([...PG_ONLY_TABLES].sort());
  });
});
