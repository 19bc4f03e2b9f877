import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { hostname } from "node:os";

/** The addon's bounds (contracts/odoo-rpc.md, claim_batch). */
export const CONSUMER_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const GENERATION_MAX = 2 ** 31 - 1;

/**
 * Who claims from Odoo's outbox: a replica's stable identity and which of its lives is
 * calling. Rows leased under an earlier generation of the same consumer are claimed again at
 * once (contracts/odoo-rpc.md), so a replica killed after Odoo committed a claim, or whose
 * claim answer was lost, takes those rows back on its next claim instead of waiting for the
 * lease to run out.
 *
 * Both live in a small file next to the store (`<store>.consumer.json`): the store is what
 * makes a replica the same one after a restart. The generation goes up at every start and
 * after every claim whose answer may have been lost; it is written (fsync, rename) before
 * the claim that uses it, so it never goes back.
 */
export class ConsumerIdentity {
  private constructor(
    readonly consumer: string,
    private current: number,
    private readonly file: string | null,
  ) {}

  /** The identity of the replica whose store is `dbPath`, one generation further than its last start. */
  static start(dbPath: string, override?: string): ConsumerIdentity {
    const file = dbPath && dbPath !== ":memory:" && !dbPath.startsWith("file::memory:") ? `${dbPath}.consumer.json` : null;
    let saved: { consumer?: unknown; generation?: unknown } = {};
    if (file) {
      try {
        saved = JSON.parse(readFileSync(file, "utf8")) as typeof saved;
      } catch {
        saved = {};
      }
    }
    const savedConsumer = typeof saved.consumer === "string" && CONSUMER_RE.test(saved.consumer) ? saved.consumer : null;
    const consumer = override ?? savedConsumer ?? newConsumerId();
    const last = Number.isInteger(saved.generation) && (saved.generation as number) >= 0 && (saved.generation as number) < GENERATION_MAX ? (saved.generation as number) : 0;
    const identity = new ConsumerIdentity(consumer, last, file);
    identity.next();
    return identity;
  }

  get generation(): number {
    return this.current;
  }

  /**
   * Rows leased to this consumer under `generation` (or earlier) are not in the store
   * (reconciliation found them): the next claim, a generation past it, takes them back.
   */
  advancePast(generation: number): void {
    if (generation < this.current) return;
    this.current = Math.min(generation, GENERATION_MAX - 1);
    this.next();
  }

  /** A claim's answer may have been lost: the next claim takes its rows back. */
  next(): void {
    this.current = this.current >= GENERATION_MAX ? 1 : this.current + 1;
    if (this.file) writeDurably(this.file, JSON.stringify({ consumer: this.consumer, generation: this.current }));
  }
}

function newConsumerId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64) || "host";
  return `odc-${host}-${randomBytes(4).toString("hex")}`;
}

function writeDurably(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
