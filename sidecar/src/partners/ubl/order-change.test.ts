import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPeppolOrder } from "../test-support/peppol-rules.ts";
import { contractsDir, readDocument, readFixture } from "../test-support/fixtures.ts";
import { parseXml, type XmlElement } from "../xml/safe-xml.ts";
import { encodeUbl, type UblOrderOptions } from "./index.ts";

const options: UblOrderOptions = {
  buyer: { endpointId: "5400000000024", endpointScheme: "0088", name: "YourCompany" },
  seller: { endpointId: "0477472701", endpointScheme: "0208" },
};

const example = (type = "purchase_order.confirmed") => JSON.parse(readFileSync(join(contractsDir, `examples/${type}.json`), "utf8"));
const odooPayload = () => JSON.parse(readDocument("odoo18_purchase_order_confirmed.json").toString("utf8"));

function encoded(event: unknown, opts: UblOrderOptions = options): string {
  const result = encodeUbl(event, opts);
  if (!result.ok) throw new Error(`${result.code}: ${result.reason}`);
  return result.body;
}

function root(xml: string): XmlElement {
  const parsed = parseXml(xml);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.document.root;
}
function at(e: XmlElement | undefined, path: string): XmlElement | undefined {
  let cur = e;
  for (const name of path.split("/")) cur = cur?.children.find((c) => c.name === name);
  return cur;
}
const text = (e: XmlElement | undefined) => e?.text.trim();
const lines = (xml: string) => root(xml).children.filter((c) => c.name === "OrderLine").map((l) => at(l, "LineItem")!);

describe("Peppol Order: what the supplier needs to fulfil the order", () => {
  it("delivers to the ship-to's location, with its identifier and address", () => {
    const location = at(root(encoded(example())), "Delivery/DeliveryLocation")!;
    expect(text(at(location, "ID"))).toBe("WH");
    expect([text(at(location, "Address/StreetName")), text(at(location, "Address/CityName")), text(at(location, "Address/Country/IdentificationCode"))]).toEqual(["Rue de la Loi 16", "Brussels", "BE"]);
    expect(at(root(encoded(example(), { ...options, deliveryLocationScheme: "0088" })), "Delivery/DeliveryLocation/ID")!.attrs.schemeID).toBe("0088");
  });

  it("names the buyer's contact and address", () => {
    const party = at(root(encoded(example())), "BuyerCustomerParty/Party")!;
    expect([text(at(party, "Contact/Name")), text(at(party, "Contact/Telephone")), text(at(party, "Contact/ElectronicMail"))]).toEqual(["Mitchell Admin", "+32 2 290 34 91", "admin@yourcompany.example.com"]);
    expect(text(at(party, "PostalAddress/CityName"))).toBe("Brussels");
  });

  it("classifies items, states their VAT, the vendor's codes and the variant", () => {
    const [desk, panel] = lines(encoded(example()));
    const code = at(desk, "Item/CommodityClassification/ItemClassificationCode")!;
    expect([code.attrs.listID, text(code)]).toEqual(["TST", "56101703"]);
    expect([text(at(desk, "Item/ClassifiedTaxCategory/ID")), text(at(desk, "Item/ClassifiedTaxCategory/Percent")), text(at(desk, "Item/ClassifiedTaxCategory/TaxScheme/ID"))]).toEqual(["S", "21", "VAT"]);
    expect(text(at(desk, "Item/SellersItemIdentification/ID"))).toBe("WC-DESK-CMB");
    expect(text(at(desk, "Item/AdditionalItemProperty/Value"))).toBe("Black");
    expect(at(panel, "Item/CommodityClassification")).toBeUndefined();
  });

  it("writes amounts with currencyID and the currency's decimals, at most 2 (PEPPOL-T01-R028)", () => {
    const amounts = (event: unknown) => {
      const total = at(root(encoded(event)), "AnticipatedMonetaryTotal")!;
      return total.children.map((c) => [c.name, c.attrs.currencyID, text(c)]);
    };
    expect(amounts(example())).toEqual([
      ["LineExtensionAmount", "EUR", "1575.00"],
      ["TaxExclusiveAmount", "EUR", "1575.00"],
      ["TaxInclusiveAmount", "EUR", "1905.75"],
      ["PayableAmount", "EUR", "1905.75"],
    ]);
    const yen = example();
    yen.data.currency = "JPY";
    expect(amounts(yen)[0]).toEqual(["LineExtensionAmount", "JPY", "1575"]);
    const dinar = example();
    dinar.data.currency = "KWD";
    expect(amounts(dinar)[0]).toEqual(["LineExtensionAmount", "KWD", "1575.00"]);
    expect(checkPeppolOrder(encoded(dinar))).toEqual([]);
  });

  it("states incoterm and payment terms", () => {
    const r = root(encoded(example()));
    expect([text(at(r, "DeliveryTerms/ID")), text(at(r, "DeliveryTerms/DeliveryLocation/ID")), text(at(r, "PaymentTerms/Note"))]).toEqual(["DAP", "Brussels", "30 Days"]);
  });
});

