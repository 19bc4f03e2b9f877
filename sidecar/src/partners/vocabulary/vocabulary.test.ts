import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot, readFixture, partnerFixturesDir } from "../test-support/fixtures.ts";
import { parseXml } from "../xml/safe-xml.ts";
import {
  CXML_CONFIRMATION_HEADER,
  CXML_CONFIRMATION_STATUS,
  cxmlConfirmationHeader,
  cxmlConfirmationStatus,
  orderStatusFromLines,
  ublLineStatusCode,
  ublOrderResponseCode,
  type LineAckStatus,
} from "./acknowledgement.ts";
import { aftershipStatus, easypostStatus, SHIPMENT_STATUSES, shipengineStatus, shippoStatus } from "./shipment-status.ts";
import { convertMeasure, ODOO_NAME_TO_REC20, ODOO_XMLID_TO_REC20, odooUnitFromRec20, REC20_UNITS, rec20FromOdoo, unitForPartner, unitFromPartner, X12_TO_REC20 } from "./units.ts";

function codeListIds(file: string): string[] {
  const parsed = parseXml(readFixture(file));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.document.root.children.filter((c) => c.name === "Code").map((c) => c.children.find((x) => x.name === "Id")!.text.trim());
}

describe("Peppol code lists are fully known", () => {
  it("every UNCL1229 LineStatusCode in the Peppol code list file maps to a line status", () => {
    const ids = codeListIds("ubl/codelist_UNCL1229_LineStatusCode.xml");
    expect(ids).toEqual(["1", "3", "5", "7", "42"]);
    for (const id of ids) expect(ublLineStatusCode(id)).toMatchObject({ ok: true });
  });

  it("every UNCL4343-T76 OrderResponseCode in the Peppol code list file maps to an order status", () => {
    const ids = codeListIds("ubl/codelist_UNCL4343-T76_OrderResponseCode.xml");
    expect(ids).toEqual(["AB", "AP", "RE", "CA"]);
    for (const id of ids) expect(ublOrderResponseCode(id)).toMatchObject({ ok: true });
  });

  it("every ShipEngine status_code in the public JSON schema (lower case) maps to a canonical status", () => {
    const schema = JSON.parse(readFileSync(join(partnerFixturesDir, "webhooks/shipengine/jsonschema_get_tracking_log_response_body.json"), "utf8"));
    const codes: string[] = schema.allOf[0].properties.status_code.allOf[0].enum;
    expect(codes.length).toBeGreaterThan(5);
    for (const code of codes) expect(shipengineStatus(code)).toMatchObject({ ok: true });
  });
});

describe("acknowledgement vocabulary", () => {
  it.each([
    ["AB", { kind: "fixed", status: "acknowledged_only" }],
    ["AP", { kind: "fixed", status: "accepted" }],
    ["RE", { kind: "fixed", status: "rejected" }],
    // legacy UNCL1225 numbers from the Peppol prose guide
    ["12", { kind: "fixed", status: "acknowledged_only" }],
    ["29", { kind: "fixed", status: "accepted" }],
    ["27", { kind: "fixed", status: "rejected" }],
    ["30", { kind: "from_lines" }],
  ])("OrderResponseCode %s", (code, rule) => {
    expect(ublOrderResponseCode(code)).toMatchObject({ ok: true, value: rule });
  });

  it.each([["1", "added"], ["3", "changed"], ["5", "accepted"], ["7", "rejected"], ["42", "accepted"]])("LineStatusCode %s → %s", (code, status) => {
    expect(ublLineStatusCode(code)).toEqual({ ok: true, value: status });
  });

  it("knows every cXML header and status type of Fulfill.dtd 1.2.063, and refuses the invalid `rejected`", () => {
    expect(Object.keys(CXML_CONFIRMATION_HEADER).sort()).toEqual(["accept", "allDetail", "backordered", "detail", "except", "reject", "replace", "requestToPay"]);
    expect(Object.keys(CXML_CONFIRMATION_STATUS).sort()).toEqual(["accept", "allDetail", "backordered", "detail", "reject", "requestToPay", "unknown"]);
    expect(cxmlConfirmationHeader("rejected")).toMatchObject({ ok: false, list: "cXML ConfirmationHeader@type", code: "rejected" });
    expect(cxmlConfirmationStatus("accepted").ok).toBe(false);
  });

  it.each<[string, string, LineAckStatus[], string]>([
    ["detail, all lines accepted", "detail", ["accepted", "accepted"], "accepted"],
    ["detail, 6 accepted + 4 backordered", "detail", ["accepted", "backordered"], "partially_accepted"],
    ["detail, a price change", "detail", ["accepted", "changed"], "changed"],
    ["detail, everything rejected", "detail", ["rejected"], "rejected"],
    ["detail, no lines listed", "detail", [], "acknowledged_only"],
    ["except, listed line rejected", "except", ["rejected"], "partially_accepted"],
    ["except, nothing listed", "except", [], "accepted"],
    ["backordered header", "backordered", ["backordered"], "backordered"],
    ["detail, only unknown", "detail", ["unknown"], "acknowledged_only"],
    ["detail, rejected and backordered", "detail", ["rejected", "backordered"], "backordered"],
  ])("order status: %s", (_name, header, portions, expected) => {
    const rule = cxmlConfirmationHeader(header);
    if (!rule.ok) throw new Error(rule.message);
    expect(orderStatusFromLines(rule.value, portions)).toBe(expected);
  });

  it("does not hit Object.prototype for hostile codes", () => {
    for (const code of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(ublLineStatusCode(code).ok).toBe(false);
      expect(cxmlConfirmationHeader(code).ok).toBe(false);
      expect(unitFromPartner(code).ok).toBe(false);
      expect(easypostStatus(code).ok).toBe(false);
    }
  });
});

