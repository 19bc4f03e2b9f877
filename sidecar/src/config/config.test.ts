import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadEnv } from "./env.ts";
import { parsePartners, partnersFor } from "./partners.ts";
import { OUTBOUND_EVENT_TYPES } from "./formats.ts";
import { INBOUND_EVENT_TYPES } from "../partners/registry.ts";
import { contractsDir } from "../partners/test-support/fixtures.ts";

const base = {
  ODOO_URL: "http://127.0.0.1:8069",
  ODOO_DB: "prod",
  ODOO_USER: "connector",
  ODOO_API_KEY: "k",
  ODC_NUDGE_SECRET: "0123456789abcdef0123",
  ODC_PARTNERS_FILE: "/etc/odc/partners.json",
};
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const partner = (over: Record<string, unknown> = {}) => ({ code: "ACME", endpoint: "https://acme.example/hooks", signing_secrets: ["env:S"], subscriptions: { event_types: ["purchase_order.confirmed"] }, ...over });

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("environment", () => {
  it("applies documented defaults", () => {
    const env = loadEnv(base);
    expect(env).toMatchObject({ ODC_PORT: 8787, ODC_HOST: "127.0.0.1", ODC_CLAIM_BATCH: 500, ODOO_CONCURRENCY: 4, ODC_POLL_INTERVAL_MS: 5000, ODC_LOG_SYNC: false });
    expect(loadEnv({ ...base, ODC_LOG_SYNC: "true" }).ODC_LOG_SYNC).toBe(true);
    expect(loadEnv({ ...base, ODC_LOG_SYNC: "1" }).ODC_LOG_SYNC).toBe(true);
  });

  it.each([
    ["ODOO_URL", { ODOO_URL: undefined }, "required, but not set"],
    ["ODOO_URL", { ODOO_URL: "ftp://x" }, ""],
    ["ODC_PORT", { ODC_PORT: "70000" }, ""],
    ["ODC_PORT", { ODC_PORT: "eighty" }, ""],
    ["ODC_NUDGE_SECRET", { ODC_NUDGE_SECRET: "short" }, "at least 16"],
    ["ODC_CLAIM_BATCH", { ODC_CLAIM_BATCH: "0" }, ""],
    ["ODC_LOG_SYNC", { ODC_LOG_SYNC: "yes" }, ""],
    ["ODC_LOG_LEVEL", { ODC_LOG_LEVEL: "loud" }, ""],
  ])("names %s when it is wrong", (field, change, text) => {
    const issues = issuesOf(() => loadEnv({ ...base, ...change }));
    expect(issues.some((i) => i.startsWith(`${field}:`) && i.includes(text))).toBe(true);
  });
});

describe("partners file", () => {
  it("resolves secrets from the environment and fills defaults", () => {
    const [p] = parsePartners({ partners: [partner()] }, { S: SECRET });
    expect(p!.signingSecrets).toEqual([SECRET]);
    expect(p!.limits.rate).toEqual({ requests: 20, per_ms: 1000 });
    expect(p!.retry.schedule_ms[0]).toBe(5000);
  });

  it.each([
    ["an inline secret", { signing_secrets: [SECRET] }, "signing_secrets.0"],
    ["an unset secret variable", { signing_secrets: ["env:NOPE"] }, "NOPE is not set"],
    ["a bad endpoint", { endpoint: "not a url" }, "partners.0.endpoint"],
    ["an unknown key", { colour: "red" }, "partners.0"],
    ["a bad code", { code: "no spaces" }, "partners.0.code"],
    ["no event types", { subscriptions: { event_types: [] } }, "partners.0.subscriptions.event_types"],
  ])("refuses %s, naming the field", (_name, over, text) => {
    const issues = issuesOf(() => parsePartners({ partners: [partner(over)] }, { S: SECRET }));
    expect(issues.join("\n")).toContain(text);
    expect(issues.join("\n")).toContain("ODC_PARTNERS_FILE");
    expect(issues.join("\n")).not.toContain(SECRET);
  });

  it("refuses a secret that is not a Standard Webhooks secret", () => {
    expect(issuesOf(() => parsePartners({ partners: [partner()] }, { S: "plain" })).join()).toContain("whsec_");
  });

  it("takes a partner's own attention bounds, and refuses bad ones with the path", () => {
    const [p] = parsePartners({ partners: [partner({ attention: { acknowledge_within_ms: 3_600_000 } })] }, { S: SECRET });
    expect(p!.attention).toEqual({ acknowledge_within_ms: 3_600_000 });
    expect(parsePartners({ partners: [partner()] }, { S: SECRET })[0]!.attention).toBeUndefined();
    expect(issuesOf(() => parsePartners({ partners: [partner({ attention: { acknowledge_within_ms: 0 } })] }, { S: SECRET })).join()).toMatch(/attention\.acknowledge_within_ms/);
    expect(issuesOf(() => parsePartners({ partners: [partner({ attention: { milestone_within_ms: "1h" } })] }, { S: SECRET })).join()).toMatch(/attention\.milestone_within_ms/);
    expect(issuesOf(() => parsePartners({ partners: [partner({ attention: { ack_ms: 5 } })] }, { S: SECRET })).join()).toMatch(/attention.*ack_ms|ack_ms/);
  });

  it("refuses duplicate partner codes", () => {
    expect(issuesOf(() => parsePartners({ partners: [partner(), partner()] }, { S: SECRET })).join()).toContain("duplicate partner code ACME");
  });

  it("routes by event type and the vendor's partner code", () => {
    const partners = parsePartners(
      { partners: [partner(), partner({ code: "HUB", subscriptions: { event_types: ["purchase_order.confirmed"], partner_codes: ["*"] } }), partner({ code: "OTHER" })] },
      { S: SECRET },
    );
    const ev = (code: string | null, type = "purchase_order.confirmed") => ({ type, data: { vendor: { partner_code: code } } });
    expect(partnersFor(partners, ev("ACME")).map((p) => p.code)).toEqual(["ACME", "HUB"]);
    expect(partnersFor(partners, ev(null)).map((p) => p.code)).toEqual(["HUB"]);
    expect(partnersFor(partners, ev("ACME", "stock.adjusted")).map((p) => p.code)).toEqual([]);
  });
});