describe("Peppol Order Change and Order Cancellation", () => {
  it("sends purchase_order.changed as an Order Change of the original order", () => {
    const xml = encoded(example("purchase_order.changed"), { ...options, profile: "advanced_ordering" });
    const r = root(xml);
    expect([r.name, r.ns]).toEqual(["OrderChange", "urn:oasis:names:specification:ubl:schema:xsd:OrderChange-2"]);
    expect([text(at(r, "CustomizationID")), text(at(r, "ProfileID")), text(at(r, "ID")), text(at(r, "SequenceNumberID")), text(at(r, "OrderReference/ID"))]).toEqual([
      "urn:fdc:peppol.eu:poacc:trns:order_change:3",
      "urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3",
      "P00042-2",
      "2",
      "P00042",
    ]);
    expect(lines(xml).map((l) => [text(at(l, "ID")), text(at(l, "LineStatusCode")), text(at(l, "Quantity"))])).toEqual([
      ["10", "3", "5"],
      ["20", "3", "22.5"],
      ["30", "3", "1"],
    ]);
    expect(at(r, "OrderTypeCode")).toBeUndefined();
  });

  it("sends purchase_order.cancelled as an Order Cancellation with its note", () => {
    const xml = encoded(example("purchase_order.cancelled"), { ...options, cancellationNote: "Project stopped" });
    const r = root(xml);
    expect(r.name).toBe("OrderCancellation");
    expect([text(at(r, "CustomizationID")), text(at(r, "CancellationNote")), text(at(r, "OrderReference/ID"))]).toEqual(["urn:fdc:peppol.eu:poacc:trns:order_cancellation:3", "Project stopped", "P00042"]);
    expect(at(r, "OrderLine")).toBeUndefined();
  });

  it.each(["purchase_order.confirmed", "purchase_order.changed", "purchase_order.cancelled"])("%s: same event, same bytes", (type) => {
    expect(encodeUbl(example(type), options)).toEqual(encodeUbl(example(type), options));
  });

  it("refuses a change without Peppol endpoints or with an unknown unit", () => {
    expect(encodeUbl(example("purchase_order.changed"), { ...options, buyer: { ...options.buyer, endpointId: "" } })).toMatchObject({ ok: false, code: "missing_option" });
    const event = example("purchase_order.cancelled");
    event.data.lines[0].uom = "QQQ";
    expect(encodeUbl(event, options)).toMatchObject({ ok: false, code: "unknown_code", path: "data.lines.0.uom" });
  });
});

