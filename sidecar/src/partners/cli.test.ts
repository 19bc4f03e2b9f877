import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convert, render } from "./cli.ts";
import { contractsDir, readDocument } from "./test-support/fixtures.ts";
import { verifyStandardWebhook } from "./verify/index.ts";

const exampleBytes = (type: string) => readFileSync(join(contractsDir, "examples", `${type}.json`));

describe("odc convert", () => {
  it("prints the canonical JSON of a partner document, exit 0", () => {
    const out = convert("cxml", readDocument("cxml_confirmation_partial.xml"));
    expect(out).toMatchObject({ exitCode: 0, stderr: "" });
    const printed = JSON.parse(out.stdout);
    expect(printed).toMatchObject({ type: "supplier.order_acknowledged", subject_ref: "P00042", message_id: "1764151200.4711@woodcorner.example", format: "cxml", data: { status: "partially_accepted" } });
  });

  it("detects the format with `auto`", () => {
    expect(JSON.parse(convert("auto", readDocument("ubl_despatch_split_lines.xml")).stdout)).toMatchObject({ type: "supplier.shipment_noticed", format: "ubl" });
  });

  it("prints the exact refusal with element and line, exit 1", () => {
    const out = convert("cxml", readDocument("cxml_confirmation_quantity_mismatch.xml"));
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toBe(
      "refused (inconsistent_quantities): ConfirmationStatus quantities add up to 9, not the line quantity 10, for line 10 (at cXML/Request/ConfirmationRequest/ConfirmationItem, line 8)\n",
    );
  });

  it("prints the field of a refused JSON webhook", () => {
    const out = convert("easypost", '{"object":"Event","id":"evt","description":"tracker.updated","result":{"object":"Tracker","status":"delivered"}}');
    expect(out).toMatchObject({ exitCode: 1, stderr: "refused (invalid_document): result.tracking_code is missing or empty (at result.tracking_code)\n" });
  });

  it("reports an ignored event as success", () => {
    expect(JSON.parse(convert("shippo", '{"event":"batch_created","test":false,"data":{}}').stdout)).toMatchObject({ ignored: true });
  });

  it("rejects an unknown format name with exit 2", () => {
    expect(convert("edifact", "UNA")).toMatchObject({ exitCode: 2, stderr: expect.stringContaining("unknown format") });
  });
});

describe("odc render", () => {
  it("renders a cXML OrderRequest with PREVIEW placeholders, headers on stderr", () => {
    const out = render("cxml", exampleBytes("purchase_order.confirmed"));
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain('<OrderRequestHeader orderID="P00042"');
    expect(out.stdout).toContain("<SharedSecret>PREVIEW-NOT-A-SECRET</SharedSecret>");
    expect(out.stderr).toBe("# content-type: text/xml; charset=utf-8\n");
    // what render prints, convert reads back
    expect(JSON.parse(convert("cxml", out.stdout).stdout)).toMatchObject({ document: "purchase_order", order: { po_number: "P00042" } });
  });

  it("shows where to ship, who to ask and the amounts as suppliers read them, in cXML and Peppol", () => {
    const cxml = render("cxml", exampleBytes("purchase_order.confirmed")).stdout;
    for (const s of ['<Address isoCountryCode="BE" addressID="WH">', '<Contact role="buyer">', '<Money currency="EUR">1575.00</Money>', '<Classification domain="UNSPSC">56101703</Classification>', "<SupplierPartAuxiliaryID>Black</SupplierPartAuxiliaryID>"]) {
      expect(cxml).toContain(s);
    }
    const ubl = render("ubl", exampleBytes("purchase_order.confirmed")).stdout;
    for (const s of ["<cac:DeliveryLocation>", "<cbc:ID>WH</cbc:ID>", '<cbc:ItemClassificationCode listID="TST">56101703</cbc:ItemClassificationCode>', '<cbc:PayableAmount currencyID="EUR">1905.75</cbc:PayableAmount>']) {
      expect(ubl).toContain(s);
    }
    expect(render("ubl", exampleBytes("purchase_order.cancelled")).stdout).toContain("<OrderCancellation ");
  });

  it("renders canonical JSON signed at the event's time, reproducibly", () => {
    const a = render("canonical", exampleBytes("shipment.ready"));
    const b = render("canonical", exampleBytes("shipment.ready"));
    expect(a).toEqual(b);
    expect(a.stderr).toContain("# webhook-id: 7b3e9a10-2c4d-4e5f-8a6b-9c0d1e2f3a4b");
    const headers = Object.fromEntries(a.stderr.trim().split("\n").map((l) => l.slice(2).split(": ") as [string, string]));
    expect(verifyStandardWebhook(a.stdout.trimEnd(), headers, { secrets: ["whsec_UFJFVklFVy1OT1QtQS1TRUNSRVQ="], now: Number(headers["webhook-timestamp"]) })).toMatchObject({ ok: true });
  });

  it("renders an EasyPost booking request", () => {
    const out = render("easypost", exampleBytes("shipment.ready"));
    expect(out.exitCode).toBe(0);
    expect(JSON.parse(out.stdout).order.reference).toBe("WH/OUT/00031");
  });

  it("refuses what the format cannot send, and files that are not JSON", () => {
    expect(render("ubl", exampleBytes("shipment.ready"))).toMatchObject({ exitCode: 1, stderr: expect.stringContaining("unsupported_event") });
    expect(render("cxml", "{not json")).toMatchObject({ exitCode: 1, stderr: expect.stringContaining("not JSON") });
    expect(render("aftership", exampleBytes("purchase_order.confirmed"))).toMatchObject({ exitCode: 1, stderr: expect.stringContaining("encodes nothing") });
  });
});
