import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contractErrors } from "../test-support/contracts.ts";
import { checkCxmlOrderRequest } from "../test-support/cxml-dtd.ts";
import { contractsDir, readDocument, readFixture } from "../test-support/fixtures.ts";
import { parseXml, type XmlElement } from "../xml/safe-xml.ts";
import { encodeCxml, type CxmlOrderOptions } from "./index.ts";
import { splitPhone } from "./order-request.ts";

const options: CxmlOrderOptions = {
  from: { domain: "NetworkID", identity: "YOURCOMPANY" },
  to: { domain: "NetworkID", identity: "WOODCORNER" },
  sharedSecret: "s3cret",
  billTo: { name: "Fallback Co", addressId: "FALLBACK", street: ["1 Fallback Road"], city: "Ghent", postalCode: "9000", country: "BE" },
};

const example = () => JSON.parse(readFileSync(join(contractsDir, "examples/purchase_order.confirmed.json"), "utf8"));
/** A purchase_order.confirmed written by a real Odoo 18 (the addon's TestPurchaseOrderSupplierContent). */
const odooPayload = () => JSON.parse(readDocument("odoo18_purchase_order_confirmed.json").toString("utf8"));

function encoded(event: unknown, opts: CxmlOrderOptions = options): string {
  const result = encodeCxml(event, opts);
  if (!result.ok) throw new Error(`${result.code}: ${result.reason}`);
  return result.body;
}

function root(xml: string): XmlElement {
  const parsed = parseXml(xml);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.document.root;
}

function at(e: XmlElement, path: string): XmlElement | undefined {
  let cur: XmlElement | undefined = e;
  for (const name of path.split("/")) cur = cur?.children.find((c) => c.name === name);
  return cur;
}

const header = (xml: string) => at(root(xml), "Request/OrderRequest/OrderRequestHeader")!;
const items = (xml: string) => at(root(xml), "Request/OrderRequest")!.children.filter((c) => c.name === "ItemOut");
const text = (e: XmlElement | undefined) => e?.text.trim();