describe("Peppol BIS 3 ordering rules (offline)", () => {
  it("pass the OpenPEPPOL Order examples", () => {
    expect(checkPeppolOrder(readFixture("ubl/peppol_Order_Example.xml"))).toEqual([]);
    expect(checkPeppolOrder(readFixture("ubl/peppol_Order_UC1.xml"))).toEqual([]);
  });

  it.each([
    ["an Order", "purchase_order.confirmed"],
    ["an Order Change", "purchase_order.changed"],
    ["an Order Cancellation", "purchase_order.cancelled"],
  ])("pass our %s", (_name, type) => {
    expect(checkPeppolOrder(encoded(example(type), { ...options, profile: "advanced_ordering" }))).toEqual([]);
  });

  const good = () => encoded(example());
  it.each([
    ["a wrong CustomizationID", (x: string) => x.replace("trns:order:3", "trns:invoice:3"), /R034/],
    ["a wrong profile", (x: string) => x.replace("bis:ordering:3", "bis:billing:3"), /R031/],
    ["a second currency", (x: string) => x.replace('<cbc:PriceAmount currencyID="EUR">', '<cbc:PriceAmount currencyID="USD">'), /R003/],
    ["an amount with 3 decimals", (x: string) => x.replace(">1905.75</cbc:PayableAmount>", ">1905.750</cbc:PayableAmount>"), /R028/],
    ["line amounts that do not add up", (x: string) => x.replace('<cbc:LineExtensionAmount currencyID="EUR">1575.00</cbc:LineExtensionAmount>', '<cbc:LineExtensionAmount currencyID="EUR">1574.00</cbc:LineExtensionAmount>'), /R008/],
    ["a line amount that is not quantity times price", (x: string) => x.replace(">1350.00<", ">1300.00<"), /R024/],
    ["a tax total that does not add up", (x: string) => x.replace('<cbc:TaxAmount currencyID="EUR">330.75</cbc:TaxAmount>', '<cbc:TaxAmount currencyID="EUR">330.00</cbc:TaxAmount>'), /R017/],
    ["a payable amount off the tax-inclusive total", (x: string) => x.replace(">1905.75</cbc:PayableAmount>", ">1900.00</cbc:PayableAmount>"), /R016/],
    ["two lines with one id", (x: string) => x.replace("<cbc:ID>20</cbc:ID>", "<cbc:ID>10</cbc:ID>"), /R001/],
    ["a standard rate of zero", (x: string) => x.replace("<cbc:Percent>21</cbc:Percent>", "<cbc:Percent>0</cbc:Percent>"), /R030/],
    ["a tax category without a rate", (x: string) => x.replace("<cbc:Percent>21</cbc:Percent>", ""), /R029/],
    ["an unknown tax category", (x: string) => x.replace(/(<cac:ClassifiedTaxCategory>\s*<cbc:ID>)S</, "$1X<"), /UNCL 5305/],
    ["an unknown unit", (x: string) => x.replace('unitCode="KGM"', 'unitCode="KILO"'), /Rec 20/],
    ["an empty element", (x: string) => x.replace("<cbc:CityName>Brussels</cbc:CityName>", "<cbc:CityName></cbc:CityName>"), /is empty/],
    ["no seller endpoint", (x: string) => x.replace(/<cbc:EndpointID schemeID="0208">[^<]*<\/cbc:EndpointID>/, ""), /SellerSupplierParty\/Party\/EndpointID is mandatory/],
    ["no lines", (x: string) => x.replace(/<cac:OrderLine>[\s\S]*<\/cac:OrderLine>/, ""), /at least one OrderLine/],
    ["an item without a name", (x: string) => x.replace(/<cbc:Name>Wood panel, oak<\/cbc:Name>/, ""), /Item\/Name is mandatory/],
  ])("reject %s", (_name, mutate, rule) => {
    const xml = mutate(good());
    expect(xml).not.toBe(good());
    expect(checkPeppolOrder(xml).join("\n")).toMatch(rule);
  });

  it("reject an Order Change without its sequence number and a cancellation without its note", () => {
    const change = encoded(example("purchase_order.changed"), { ...options, profile: "advanced_ordering" }).replace(/<cbc:SequenceNumberID>\d+<\/cbc:SequenceNumberID>/, "");
    expect(checkPeppolOrder(change).join("\n")).toMatch(/SequenceNumberID is mandatory/);
    const cancel = encoded(example("purchase_order.cancelled")).replace(/<cbc:CancellationNote>[^<]*<\/cbc:CancellationNote>/, "");
    expect(checkPeppolOrder(cancel).join("\n")).toMatch(/CancellationNote is mandatory/);
  });
});

describe("a real Odoo 18 purchase order, rendered as a Peppol Order", () => {
  const xml = encoded(odooPayload());

  it("passes the encoded Peppol rules", () => {
    expect(checkPeppolOrder(xml)).toEqual([]);
  });

  it("delivers to the receiving warehouse, names the buyer, writes decimals and the vendor part codes", () => {
    const r = root(xml);
    expect([text(at(r, "Delivery/DeliveryLocation/ID")), text(at(r, "Delivery/DeliveryLocation/Address/StreetName")), text(at(r, "Delivery/DeliveryLocation/Address/CityName"))]).toEqual(["WH", "Havenlaan 86", "Antwerp"]);
    expect(text(at(r, "BuyerCustomerParty/Party/Contact/Name"))).toBe("Ann Buyer");
    expect(text(at(r, "AnticipatedMonetaryTotal/LineExtensionAmount"))).toBe("2055.00");
    const items = lines(xml);
    expect(items.map((l) => text(at(l, "Item/SellersItemIdentification/ID")) ?? null)).toEqual(["WC-DESK-CMB", null, "WC-CHAIR"]);
    expect(items.map((l) => text(at(l, "Item/ClassifiedTaxCategory/ID")))).toEqual(["S", "S", "S"]);
  });

  it("carries the product's classification where Odoo has one (UNSPSC, captured with product_unspsc installed)", () => {
    const items = lines(xml);
    expect(text(at(items[0]!, "Item/CommodityClassification/ItemClassificationCode"))).toBe("56101703");
    expect(at(items[1]!, "Item/CommodityClassification")).toBeUndefined();
  });
});

describe("the ubl adapter's encodes list names exactly what it encodes", () => {
  it("encodes every listed event type and refuses the others", async () => {
    const { adapters } = await import("../registry.ts");
    for (const type of adapters.ubl.encodes) expect(encodeUbl(example(type), options).ok, type).toBe(true);
    for (const type of ["shipment.ready", "receipt.validated"]) {
      expect(encodeUbl({ ...example(), type }, options)).toMatchObject({ ok: false });
    }
  });
});
