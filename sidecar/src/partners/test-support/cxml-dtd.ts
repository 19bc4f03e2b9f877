import { parseXml, type XmlElement } from "../xml/safe-xml.ts";

/**
 * A structural check of a cXML OrderRequest against what cXML.dtd (1.2.0xx) requires of the
 * elements an order carries: each element's content model (children, their order and how
 * often), its #REQUIRED attributes and enumerated attribute values. The DTD itself is never
 * read (no DTD or entity is resolved anywhere): its rules for these elements are written out
 * below. Elements outside this table are not looked into.
 *
 * `checkCxmlOrderRequest(xml)` returns the problems found, [] for a document that passes.
 * Used by our tests and by the partner simulator to refuse what a procurement network would.
 */

type Occurrence = "1" | "?" | "*" | "+";
/** One particle of a sequence: one of `names`, `occurs` times. */
type Particle = { names: string[]; occurs: Occurrence };

interface ElementRule {
  /** A sequence of particles; "any": not checked; "text": character data only; "mixed": text and these elements. */
  content: Particle[] | "any" | "text" | "empty" | { mixed: string[] };
  required?: string[];
  enums?: Record<string, readonly string[]>;
  /** Attribute values of a DTD datatype: %uint, %r8 (a decimal number). */
  types?: Record<string, "uint" | "r8">;
}

/** `"Total, ShipTo?, (ItemDetail | BlanketItemDetail)?, ItemOut+"` → particles. */
function seq(model: string): Particle[] {
  return model.split(/,(?![^(]*\))/).map((part) => {
    const m = /^\s*\(?([\w\s|]+?)\)?([?*+]?)\s*$/.exec(part);
    if (!m) throw new Error(`bad content model part "${part}"`);
    return { names: m[1]!.split("|").map((n) => n.trim()), occurs: (m[2] || "1") as Occurrence };
  });
}

const ISO_COUNTRY = /^[A-Z]{2}$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** cXML.dtd 1.2.0xx, the elements of an OrderRequest and its envelope. */
export const CXML_ORDER_RULES: Readonly<Record<string, ElementRule>> = {
  cXML: { content: seq("Header?, (Request | Response | Message)"), required: ["payloadID", "timestamp"] },
  Header: { content: seq("From, To, Sender, Path?, OriginalDocument?") },
  From: { content: seq("Credential+, Correspondent?") },
  To: { content: seq("Credential+, Correspondent?") },
  Sender: { content: seq("Credential+, UserAgent") },
  Credential: { content: seq("Identity, (SharedSecret | DigitalSignature | CredentialMac)?"), required: ["domain"] },
  UserAgent: { content: "text" },
  Request: { content: seq("OrderRequest"), enums: { deploymentMode: ["production", "test"] } },
  OrderRequest: { content: seq("OrderRequestHeader, ItemOut+") },
  OrderRequestHeader: {
    content: seq(
      "Total, ShipTo?, BillTo, BusinessPartner*, LegalEntity?, OrganizationalUnit*, Shipping?, Tax?, Payment?, PaymentTerm*, PaymentInformation?, Contact*, Comments*, Followup?, ControlKeys?, DocumentReference?, SupplierOrderInfo?, TermsOfDelivery?, DeliveryPeriod?, IdReference*, OrderRequestHeaderIndustry?, Extrinsic*",
    ),
    required: ["orderID", "orderDate"],
    enums: { type: ["new", "update", "delete"], orderType: ["regular", "release", "blanket", "stockTransport", "stockTransportRelease"] },
    types: { orderVersion: "uint" },
  },
  Total: { content: seq("Money, Modifications?") },
  Money: { content: "text", required: ["currency"] },
  ShipTo: { content: seq("Address, CarrierIdentifier*, TransportInformation*, IdReference*") },
  BillTo: { content: seq("Address, IdReference*") },
  Address: { content: seq("Name, PostalAddress?, Email?, Phone?, Fax?, URL?") },
  Name: { content: "text", required: ["xml:lang"] },
  PostalAddress: { content: seq("DeliverTo*, Street+, City, Municipality?, State?, PostalCode?, Country, Extrinsic*") },
  DeliverTo: { content: "text" },
  Street: { content: "text" },
  City: { content: "text" },
  State: { content: "text" },
  PostalCode: { content: "text" },
  Country: { content: "text", required: ["isoCountryCode"] },
  Email: { content: "text" },
  Phone: { content: seq("TelephoneNumber") },
  TelephoneNumber: { content: seq("CountryCode, AreaOrCityCode, Number, Extension?") },
  CountryCode: { content: "text", required: ["isoCountryCode"] },
  AreaOrCityCode: { content: "text" },
  Number: { content: "text" },
  Contact: { content: seq("Name, PostalAddress*, Email*, Phone*, Fax*, URL*, IdReference*, Extrinsic*") },
  PaymentTerm: { content: seq("Discount?, Extrinsic*"), required: ["payInNumberOfDays"], types: { payInNumberOfDays: "uint" } },
  DocumentReference: { content: "empty", required: ["payloadID"] },
  Extrinsic: { content: "any", required: ["name"] },
  Comments: { content: { mixed: ["Attachment"] } },
  ItemOut: {
    content: seq(
      "ItemID, Path?, (ItemDetail | BlanketItemDetail)?, SupplierID?, SupplierList?, ShipTo?, Shipping?, Tax?, SpendDetail?, Distribution*, Contact*, TermsOfDelivery?, Comments?, Tolerances?, ControlKeys?, ScheduleLine*, MasterAgreementContract?, MasterAgreementIDInfo?, ItemOutIndustry?, Packaging*, ReleaseInfo?, Batch?",
    ),
    required: ["quantity"],
    types: { quantity: "r8", lineNumber: "uint" },
  },
  ItemID: { content: seq("SupplierPartID, SupplierPartAuxiliaryID?, BuyerPartID?, IdReference*") },
  SupplierPartID: { content: "text" },
  BuyerPartID: { content: "text" },
  ItemDetail: {
    content: seq(
      "UnitPrice, Description+, OverallLimit?, ExpectedLimit?, UnitOfMeasure, PriceBasisQuantity?, Classification+, ManufacturerPartID?, ManufacturerName?, URL?, LeadTime?, Dimension*, ItemDetailIndustry?, AttachmentReference*, PlannedAcceptanceDays?, Extrinsic*",
    ),
  },
  UnitPrice: { content: seq("Money, Modifications?, PricingConditions?") },
  Description: { content: { mixed: ["ShortName"] }, required: ["xml:lang"] },
  UnitOfMeasure: { content: "text" },
  Classification: { content: "text", required: ["domain"] },
};