const cxmlSection = {
  from: { domain: "NetworkID", identity: "AN01" },
  to: { domain: "DUNS", identity: "123" },
  shared_secret: "env:CX",
  bill_to: { name: "YourCompany", street: ["1 Main St"], city: "Brussels", country: "BE" },
};
const ublSection = { buyer: { endpoint_id: "5798000000001", endpoint_scheme: "0088", name: "YourCompany" }, seller: { endpoint_id: "5798000000002", endpoint_scheme: "0088" } };
const formatPartner = (over: Record<string, unknown>) => {
  const { signing_secrets: _unused, ...rest } = partner();
  return { ...rest, ...over };
};
const ENV = { S: SECRET, CX: "cxml-secret", EP: "EZAK-key", TOK: "bearer-token" };

describe("partners file: what each format sends", () => {
  it("resolves each format's section into its adapter's options, secrets included", () => {
    const [c, u, b, e] = parsePartners(
      {
        partners: [
          formatPartner({ code: "C", format: "cxml", cxml: cxmlSection, subscriptions: { event_types: ["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"] } }),
          formatPartner({ code: "U", format: "ubl", ubl: ublSection, signing_secrets: ["env:S"] }),
          formatPartner({ code: "B", format: "ubl", ubl: { ...ublSection, auth: "bearer", bearer_token: "env:TOK" } }),
          formatPartner({ code: "E", format: "easypost", easypost: { api_key: "env:EP", carrier_accounts: ["ca_1"], service: "Ground" }, subscriptions: { event_types: ["shipment.ready"] } }),
        ],
      },
      ENV,
    );
    expect(c!.wire).toMatchObject({ format: "cxml", options: { sharedSecret: "cxml-secret", deploymentMode: "production", billTo: { name: "YourCompany", street: ["1 Main St"] } } });
    expect(u!.wire).toMatchObject({ format: "ubl", auth: { scheme: "standard_webhooks", secrets: [SECRET] }, options: { buyer: { endpointId: "5798000000001", name: "YourCompany" } } });
    expect(b!.wire).toMatchObject({ format: "ubl", auth: { scheme: "bearer", token: "bearer-token" } });
    expect(e!.wire).toEqual({ format: "easypost", apiKey: "EZAK-key", options: { carrierAccountIds: ["ca_1"], service: "Ground" } });
  });

  it.each([
    ["an event type the format cannot send", { format: "easypost", easypost: { api_key: "env:EP" }, subscriptions: { event_types: ["purchase_order.confirmed"] } }, "partner ACME: format easypost cannot send purchase_order.confirmed (it sends shipment.ready)"],
    ["batched delivery of a one-event format", { format: "cxml", cxml: cxmlSection, delivery: { mode: "batched", max_events: 10, max_wait_ms: 1000 } }, "partner ACME: format cxml carries one event per request"],
    ["a cXML partner without its section", { format: "cxml" }, "partners.0.cxml: required with endpoint, subscriptions, cxml (format cxml)"],
    ["a section of another format", { format: "cxml", cxml: cxmlSection, easypost: { api_key: "env:EP" } }, "partners.0.easypost: only for format easypost"],
    ["signing secrets a format does not use", { format: "cxml", cxml: cxmlSection, signing_secrets: ["env:S"] }, "partners.0.signing_secrets: not used by format cxml"],
    ["Standard-Webhooks UBL without signing secrets", { format: "ubl", ubl: ublSection }, "partners.0.signing_secrets: required with endpoint, subscriptions, signing_secrets, ubl (format ubl)"],
    ["a bearer UBL without its token", { format: "ubl", ubl: { ...ublSection, auth: "bearer" } }, "partners.0.ubl.bearer_token: required with auth bearer"],
    ["an inline cXML secret", { format: "cxml", cxml: { ...cxmlSection, shared_secret: "plain" } }, "partners.0.cxml.shared_secret"],
    ["an unset API key variable", { format: "easypost", easypost: { api_key: "env:NOPE" }, subscriptions: { event_types: ["shipment.ready"] } }, "NOPE is not set"],
    ["a bad carrier account", { format: "easypost", easypost: { api_key: "env:EP", carrier_accounts: ["DHL"] }, subscriptions: { event_types: ["shipment.ready"] } }, "partners.0.easypost.carrier_accounts.0"],
    ["a bad country", { format: "cxml", cxml: { ...cxmlSection, bill_to: { ...cxmlSection.bill_to, country: "Belgium" } } }, "partners.0.cxml.bill_to.country"],
  ])("refuses %s, naming partner, format and field", (_name, over, text) => {
    const issues = issuesOf(() => parsePartners({ partners: [formatPartner(over)] }, ENV));
    expect(issues.join("\n")).toContain(text);
  });

  it("order content options: bill-to optional (the event has the company's), extrinsics, units from the inbound section unless set", () => {
    const { bill_to: _billTo, ...noBillTo } = cxmlSection;
    const inbound = { format: "cxml", verification: { scheme: "cxml_shared_secret", secrets: ["env:CX"] }, units: { standard: "x12" } };
    const [c, own, u] = parsePartners(
      {
        partners: [
          formatPartner({ code: "C", format: "cxml", cxml: { ...noBillTo, bill_to_address_id: "ACME-BILL-1", extrinsics: [{ name: "Incoterm", field: "incoterm" }, { name: "Channel", value: "odoo" }] }, inbound }),
          formatPartner({ code: "O", format: "cxml", cxml: { ...cxmlSection, units: { standard: "rec20", overrides: { EACH: "C62" } } }, inbound }),
          formatPartner({ code: "U", format: "ubl", signing_secrets: ["env:S"], ubl: { ...ublSection, delivery_location_scheme: "0088", classification_list_ids: { UNSPSC: "TST" }, cancellation_note: "cancelled by buyer" } }),
        ],
      },
      ENV,
    );
    expect(c!.wire).toMatchObject({ format: "cxml", options: { billToAddressId: "ACME-BILL-1", extrinsics: [{ name: "Incoterm", field: "incoterm" }, { name: "Channel", value: "odoo" }], units: { standard: "x12" } } });
    expect((c!.wire as { options: { billTo?: unknown } }).options.billTo).toBeUndefined();
    expect(own!.wire).toMatchObject({ options: { units: { standard: "rec20", overrides: { EACH: "C62" } } } });
    expect(u!.wire).toMatchObject({ options: { deliveryLocationScheme: "0088", classificationListIds: { UNSPSC: "TST" }, cancellationNote: "cancelled by buyer" } });
    expect(issuesOf(() => parsePartners({ partners: [formatPartner({ format: "cxml", cxml: { ...cxmlSection, extrinsics: [{ name: "X", field: "password" }] } })] }, ENV)).join("\n")).toContain("partners.0.cxml.extrinsics.0");
  });

  it("a canonical partner sends any event type, batched or not", () => {
    const [p] = parsePartners({ partners: [partner({ subscriptions: { event_types: ["stock.adjusted", "shipment.ready"] }, delivery: { mode: "batched", max_events: 5, max_wait_ms: 10 } })] }, ENV);
    expect(p!.wire).toEqual({ format: "canonical", secrets: [SECRET] });
  });
});

describe("event types", () => {
  it("the backbone's outbound list is exactly the contract's events that are not inbound", () => {
    const contract = readdirSync(join(contractsDir, "events")).map((f) => f.replace(".schema.json", ""));
    expect([...OUTBOUND_EVENT_TYPES].sort()).toEqual(contract.filter((t) => !(INBOUND_EVENT_TYPES as readonly string[]).includes(t)).sort());
  });
});

describe("odc serve with bad configuration", () => {
  const root = resolve(import.meta.dirname, "../../..");
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [join(root, "bin/odc.mjs"), "serve"], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 20_000 });

  it("stops with a message naming a missing setting", () => {
    const { ODOO_API_KEY: _, ...rest } = base;
    const r = run(rest);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("ODOO_API_KEY: required, but not set");
  });

  it("stops with a message naming a malformed partners file", () => {
    const dir = mkdtempSync(join(tmpdir(), "odc-cfg-"));
    const file = join(dir, "partners.json");
    writeFileSync(file, "{ not json");
    const r = run({ ...base, ODC_PARTNERS_FILE: file });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("ODC_PARTNERS_FILE");
    expect(r.stderr).toContain("not valid JSON");
  });
});