describe("shipment status tables (FORMATS.md §5)", () => {
  it.each([
    ["unknown", "unknown"], ["pre_transit", "pre_transit"], ["in_transit", "in_transit"], ["out_for_delivery", "out_for_delivery"],
    ["available_for_pickup", "available_for_pickup"], ["delivered", "delivered"], ["return_to_sender", "returned"],
    ["failure", "exception"], ["error", "exception"], ["cancelled", "cancelled"],
  ])("EasyPost %s → %s", (code, status) => expect(easypostStatus(code)).toEqual({ ok: true, value: status }));

  it.each([
    ["UNKNOWN", null, "unknown"], ["PRE_TRANSIT", null, "pre_transit"], ["TRANSIT", null, "in_transit"],
    ["TRANSIT", "out_for_delivery", "out_for_delivery"], ["DELIVERED", "out_for_delivery", "delivered"],
    ["DELIVERED", null, "delivered"], ["RETURNED", null, "returned"], ["FAILURE", null, "exception"],
    ["TRANSIT", "some_unverified_substatus", "in_transit"],
  ])("Shippo %s / %s → %s", (code, sub, status) => expect(shippoStatus(code, sub)).toEqual({ ok: true, value: status }));

  it.each([
    ["UN", "unknown"], ["NY", "unknown"], ["AC", "pre_transit"], ["IT", "in_transit"], ["DE", "delivered"],
    ["EX", "exception"], ["AT", "attempt_failed"], ["SP", "available_for_pickup"], ["de", "delivered"],
  ])("ShipEngine %s → %s", (code, status) => expect(shipengineStatus(code)).toEqual({ ok: true, value: status }));

  it.each([
    ["Pending", null, "unknown"], ["Expired", null, "unknown"], ["InfoReceived", null, "pre_transit"], ["InTransit", null, "in_transit"],
    ["OutForDelivery", null, "out_for_delivery"], ["AvailableForPickup", null, "available_for_pickup"], ["Delivered", null, "delivered"],
    ["AttemptFail", null, "attempt_failed"], ["Exception", null, "exception"], ["Exception", "Exception_010", "returned"],
    ["Exception", "Exception_011", "returned"], ["Delivered", "Exception_011", "delivered"],
  ])("AfterShip %s / %s → %s", (tag, subtag, status) => expect(aftershipStatus(tag, subtag)).toEqual({ ok: true, value: status }));

  it("reports an unknown carrier code instead of guessing", () => {
    expect(easypostStatus("lost_in_space")).toMatchObject({ ok: false, list: "EasyPost tracker status", message: 'unknown EasyPost tracker status "lost_in_space"' });
    expect(shippoStatus("MAYBE").ok).toBe(false);
    expect(shipengineStatus("ZZ").ok).toBe(false);
    expect(aftershipStatus("intransit").ok).toBe(false);
  });

  it("every table maps only into the canonical set", () => {
    const all = new Set<string>(SHIPMENT_STATUSES);
    for (const lookup of [easypostStatus("delivered"), shippoStatus("RETURNED"), shipengineStatus("AT"), aftershipStatus("Expired")]) {
      expect(lookup.ok && all.has(lookup.value)).toBe(true);
    }
  });
});