describe("cXML OrderRequest: what the supplier needs to fulfil the order", () => {
  it("ships to the event's ship-to with its addressID, and bills the event's bill-to", () => {
    const h = header(encoded(example()));
    const shipTo = at(h, "ShipTo/Address")!;
    expect(shipTo.attrs).toMatchObject({ addressID: "WH", isoCountryCode: "BE" });
    expect(text(at(shipTo, "PostalAddress/Street"))).toBe("Rue de la Loi 16");
    expect(at(shipTo, "PostalAddress")!.children.filter((c) => c.name === "Street").map(text)).toEqual(["Rue de la Loi 16", "Warehouse gate 3"]);
    expect(text(at(shipTo, "PostalAddress/City"))).toBe("Brussels");
    const billTo = at(h, "BillTo/Address")!;
    expect(billTo.attrs.addressID).toBe("res.partner-1");
    expect(text(at(billTo, "Name"))).toBe("YourCompany");
  });

  it("falls back to the partner's billTo and shipTo for events without them, and lets the partner name our bill-to id", () => {
    const event = example();
    delete event.data.bill_to;
    event.data.ship_to = null;
    const h = header(encoded(event, { ...options, shipTo: { name: "Depot", addressId: "DEPOT", street: ["2 Dock"], city: "Ghent", country: "BE" } }));
    expect(at(h, "BillTo/Address")!.attrs.addressID).toBe("FALLBACK");
    expect(at(h, "ShipTo/Address")!.attrs.addressID).toBe("DEPOT");
    expect(at(header(encoded(example(), { ...options, billToAddressId: "AN-BILL-7" })), "BillTo/Address")!.attrs.addressID).toBe("AN-BILL-7");
  });

  it("refuses when neither the event nor the partner gives a BillTo", () => {
    const event = example();
    delete event.data.bill_to;
    const { billTo: _billTo, ...rest } = options;
    expect(encodeCxml(event, rest)).toMatchObject({ ok: false, code: "missing_option", reason: expect.stringMatching(/BillTo/) });
  });

  it("names the buyer as Contact role=buyer with e-mail and a split telephone number", () => {
    const contact = at(header(encoded(example())), "Contact")!;
    expect(contact.attrs.role).toBe("buyer");
    expect(text(at(contact, "Name"))).toBe("Mitchell Admin");
    expect(text(at(contact, "Email"))).toBe("admin@yourcompany.example.com");
    const tel = at(contact, "Phone/TelephoneNumber")!;
    expect([at(tel, "CountryCode")!.attrs.isoCountryCode, text(at(tel, "CountryCode")), text(at(tel, "AreaOrCityCode")), text(at(tel, "Number"))]).toEqual(["BE", "32", "2", "2903491"]);
  });

  it("splits only international numbers", () => {
    expect(splitPhone("+1 (800) 555-1212")).toEqual({ countryCode: "1", area: "800", number: "5551212" });
    expect(splitPhone("0032 9 123 45 67")).toEqual({ countryCode: "32", area: "9", number: "1234567" });
    expect(splitPhone("02 290 34 90")).toBeNull();
    expect(splitPhone("+3222903490")).toBeNull();
  });

  it.each([
    ["EUR", 1575, "1575.00", "450.00"],
    ["USD", 1575, "1575.00", "450.00"],
    ["JPY", 1575, "1575", "450"],
    ["KWD", 1575, "1575.000", "450.000"],
  ])("writes %s amounts with the currency's decimals", (currency, total, totalText, priceText) => {
    const event = example();
    event.data.currency = currency;
    event.data.amount_untaxed = total;
    const xml = encoded(event);
    expect(text(at(header(xml), "Total/Money"))).toBe(totalText);
    expect(text(at(items(xml)[0]!, "ItemDetail/UnitPrice/Money"))).toBe(priceText);
  });

  it("keeps a unit price's own decimals beyond the currency's", () => {
    const event = example();
    event.data.lines[1].unit_price = 0.125;
    expect(text(at(items(encoded(event))[1]!, "ItemDetail/UnitPrice/Money"))).toBe("0.125");
  });

  it("sends the vendor's codes, the auxiliary id and the line's UNSPSC classification", () => {
    const [desk, panel] = items(encoded(example()));
    expect(at(desk!, "ItemID")!.children.map((c) => [c.name, text(c)])).toEqual([
      ["SupplierPartID", "WC-DESK-CMB"],
      ["SupplierPartAuxiliaryID", "Black"],
      ["BuyerPartID", "FURN_7800"],
    ]);
    expect(at(desk!, "ItemDetail/Classification")!.attrs.domain).toBe("UNSPSC");
    expect(text(at(desk!, "ItemDetail/Classification"))).toBe("56101703");
    // A line without a classification gets the partner's configured one.
    const configured = items(encoded(example(), { ...options, classification: { domain: "eClass", code: "21-01" } }))[1]!;
    expect([at(configured, "ItemDetail/Classification")!.attrs.domain, text(at(configured, "ItemDetail/Classification"))]).toEqual(["eClass", "21-01"]);
    expect(at(panel!, "ItemID/SupplierPartAuxiliaryID")).toBeUndefined();
  });

  it("maps units per partner: Rec 20 by default, X12 (EA) for partners that want it", () => {
    expect(items(encoded(example())).map((i) => text(at(i, "ItemDetail/UnitOfMeasure")))).toEqual(["C62", "KGM"]);
    expect(items(encoded(example(), { ...options, units: { standard: "x12" } })).map((i) => text(at(i, "ItemDetail/UnitOfMeasure")))).toEqual(["EA", "KG"]);
  });

  it("puts a line that ships elsewhere under its own ShipTo", () => {
    const event = example();
    event.data.lines[1].ship_to = { ...event.data.ship_to, id: "SITE-2", street: "Quai 4", street2: null };
    const [desk, panel] = items(encoded(event));
    expect(at(desk!, "ShipTo")).toBeUndefined();
    expect(at(panel!, "ShipTo/Address")!.attrs.addressID).toBe("SITE-2");
    expect(checkCxmlOrderRequest(encoded(event))).toEqual([]);
  });

  it("writes the payment days and the partner's extrinsics", () => {
    const h = header(
      encoded(example(), { ...options, extrinsics: [{ name: "Incoterm", field: "incoterm" }, { name: "IncotermPlace", field: "incoterm_location" }, { name: "Channel", value: "EDI" }, { name: "Ref", field: "vendor_reference" }] }),
    );
    expect(at(h, "PaymentTerm")!.attrs.payInNumberOfDays).toBe("30");
    expect(h.children.filter((c) => c.name === "Extrinsic").map((c) => [c.attrs.name, text(c)])).toEqual([
      ["Incoterm", "DAP"],
      ["IncotermPlace", "Brussels"],
      ["Channel", "EDI"],
    ]);
    expect(encodeCxml(example(), { ...options, extrinsics: [{ name: "X", field: "nope" as never }] })).toMatchObject({ ok: false, code: "missing_option" });
  });

  it("still encodes an event written before these fields existed", () => {
    const event = example();
    for (const k of ["ship_to", "bill_to", "buyer", "incoterm", "payment_terms"]) delete event.data[k];
    for (const l of event.data.lines) for (const k of ["vendor_product_aux_code", "classification", "tax"]) delete l[k];
    const xml = encoded(event);
    expect(at(header(xml), "BillTo/Address")!.attrs.addressID).toBe("FALLBACK");
    expect(at(header(xml), "Contact")).toBeUndefined();
    expect(checkCxmlOrderRequest(xml)).toEqual([]);
  });
});

