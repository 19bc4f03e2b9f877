import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adapters, decodeWith, detect, encodeWith, FORMAT_NAMES, getAdapter } from "./registry.ts";
import { contractsDir, readDocument } from "./test-support/fixtures.ts";

const example = (type: string) => JSON.parse(readFileSync(join(contractsDir, "examples", `${type}.json`), "utf8"));

describe("format registry", () => {
  it("has one adapter per format name, each able to encode or decode", () => {
    expect(Object.keys(adapters).sort()).toEqual([...FORMAT_NAMES].sort());
    for (const name of FORMAT_NAMES) {
      const adapter = getAdapter(name);
      expect(adapter.format).toBe(name);
      expect(Boolean(adapter.encode) || Boolean(adapter.decode)).toBe(true);
    }
  });

  it.each([
    ["cxml_confirmation_partial.xml", "cxml", "ConfirmationRequest"],
    ["cxml_shipnotice_two_orders.xml", "cxml", "ShipNoticeRequest"],
    ["cxml_status_update.xml", "cxml", "StatusUpdateRequest"],
    ["ubl_orderresponse_legacy_codes.xml", "ubl", "OrderResponse"],
    ["ubl_despatch_split_lines.xml", "ubl", "DespatchAdvice"],
    ["easypost_shipment_bought.json", "easypost", "Shipment"],
    ["shippo_track_updated_current.json", "shippo", "track_updated"],
    ["shipengine_track_current.json", "shipengine", "API_TRACK"],
  ])("detects %s as %s %s", (file, format, document) => {
    expect(detect(readDocument(file))).toEqual({ ok: true, format, document });
  });

  it("detects canonical events and AfterShip webhooks, refuses the unknown", () => {
    expect(detect(JSON.stringify(example("carrier.tracking_updated")))).toMatchObject({ ok: true, format: "canonical" });
    expect(detect(JSON.stringify({ event: "tracking_update", event_id: "e", msg: {} }))).toMatchObject({ ok: true, format: "aftership" });
    expect(detect("<Invoice xmlns='urn:x'/>")).toMatchObject({ ok: false, code: "unsupported_document", reason: expect.stringContaining("Invoice") });
    expect(detect('{"hello":"world"}')).toMatchObject({ ok: false, code: "unsupported_document" });
    expect(detect("[1,2]")).toMatchObject({ ok: false });
  });

  it("routes encode and decode by name, and refuses what a format cannot do", () => {
    expect(encodeWith("canonical", example("purchase_order.confirmed"), { secrets: ["whsec_dGVzdA=="], timestamp: 1 })).toMatchObject({ ok: true, contentType: "application/json" });
    expect(encodeWith("shippo", example("purchase_order.confirmed"), {})).toMatchObject({ ok: false, code: "unsupported_event", reason: expect.stringContaining("encodes nothing") });
    expect(encodeWith("edifact", {}, {})).toMatchObject({ ok: false, reason: expect.stringContaining("unknown format") });
    expect(decodeWith("x12", "ISA*")).toMatchObject({ ok: false, reason: expect.stringContaining("unknown format") });
    expect(decodeWith("easypost", readDocument("easypost_shipment_bought.json"))).toMatchObject({ ok: true, kind: "event", event: { type: "carrier.shipment_booked" } });
  });
});
