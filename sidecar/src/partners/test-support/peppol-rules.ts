import { REC20_UNITS } from "../vocabulary/units.ts";
import { parseXml, type XmlElement } from "../xml/safe-xml.ts";

/**
 * The Peppol BIS 3 ordering rules that can be checked offline, for what we send: Order (T01),
 * Order Change (T114) and Order Cancellation (T115). Written out from the PEPPOL-T01
 * schematron (poacc-upgrade-3, rules/sch/PEPPOL-T01.sch: the R-rules on identifiers, amounts
 * and their sums, lines, tax categories), the mandatory elements of the BIS (cardinality
 * 1..1), and the code lists we can hold here (ISO 4217 and 3166 by form, UN/ECE Rec 20 as far
 * as vocabulary/units.ts knows it, UNCL 5305, ICD/EAS by form). Only fatal rules are
 * reported; warnings (R002 validity date, R013) are not.
 *
 * `checkPeppolOrder(xml)` returns the problems, each prefixed with its rule id; [] when none.
 */

const NS = {
  Order: "urn:oasis:names:specification:ubl:schema:xsd:Order-2",
  OrderChange: "urn:oasis:names:specification:ubl:schema:xsd:OrderChange-2",
  OrderCancellation: "urn:oasis:names:specification:ubl:schema:xsd:OrderCancellation-2",
} as const;

const CUSTOMIZATION = {
  Order: "urn:fdc:peppol.eu:poacc:trns:order:3",
  OrderChange: "urn:fdc:peppol.eu:poacc:trns:order_change:3",
  OrderCancellation: "urn:fdc:peppol.eu:poacc:trns:order_cancellation:3",
} as const;

const PROFILES = {
  Order: ["urn:fdc:peppol.eu:poacc:bis:order_only:3", "urn:fdc:peppol.eu:poacc:bis:ordering:3", "urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3"],
  OrderChange: ["urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3"],
  OrderCancellation: ["urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3"],
} as const;

/** UNCL 5305 VAT categories as Peppol uses them. */
const UNCL5305 = new Set(["AE", "E", "S", "Z", "G", "O", "K", "L", "M", "B"]);
/** UNCL 1229 line status codes an Order Change uses: 1 added, 2 deleted, 3 changed, 4 no action. */
const ORDER_CHANGE_LINE_STATUS = new Set(["1", "2", "3", "4"]);
/** UNCL 1001 subset of Peppol T01: 220 order, 227 consignment order. */
const ORDER_TYPES = new Set(["220", "227"]);

const AMOUNT_NAMES = new Set(["Amount", "TaxAmount", "LineExtensionAmount", "PriceAmount", "BaseAmount"]);

const kids = (e: XmlElement | undefined, name: string) => (e ? e.children.filter((c) => c.name === name) : []);
const kid = (e: XmlElement | undefined, name: string) => kids(e, name)[0];
function at(e: XmlElement | undefined, path: string): XmlElement | undefined {
  let cur = e;
  for (const name of path.split("/")) cur = kid(cur, name);
  return cur;
}
const text = (e: XmlElement | undefined) => e?.text.trim() ?? "";
const num = (e: XmlElement | undefined, fallback = 0) => (e && text(e) !== "" ? Number(text(e)) : fallback);
/** Sums as the schematron rounds them: round(sum * 100) div 100. */
const round2 = (n: number) => Math.round(n * 100 + (n >= 0 ? 1e-9 : -1e-9)) / 100;
const same = (a: number, b: number) => Math.abs(a - b) < 1e-9;

function allowanceSums(holder: XmlElement): { allowances: number; charges: number } {
  let allowances = 0;
  let charges = 0;
  for (const ac of kids(holder, "AllowanceCharge")) {
    if (text(kid(ac, "ChargeIndicator")) === "true") charges += num(kid(ac, "Amount"));
    else allowances += num(kid(ac, "Amount"));
  }
  return { allowances: round2(allowances), charges: round2(charges) };
}

