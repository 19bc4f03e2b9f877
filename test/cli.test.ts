import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { partnerFixturesDir } from "../sidecar/src/partners/test-support/fixtures.ts";

const root = resolve(import.meta.dirname, "..");
const fixtures = partnerFixturesDir;
const odc = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/odc.mjs"), ...args], { encoding: "utf8", timeout: 20_000 });

describe("odc convert / render from the command line", () => {
  it("converts a real cXML confirmation to canonical JSON (exit 0)", () => {
    const r = odc("convert", "cxml", join(fixtures, "cxml/dnas_ConfirmationRequest_detail_accept_2021.xml"));
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.type).toBe("supplier.order_acknowledged");
    expect(out.data.po_number).toBe("269765");
  });

  it("refuses an invalid document with the element and line (exit 1)", () => {
    const r = odc("convert", "cxml", join(fixtures, "cxml/dnas_ConfirmationRequest_template_INVALID.xml"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/lineNumber.*line \d+/);
    expect(r.stdout).toBe("");
  });

  it("renders what would be sent for a canonical event", () => {
    const r = odc("render", "ubl", join(root, "contracts/v1/examples/purchase_order.confirmed.json"));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("<cbc:ID>P00042</cbc:ID>");
  });

  it("answers a missing file, an unknown format and missing arguments with exit 2", () => {
    expect(odc("convert", "cxml", "/nonexistent.xml").status).toBe(2);
    expect(odc("convert", "nope", join(root, "package.json")).status).toBe(2);
    expect(odc("render").status).toBe(2);
  });
});
