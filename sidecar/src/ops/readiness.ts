import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../lib/paths.ts";
import type { StoreDb } from "../store/db.ts";

export interface ReadyCheck {
  ok: boolean;
  reason?: string;
}

export interface Readiness {
  ready: boolean;
  /** The first failed check's reason, for a probe's log. */
  reason: string | null;
  checks: { store: ReadyCheck; migrations: ReadyCheck; odoo: ReadyCheck; shared_store?: ReadyCheck };
}

const reasonOf = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300);

/** Migrations committed with this build (drizzle's journal): tag and the time drizzle records when it applies one. */
function committedMigrations(): { tag: string; when: number }[] {
  const journal = JSON.parse(readFileSync(join(projectRoot, "sidecar/migrations/meta/_journal.json"), "utf8")) as { entries: { tag: string; when: number }[] };
  return journal.entries.map((e) => ({ tag: e.tag, when: e.when }));
}

/**
 * `GET /readyz`: the store takes a write, every committed migration is applied, and Odoo answers
 * and accepts the integration user's API key. Odoo's answer is kept `cacheMs` (default 5 s), so
 * probes every second cost Odoo one login every few seconds at most.
 */
export class ReadinessProbe {
  private odooCheck: { at: number; result: Promise<ReadyCheck> } | null = null;
  private readonly expected: { tag: string; when: number }[];

  constructor(
    private readonly db: StoreDb,
    /** Resolves when Odoo answered and authenticated the integration user; throws why not. */
    private readonly odooLogin: () => Promise<void>,
    private readonly cacheMs = 5_000,
    /** The shared (PostgreSQL) store, when there is one: resolves when it takes a write and has every migration; throws why not. */
    private readonly sharedStore?: () => Promise<void>,
  ) {
    this.expected = committedMigrations();
  }

  private store(): ReadyCheck {
    try {
      // A real write, rolled back: refused on a read-only file or a locked database.
      const c = this.db.$client;
      c.transaction(() => {
        c.prepare(`INSERT INTO partner_pauses (partner, paused_at, paused_by) VALUES (?, 0, 'readyz')`).run("\u0000readyz");
        throw new RolledBack();
      })();
      return { ok: true };
    } catch (err) {
      if (err instanceof RolledBack) return { ok: true };
      return { ok: false, reason: `store not writable: ${reasonOf(err)}` };
    }
  }

  private migrations(): ReadyCheck {
    try {
      const applied = new Set((this.db.$client.prepare(`SELECT created_at AS at FROM __drizzle_migrations`).all() as { at: number }[]).map((r) => Number(r.at)));
      const missing = this.expected.filter((m) => !applied.has(m.when));
      return missing.length === 0 ? { ok: true } : { ok: false, reason: `migrations: ${this.expected.length - missing.length} of ${this.expected.length} applied; missing ${missing.map((m) => m.tag).join(", ")}` };
    } catch (err) {
      return { ok: false, reason: `migrations: ${reasonOf(err)}` };
    }
  }

  private odoo(now: number): Promise<ReadyCheck> {
    if (!this.odooCheck || now - this.odooCheck.at >= this.cacheMs) {
      this.odooCheck = {
        at: now,
        result: this.odooLogin().then(
          () => ({ ok: true }),
          (err: unknown) => ({ ok: false, reason: `odoo: ${reasonOf(err)}` }),
        ),
      };
    }
    return this.odooCheck.result;
  }

  async check(now = Date.now()): Promise<Readiness> {
    const shared = this.sharedStore?.().then(
      (): ReadyCheck => ({ ok: true }),
      (err: unknown): ReadyCheck => ({ ok: false, reason: `shared store: ${reasonOf(err)}` }),
    );
    const checks = { store: this.store(), migrations: this.migrations(), odoo: await this.odoo(now), ...(shared ? { shared_store: await shared } : {}) };
    const failed = Object.values(checks).find((c) => !c.ok);
    return { ready: !failed, reason: failed?.reason ?? null, checks };
  }
}

class RolledBack extends Error {}
