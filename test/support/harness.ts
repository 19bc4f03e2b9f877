import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnv } from "../../sidecar/src/config/env.ts";
import { parsePartners, type Partner } from "../../sidecar/src/config/partners.ts";
import { createLogger } from "../../sidecar/src/lib/logger.ts";
import { Sidecar, type SidecarObserver } from "../../sidecar/src/service.ts";
import { OdooSimulator } from "../simulator/odoo.ts";
import { PartnerReceiver, type PartnerFault } from "../simulator/partner.ts";

export const NUDGE_SECRET = "nudge-secret-for-tests-0123456789";
export const PARTNER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

export interface Stack {
  odoo: OdooSimulator;
  partner: PartnerReceiver;
  sidecar: Sidecar;
  sidecarUrl: string;
  dir: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  partnerOverrides?: Record<string, unknown>;
  env?: Record<string, string>;
  fault?: (n: number, id: string) => PartnerFault | null;
  observer?: SidecarObserver;
  odooLatency?: { baseMs?: number; perRowMs?: number };
  /** fetch the sidecar uses for partner deliveries (to observe when requests leave). */
  partnerFetch?: typeof fetch;
  /** More partners after the default receiver (other formats' simulators), with the secrets their references name. */
  extraPartners?: unknown[];
  secrets?: Record<string, string>;
}

/** Simulated Odoo + a partner receiver on loopback + a real sidecar on a temporary SQLite file. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "odc-test-"));
  const odoo = new OdooSimulator({ nudgeSecret: NUDGE_SECRET, latency: options.odooLatency });
  await odoo.start();
  const partner = new PartnerReceiver([PARTNER_SECRET], options.fault);
  await partner.start();
  const env = loadEnv(odoo.sidecarSettings(NUDGE_SECRET, join(dir, "store.sqlite"), { ODC_POLL_INTERVAL_MS: "60000", ODC_LOG_LEVEL: "silent", ...options.env }));
  const partners: Partner[] = parsePartners(
    {
      partners: [
        {
          code: "WOODCORNER",
          endpoint: `${partner.url}/webhooks`,
          signing_secrets: ["env:PARTNER_SECRET"],
          subscriptions: { event_types: ["purchase_order.confirmed"] },
          ...options.partnerOverrides,
        },
        ...(options.extraPartners ?? []),
      ],
    },
    { PARTNER_SECRET, ...options.secrets },
  );
  const sidecar = new Sidecar({ env, partners, log: createLogger(env.ODC_LOG_LEVEL), observer: options.observer, ...(options.partnerFetch ? { partnerFetch: options.partnerFetch } : {}) });
  const port = await sidecar.start();
  const sidecarUrl = `http://127.0.0.1:${port}`;
  odoo.sidecarUrl = sidecarUrl;
  return {
    odoo,
    partner,
    sidecar,
    sidecarUrl,
    dir,
    async stop() {
      await sidecar.stop(1_000);
      await partner.stop();
      await odoo.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls a condition (tests never assert wall-clock times; this only bounds the wait). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function demoLines() {
  return [
    { product_code: "FURN_7800", vendor_product_code: "WC-DESK-CMB", description: "[FURN_7800] Desk Combination", quantity: 3, uom: "C62", unit_price: 450 },
    { product_code: "FURN_0001", vendor_product_code: null, description: "Wood panel, oak", quantity: 22.5, uom: "KGM", unit_price: 10 },
  ];
}