function walk(e: XmlElement, visit: (e: XmlElement, ancestors: XmlElement[]) => void, ancestors: XmlElement[] = []): void {
  visit(e, ancestors);
  for (const c of e.children) walk(c, visit, [...ancestors, e]);
}

function checkParty(root: XmlElement, name: string, problems: string[]): void {
  const party = at(root, `${name}/Party`);
  if (!party) return void problems.push(`BIS: ${name}/Party is mandatory`);
  const endpoint = kid(party, "EndpointID");
  if (!endpoint || text(endpoint) === "") problems.push(`BIS: ${name}/Party/EndpointID is mandatory`);
  else if (!/^\d{4}$/.test(endpoint.attrs.schemeID ?? "")) problems.push(`CL: ${name} EndpointID@schemeID "${endpoint.attrs.schemeID ?? ""}" is not an EAS code`);
  if (!text(at(party, "PartyLegalEntity/RegistrationName")) && !text(at(party, "PartyName/Name"))) problems.push(`BIS: ${name} has no name`);
}

/** The problems of a Peppol Order, Order Change or Order Cancellation; [] when it passes. */
export function checkPeppolOrder(xml: string | Uint8Array): string[] {
  const parsed = parseXml(xml);
  if (!parsed.ok) return [`not well-formed: ${parsed.reason}`];
  const root = parsed.document.root;
  const kind = root.name as keyof typeof NS;
  if (!(kind in NS)) return [`root element ${root.name} is not Order, OrderChange or OrderCancellation`];
  const problems: string[] = [];
  if (root.ns !== NS[kind]) problems.push(`BIS: ${kind} is not in the namespace ${NS[kind]}`);

  // Identification (R034, R031) and the mandatory header.
  if (!text(kid(root, "CustomizationID")).startsWith(CUSTOMIZATION[kind])) problems.push(`PEPPOL-T01-R034: CustomizationID SHALL start with ${CUSTOMIZATION[kind]}`);
  if (!(PROFILES[kind] as readonly string[]).includes(text(kid(root, "ProfileID")))) problems.push(`PEPPOL-T01-R031: ProfileID "${text(kid(root, "ProfileID"))}" is not one of ${PROFILES[kind].join(", ")}`);
  for (const name of ["ID", "IssueDate"]) if (!text(kid(root, name))) problems.push(`BIS: ${name} is mandatory`);
  if (text(kid(root, "IssueDate")) && !/^\d{4}-\d{2}-\d{2}$/.test(text(kid(root, "IssueDate")))) problems.push(`BIS: IssueDate "${text(kid(root, "IssueDate"))}" is not YYYY-MM-DD`);
  checkParty(root, "BuyerCustomerParty", problems);
  checkParty(root, "SellerSupplierParty", problems);

  // Empty elements (Peppol: a document SHALL NOT contain empty elements).
  walk(root, (e) => {
    if (e.children.length === 0 && e.text.trim() === "") problems.push(`PEPPOL-COMMON: ${e.path} is empty`);
  });
  // Code lists.
  walk(root, (e) => {
    if (e.attrs.unitCode !== undefined && !Object.prototype.hasOwnProperty.call(REC20_UNITS, e.attrs.unitCode)) problems.push(`CL: ${e.path}@unitCode "${e.attrs.unitCode}" is not a UN/ECE Rec 20 code`);
    if (e.name === "IdentificationCode" && !/^[A-Z]{2}$/.test(text(e))) problems.push(`CL: ${e.path} "${text(e)}" is not an ISO 3166-1 alpha-2 code`);
    if (e.name === "ItemClassificationCode" && !/^[A-Z]{1,3}$/.test(e.attrs.listID ?? "")) problems.push(`CL: ${e.path}@listID "${e.attrs.listID ?? ""}" is not a UNCL 7143 code`);
  });

  if (kind === "OrderCancellation") {
    if (!text(kid(root, "CancellationNote"))) problems.push("BIS: CancellationNote is mandatory");
    if (!text(at(root, "OrderReference/ID"))) problems.push("BIS: OrderReference/ID is mandatory");
    return problems;
  }

  const currency = text(kid(root, "DocumentCurrencyCode"));
  if (!/^[A-Z]{3}$/.test(currency)) problems.push(`CL: DocumentCurrencyCode "${currency}" is not an ISO 4217 code`);
  if (kind === "Order") {
    const type = text(kid(root, "OrderTypeCode"));
    if (type && !ORDER_TYPES.has(type)) problems.push(`CL: OrderTypeCode "${type}" is not one of 220, 227`);
  } else {
    if (!text(kid(root, "SequenceNumberID"))) problems.push("BIS: SequenceNumberID is mandatory in an Order Change");
    if (!text(at(root, "OrderReference/ID"))) problems.push("BIS: OrderReference/ID is mandatory in an Order Change");
  }

  // Amounts: one currency (R003), at most 2 decimals except unit prices (R028).
  walk(root, (e, ancestors) => {
    const isAmount = AMOUNT_NAMES.has(e.name) || ancestors[ancestors.length - 1]?.name === "AnticipatedMonetaryTotal";
    if (!isAmount || e.ns !== "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2") return;
    if (e.attrs.currencyID !== undefined && e.attrs.currencyID !== currency) problems.push(`PEPPOL-T01-R003: ${e.path}@currencyID ${e.attrs.currencyID} is not the document currency ${currency}`);
    if (!/^-?\d+(\.\d+)?$/.test(text(e))) problems.push(`BIS: ${e.path} "${text(e)}" is not a decimal number`);
    if (!ancestors.some((a) => a.name === "Price") && (text(e).split(".")[1] ?? "").length > 2) problems.push(`PEPPOL-T01-R028: ${e.path} "${text(e)}" has more than 2 decimals`);
  });

  // Tax categories (R029, R030, UNCL 5305).
  walk(root, (e) => {
    if (e.name !== "TaxCategory" && e.name !== "ClassifiedTaxCategory") return;
    const id = text(kid(e, "ID"));
    if (!UNCL5305.has(id)) problems.push(`CL: ${e.path}/ID "${id}" is not a UNCL 5305 code`);
    if (!kid(e, "Percent") && id !== "O") problems.push(`PEPPOL-T01-R029: ${e.path} SHALL have a rate`);
    if (id === "S" && !(num(kid(e, "Percent")) > 0)) problems.push(`PEPPOL-T01-R030: ${e.path} standard rated SHALL have a rate above zero`);
  });

  // Lines (R001, R004, R005, R024, R025).
  const lines = kids(root, "OrderLine");
  if (lines.length === 0) problems.push("BIS: an order SHALL have at least one OrderLine");
  const ids = new Map<string, number>();
  let sumLines = 0;
  for (const orderLine of lines) {
    const item = kid(orderLine, "LineItem");
    if (!item) {
      problems.push(`BIS: ${orderLine.path}/LineItem is mandatory`);
      continue;
    }
    const id = text(kid(item, "ID"));
    if (!id) problems.push(`BIS: ${item.path}/ID is mandatory`);
    ids.set(id, (ids.get(id) ?? 0) + 1);
    if (!text(at(item, "Item/Name"))) problems.push(`BIS: ${item.path}/Item/Name is mandatory`);
    if (kind === "OrderChange" && !ORDER_CHANGE_LINE_STATUS.has(text(kid(item, "LineStatusCode")))) problems.push(`CL: ${item.path}/LineStatusCode "${text(kid(item, "LineStatusCode"))}" is not 1, 2, 3 or 4`);
    const quantity = num(kid(item, "Quantity"), 1);
    if (quantity < 0) problems.push(`PEPPOL-T01-R004: ${item.path} quantity SHALL not be negative`);
    const price = kid(item, "Price");
    if (price && num(kid(price, "PriceAmount")) < 0) problems.push(`PEPPOL-T01-R005: ${price.path} net price SHALL not be negative`);
    const base = kid(price, "BaseQuantity");
    if (base && !(num(base) > 0)) problems.push(`PEPPOL-T01-R025: ${base.path} SHALL be above zero`);
    const baseQuantity = base && num(base) !== 0 ? num(base) : 1;
    const { allowances, charges } = allowanceSums(item);
    const lineAmount = num(kid(item, "LineExtensionAmount"));
    const expected = quantity * (num(kid(price, "PriceAmount")) / baseQuantity) + charges - allowances;
    if (Math.abs(lineAmount - expected) > 0.02 + 1e-9) problems.push(`PEPPOL-T01-R024: ${item.path} line amount ${lineAmount} SHALL equal quantity * price + charges - allowances (${round2(expected)})`);
    sumLines += lineAmount;
  }
  for (const [id, count] of ids) if (id && count > 1) problems.push(`PEPPOL-T01-R001: line id ${id} is used ${count} times`);

  // Document totals (R006-R011, R016, R017).
  const totals = kid(root, "AnticipatedMonetaryTotal");
  if (totals) {
    const lineExtension = num(kid(totals, "LineExtensionAmount"));
    const payable = num(kid(totals, "PayableAmount"));
    const allowanceTotal = num(kid(totals, "AllowanceTotalAmount"));
    const chargeTotal = num(kid(totals, "ChargeTotalAmount"));
    const prepaid = num(kid(totals, "PrepaidAmount"));
    const rounding = num(kid(totals, "PayableRoundingAmount"));
    const taxExclusive = kid(totals, "TaxExclusiveAmount") ? num(kid(totals, "TaxExclusiveAmount")) : lineExtension - allowanceTotal + chargeTotal;
    const taxInclusive = kid(totals, "TaxInclusiveAmount");
    const document = allowanceSums(root);
    if (!kid(totals, "PayableAmount")) problems.push("BIS: AnticipatedMonetaryTotal/PayableAmount is mandatory");
    if (payable < 0) problems.push("PEPPOL-T01-R006: PayableAmount SHALL NOT be negative");
    if (lineExtension < 0) problems.push("PEPPOL-T01-R007: LineExtensionAmount SHALL NOT be negative");
    if (!same(lineExtension, round2(sumLines))) problems.push(`PEPPOL-T01-R008: LineExtensionAmount ${lineExtension} SHALL equal the sum of the lines ${round2(sumLines)}`);
    if (!same(allowanceTotal, document.allowances)) problems.push(`PEPPOL-T01-R009: AllowanceTotalAmount ${allowanceTotal} SHALL equal the document allowances ${document.allowances}`);
    if (!same(chargeTotal, document.charges)) problems.push(`PEPPOL-T01-R010: ChargeTotalAmount ${chargeTotal} SHALL equal the document charges ${document.charges}`);
    if (!same(round2(taxExclusive), round2(lineExtension - allowanceTotal + chargeTotal))) problems.push("PEPPOL-T01-R011: TaxExclusiveAmount SHALL equal LineExtensionAmount - allowances + charges");
    if (taxInclusive && !same(round2(payable), round2(num(taxInclusive) - prepaid + rounding))) problems.push("PEPPOL-T01-R016: PayableAmount SHALL equal TaxInclusiveAmount - PrepaidAmount + PayableRoundingAmount");
    const taxAmount = at(root, "TaxTotal/TaxAmount");
    if (taxInclusive && taxAmount && !same(round2(num(taxInclusive)), round2(taxExclusive + num(taxAmount)))) problems.push("PEPPOL-T01-R017: TaxInclusiveAmount SHALL equal TaxExclusiveAmount + TaxTotal/TaxAmount");
  }
  return problems;
}