describe("units of measure", () => {
  it("every Odoo unit the addon knows maps to a Rec 20 code we accept, and back", () => {
    for (const [xmlid, code] of Object.entries(ODOO_XMLID_TO_REC20)) {
      expect(REC20_UNITS[code], code).toBeDefined();
      expect(odooUnitFromRec20(code)).toEqual({ ok: true, value: xmlid });
    }
    for (const code of Object.values(ODOO_NAME_TO_REC20)) expect(REC20_UNITS[code], code).toBeDefined();
    expect(rec20FromOdoo({ name: " Units " })).toEqual({ ok: true, value: "C62" });
    expect(rec20FromOdoo({ xmlid: "uom.product_uom_kgm" })).toEqual({ ok: true, value: "KGM" });
  });

  it("one-item aliases (EA, H87, NAR) all land on Odoo Units", () => {
    for (const code of ["C62", "EA", "H87", "NAR"]) expect(odooUnitFromRec20(code)).toEqual({ ok: true, value: "uom.product_uom_unit" });
  });

  it("X12 codes map to known Rec 20 codes, and C62 goes out as EA", () => {
    for (const [x12, rec20] of Object.entries(X12_TO_REC20)) {
      expect(REC20_UNITS[rec20], `${x12}→${rec20}`).toBeDefined();
      expect(unitFromPartner(x12, { standard: "x12" })).toEqual({ ok: true, value: rec20 });
    }
    expect(unitForPartner("C62", { standard: "x12" })).toEqual({ ok: true, value: "EA" });
    expect(unitFromPartner("PC", { standard: "x12" })).toEqual({ ok: true, value: "H87" });
  });

  it("per-partner overrides win, both ways, and must target a known code", () => {
    const context = { overrides: { PCE: "C62", STK: "H87", GBND: "XX9" } };
    expect(unitFromPartner("PCE", context)).toEqual({ ok: true, value: "C62" });
    expect(unitForPartner("C62", context)).toEqual({ ok: true, value: "PCE" });
    expect(unitFromPartner("GBND", context)).toMatchObject({ ok: false, code: "XX9" });
  });

  it("unknown unit codes are reported, never guessed", () => {
    expect(unitFromPartner("PIECES")).toMatchObject({ ok: false, list: "UN/ECE Rec 20", code: "PIECES" });
    expect(unitFromPartner("ea")).toMatchObject({ ok: false });
    expect(unitForPartner("QQQ")).toMatchObject({ ok: false });
  });

  it("converts weights and lengths exactly for carriers", () => {
    const kgInOz = convertMeasure(1, "KGM", "ONZ");
    expect(kgInOz.ok && kgInOz.value).toBeCloseTo(35.27396195, 6);
    expect(convertMeasure(254, "MMT", "INH")).toMatchObject({ ok: true, value: expect.closeTo(10, 9) });
    expect(convertMeasure(1, "FOT", "INH")).toMatchObject({ ok: true, value: expect.closeTo(12, 9) });
    expect(convertMeasure(1, "KGM", "INH").ok).toBe(false);
  });
});

const ADDON_VOCABULARY = join(projectRoot, "odoo_addon/distribution_connector/tools/vocabulary.py");

describe("units stay in step with the addon's vocabulary.py", () => {
  it("same XML id → Rec 20 table", () => {
    const source = readFileSync(ADDON_VOCABULARY, "utf8");
    const addon = Object.fromEntries([...source.matchAll(/"(uom\.[a-z_]+)":\s*"([A-Z0-9]+)"/g)].map((m) => [m[1], m[2]]));
    expect(addon).toEqual(ODOO_XMLID_TO_REC20);
  });

  it("every code the addon can send (including ZZ for unknown units) is accepted here", () => {
    const source = readFileSync(ADDON_VOCABULARY, "utf8");
    const codes = new Set([...source.matchAll(/:\s*"([A-Z0-9]{2,3})"/g)].map((m) => m[1]!));
    codes.add(/UNKNOWN_UOM_CODE\s*=\s*"([A-Z0-9]+)"/.exec(source)?.[1] ?? "ZZ");
    for (const code of codes) expect(unitFromPartner(code), code).toMatchObject({ ok: true });
  });
});