function matchSequence(element: XmlElement, particles: Particle[], problems: string[]): void {
  const kids = element.children;
  let i = 0;
  for (const particle of particles) {
    let count = 0;
    const max = particle.occurs === "1" || particle.occurs === "?" ? 1 : Infinity;
    while (i < kids.length && count < max && particle.names.includes(kids[i]!.name)) {
      i++;
      count++;
    }
    if (count === 0 && (particle.occurs === "1" || particle.occurs === "+")) {
      problems.push(`${element.path}: missing required ${particle.names.join(" or ")}${i < kids.length ? ` before ${kids[i]!.name}` : ""}`);
    }
  }
  if (i < kids.length) {
    const allowed = particles.some((p) => p.names.includes(kids[i]!.name));
    problems.push(`${kids[i]!.path}: ${kids[i]!.name} is ${allowed ? "out of order or repeated" : "not allowed"} in ${element.name}`);
  }
}

function checkElement(element: XmlElement, problems: string[]): void {
  const rule = CXML_ORDER_RULES[element.name];
  if (!rule) return;
  for (const name of rule.required ?? []) {
    if (element.attrs[name] === undefined) problems.push(`${element.path}: required attribute ${name} is missing`);
  }
  for (const [name, values] of Object.entries(rule.enums ?? {})) {
    const value = element.attrs[name];
    if (value !== undefined && !values.includes(value)) problems.push(`${element.path}@${name}: "${value}" is not one of ${values.join(", ")}`);
  }
  for (const [name, type] of Object.entries(rule.types ?? {})) {
    const value = element.attrs[name];
    if (value === undefined) continue;
    if (type === "uint" ? !/^\d+$/.test(value) : !DECIMAL.test(value)) problems.push(`${element.path}@${name}: "${value}" is not ${type === "uint" ? "a whole number" : "a decimal number"}`);
  }
  const content = rule.content;
  if (content === "text" || content === "empty") {
    if (element.children.length > 0) problems.push(`${element.path}: ${element.name} must not contain elements (${element.children[0]!.name})`);
    if (content === "empty" && element.text.trim() !== "") problems.push(`${element.path}: ${element.name} must be empty`);
  } else if (Array.isArray(content)) {
    matchSequence(element, content, problems);
  } else if (content !== "any") {
    for (const c of element.children) if (!content.mixed.includes(c.name)) problems.push(`${c.path}: ${c.name} is not allowed in ${element.name}`);
  }
  if (content !== "any") for (const c of element.children) checkElement(c, problems);
}

/** Value rules the DTD states in its comments for what we send. */
function checkValues(root: XmlElement, problems: string[]): void {
  const walk = (e: XmlElement) => {
    if (e.name === "Money" && !DECIMAL.test(e.text.trim())) problems.push(`${e.path}: Money "${e.text.trim()}" is not a decimal number`);
    if (e.name === "Money" && e.attrs.currency !== undefined && !/^[A-Z]{3}$/.test(e.attrs.currency)) problems.push(`${e.path}@currency: "${e.attrs.currency}" is not an ISO 4217 code`);
    if ((e.name === "Country" || e.name === "CountryCode" || e.name === "Address") && e.attrs.isoCountryCode !== undefined && !ISO_COUNTRY.test(e.attrs.isoCountryCode)) {
      problems.push(`${e.path}@isoCountryCode: "${e.attrs.isoCountryCode}" is not an ISO 3166 code`);
    }
    if (e.name === "UnitOfMeasure" && e.text.trim() === "") problems.push(`${e.path}: UnitOfMeasure is empty`);
    e.children.forEach(walk);
  };
  walk(root);
}

/** The problems of a cXML OrderRequest against cXML.dtd's structure; [] when it passes. */
export function checkCxmlOrderRequest(xml: string | Uint8Array): string[] {
  const parsed = parseXml(xml);
  if (!parsed.ok) return [`not well-formed: ${parsed.reason}`];
  const root = parsed.document.root;
  if (root.name !== "cXML") return [`root element is ${root.name}, not cXML`];
  if (!root.children.some((c) => c.name === "Request" && c.children.some((r) => r.name === "OrderRequest"))) return ["cXML carries no Request/OrderRequest"];
  const problems: string[] = [];
  checkElement(root, problems);
  checkValues(root, problems);
  return problems;
}