describe("cXML DTD structural check", () => {
  it("passes the public FriendsOfCXML OrderRequest", () => {
    expect(checkCxmlOrderRequest(readFixture("cxml/friendsofcxml_OrderRequest.xml"))).toEqual([]);
  });

  it.each(["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"])("passes our %s", (type) => {
    const event = JSON.parse(readFileSync(join(contractsDir, `examples/${type}.json`), "utf8"));
    expect(checkCxmlOrderRequest(encoded(event, { ...options, previousEventId: "0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d" }))).toEqual([]);
  });

  const good = () => encoded(example());
  it.each([
    ["BillTo removed", (x: string) => x.replace(/<BillTo>[\s\S]*?<\/BillTo>/, ""), /missing required BillTo/],
    ["orderID removed", (x: string) => x.replace(/ orderID="[^"]*"/, ""), /required attribute orderID is missing/],
    ["quantity removed", (x: string) => x.replace(/ quantity="[^"]*"/, ""), /required attribute quantity is missing/],
    ["Classification removed", (x: string) => x.replace(/<Classification[^>]*>[^<]*<\/Classification>/g, ""), /missing required Classification/],
    ["UnitOfMeasure after Classification", (x: string) => x.replace(/(<UnitOfMeasure>[^<]*<\/UnitOfMeasure>)\s*(<Classification[^>]*>[^<]*<\/Classification>)/, "$2$1"), /out of order|missing required UnitOfMeasure/],
    ["Name without xml:lang", (x: string) => x.replace(/<Name xml:lang="en">/, "<Name>"), /required attribute xml:lang is missing/],
    ["an unknown order type", (x: string) => x.replace(/type="new"/, 'type="rejected"'), /"rejected" is not one of new, update, delete/],
    ["Money without currency", (x: string) => x.replace(/<Money currency="EUR">/, "<Money>"), /required attribute currency is missing/],
    ["Money that is not a number", (x: string) => x.replace(/(<Money currency="EUR">)[^<]*/, "$11,575.00"), /not a decimal number/],
    ["no ItemOut", (x: string) => x.replace(/<ItemOut[\s\S]*<\/ItemOut>/, ""), /missing required ItemOut/],
    ["an element the DTD does not allow there", (x: string) => x.replace("<Total>", "<Foo/><Total>"), /Foo is not allowed/],
    ["Country without isoCountryCode", (x: string) => x.replace(/<Country isoCountryCode="BE">/, "<Country>"), /isoCountryCode is missing/],
    ["Credential without domain", (x: string) => x.replace(/<Credential domain="NetworkID">/, "<Credential>"), /domain is missing/],
  ])("rejects a document with %s", (_name, mutate, problem) => {
    const xml = mutate(good());
    expect(xml).not.toBe(good());
    const problems = checkCxmlOrderRequest(xml);
    expect(problems.join("\n")).toMatch(problem);
  });

  it("rejects what is not an OrderRequest or not XML", () => {
    expect(checkCxmlOrderRequest("<cXML/>")).toEqual(["cXML carries no Request/OrderRequest"]);
    expect(checkCxmlOrderRequest("<cXML")[0]).toMatch(/not well-formed/);
  });
});

describe("a real Odoo 18 purchase order, rendered as a cXML OrderRequest", () => {
  // Lines without a UNSPSC code in Odoo take the partner's configured classification.
  const xml = encoded(odooPayload(), { ...options, classification: { domain: "custom", code: "FURNITURE" } });

  it("is a valid contracts/v1 event, and passes the DTD structural check", () => {
    expect(contractErrors(odooPayload())).toEqual([]);
    expect(checkCxmlOrderRequest(xml)).toEqual([]);
  });

  it("ships to the receiving warehouse, names the buyer, writes decimals, classification and vendor part codes", () => {
    const h = header(xml);
    const shipTo = at(h, "ShipTo/Address")!;
    expect(shipTo.attrs.addressID).toBe("WH");
    expect([text(at(shipTo, "Name")), text(at(shipTo, "PostalAddress/Street")), text(at(shipTo, "PostalAddress/City"))]).toEqual(["YourCompany Receiving", "Havenlaan 86", "Antwerp"]);
    expect(text(at(at(h, "Contact")!, "Name"))).toBe("Ann Buyer");
    expect(text(at(h, "Total/Money"))).toBe("2055.00");
    const lines = items(xml);
    expect(lines.map((i) => text(at(i, "ItemID/SupplierPartID")))).toEqual(["WC-DESK-CMB", "FURN_0001", "WC-CHAIR"]);
    expect(text(at(lines[2]!, "ItemID/SupplierPartAuxiliaryID"))).toBe("Black");
    expect(lines.map((i) => text(at(i, "ItemDetail/UnitPrice/Money")))).toEqual(["450.00", "10.00", "120.00"]);
    // The desk's UNSPSC code comes from Odoo (captured with product_unspsc installed).
    expect(lines.map((i) => [at(i, "ItemDetail/Classification")!.attrs.domain, text(at(i, "ItemDetail/Classification"))])).toEqual([["UNSPSC", "56101703"], ["custom", "FURNITURE"], ["custom", "FURNITURE"]]);
  });
});
