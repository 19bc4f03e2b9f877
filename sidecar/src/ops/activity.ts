/** What the lanes did last, per partner, since this process started (fed by the dispatcher's observer). */
export interface PartnerActivityEntry {
  lastSuccessAt: number | null;
  lastErrorAt: number | null;
  lastErrorClass: string | null;
  lastError: string | null;
}

export class PartnerActivity {
  private readonly entries = new Map<string, PartnerActivityEntry>();

  private entry(partner: string): PartnerActivityEntry {
    let e = this.entries.get(partner);
    if (!e) this.entries.set(partner, (e = { lastSuccessAt: null, lastErrorAt: null, lastErrorClass: null, lastError: null }));
    return e;
  }

  attempted(partner: string, outcome: { ok: true } | { ok: false; errorClass: string; message: string }, now = Date.now()): void {
    const e = this.entry(partner);
    if (outcome.ok) e.lastSuccessAt = now;
    else {
      e.lastErrorAt = now;
      e.lastErrorClass = outcome.errorClass;
      e.lastError = outcome.message.slice(0, 300);
    }
  }

  get(partner: string): PartnerActivityEntry | undefined {
    return this.entries.get(partner);
  }
}
