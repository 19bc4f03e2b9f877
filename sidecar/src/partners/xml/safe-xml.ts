import xml2js from "xml2js";
import { xmlCharacterProblem } from "./xml-chars.ts";
import { byteLength, refuse, type RawDocument, type Refusal } from "../result.ts";

/**
 * Safe XML reading for partner documents.
 *
 * Why a wrapper: partner XML arrives from the internet. We never resolve entities or fetch
 * DTDs (XXE, SSRF), refuse entity declarations outright (billion laughs), and bound size and
 * nesting so a hostile document cannot exhaust memory or the stack. Real cXML carries a
 * `<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/...dtd">` line: that one is accepted (and
 * never fetched), because refusing it would refuse every real cXML partner.
 */
export interface XmlLimits {
  /** Largest document accepted, in bytes. Default 5 MiB: real orders and ASNs are a few KiB. */
  maxBytes?: number;
  /** Deepest element nesting accepted. Default 64 (cXML and UBL stay under 15). */
  maxDepth?: number;
  /** Most elements accepted. Default 200,000. */
  maxElements?: number;
  /** Which DOCTYPE system identifiers are tolerated. Default: http(s) URLs of a `.dtd` file. */
  allowedDoctypeSystemId?: RegExp;
}

const DEFAULT_LIMITS: Required<XmlLimits> = {
  maxBytes: 5 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 200_000,
  allowedDoctypeSystemId: /^https?:\/\/[^\s"'<>]+\.dtd$/i,
};

/** One element, namespace-resolved, with its 1-based source line for error messages. */
export interface XmlElement {
  /** Local name (prefix removed). */
  name: string;
  /** Namespace URI, or null when the element is in no namespace. */
  ns: string | null;
  /** Attributes by the name written in the document (`xml:lang` keeps its prefix). */
  attrs: Record<string, string>;
  /** Direct text content, untrimmed; entity references already decoded. */
  text: string;
  children: XmlElement[];
  line: number;
  /** Where the element is, e.g. `cXML/Request/ConfirmationRequest/ConfirmationItem[2]`. */
  path: string;
}

export interface XmlDocument {
  root: XmlElement;
  /** The DOCTYPE as written (without `<!DOCTYPE` and `>`), when there was one. */
  doctype: string | null;
}

export type XmlParseResult = { ok: true; document: XmlDocument } | Refusal;

// A key no XML attribute name can have (NUL is not allowed in XML), used to carry the source
// position of each start tag through xml2js, which otherwise forgets positions.
const POSITION_KEY = "\u0000pos";

class StopParsing extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.reason);
  }
}

/** Decodes the bytes with the charset the XML declaration names (UTF-8 unless it says otherwise). */
// One decoder for every document (constructing one costs more than decoding a small body).
const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeText(raw: RawDocument): string | Refusal {
  if (typeof raw === "string") return raw;
  const bytes = raw;
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    return refuse("unsupported_document", "UTF-16 XML is not accepted; send UTF-8");
  }
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 200)).toString("latin1");
  const declared = /^\uFEFF?<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head.replace(/^\xEF\xBB\xBF/, ""))?.[1]?.toLowerCase();
  if (declared && ["iso-8859-1", "latin1", "latin-1", "iso8859-1"].includes(declared)) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  }
  if (declared && !["utf-8", "utf8", "us-ascii", "ascii"].includes(declared)) {
    return refuse("unsupported_document", `XML encoding "${declared}" is not accepted; send UTF-8`);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return refuse("not_well_formed", "document is not valid UTF-8");
  }
}

function lineIndex(text: string): (offset: number) => number {
  const starts: number[] = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function checkDoctype(doctype: string, limits: Required<XmlLimits>, line: number): Refusal | null {
  if (doctype.includes("[")) {
    if (/<!ENTITY/i.test(doctype) || /%[A-Za-z_:][\w.:-]*;/.test(doctype)) {
      return refuse("unsafe_xml", "DOCTYPE declares entities (internal subset with <!ENTITY>); entity declarations are refused", { path: "DOCTYPE", line });
    }
  }
  const external = /\b(?:SYSTEM\s*("[^"]*"|'[^']*')|PUBLIC\s*("[^"]*"|'[^']*')\s*("[^"]*"|'[^']*'))/.exec(doctype);
  if (external) {
    const literal = (external[1] ?? external[3] ?? "").slice(1, -1);
    if (!limits.allowedDoctypeSystemId.test(literal)) {
      return refuse("unsafe_xml", `DOCTYPE refers to an external resource that is not an http(s) DTD: "${literal.slice(0, 120)}"`, { path: "DOCTYPE", line });
    }
  }
  return null;
}

/** Parses a partner XML document safely; never throws, never fetches. */
export function parseXml(raw: RawDocument, options: XmlLimits = {}): XmlParseResult {
  const limits = { ...DEFAULT_LIMITS, ...options };
  if (byteLength(raw) > limits.maxBytes) {
    return refuse("too_large", `document is larger than ${limits.maxBytes} bytes`);
  }
  const decoded = decodeText(raw);
  if (typeof decoded !== "string") return decoded;
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  if (text.trim() === "") return refuse("not_well_formed", "document is empty");
  const lineOf = lineIndex(text);
  const badCharacters = xmlCharacterProblem(text);
  if (badCharacters) return refuse("not_well_formed", badCharacters.message, { line: lineOf(badCharacters.offset) });

  // Cheap pre-scan: an entity declaration anywhere is refused before the parser sees it.
  const entityAt = text.indexOf("<!ENTITY");
  if (entityAt !== -1) {
    return refuse("unsafe_xml", "document declares entities (<!ENTITY>); entity declarations are refused", { path: "DOCTYPE", line: lineOf(entityAt) });
  }

  // Children grouped by name (xml2js's fast mode); the recorded start-tag positions restore
  // document order. "@" and "#" cannot be XML names, so they never collide with an element.
  const parser = new xml2js.Parser({
    explicitChildren: false,
    explicitCharkey: true,
    explicitArray: true,
    explicitRoot: true,
    attrkey: "@",
    charkey: "#",
    trim: false,
    normalize: false,
    strict: true,
  });
  // xml2js exposes its sax parser; we hook it to enforce limits and remember positions.
  const sax = (parser as unknown as { saxParser: SaxLike }).saxParser;
  let depth = 0;
  let elements = 0;
  let roots = 0;
  let doctype: string | null = null;
  const openTag = sax.onopentag;
  const closeTag = sax.onclosetag;
  sax.onopentag = (node) => {
    depth += 1;
    elements += 1;
    const at = Math.max(0, sax.startTagPosition - 1);
    // sax accepts a second root element and xml2js would keep only the last one.
    if (depth === 1 && ++roots > 1) throw new StopParsing(refuse("not_well_formed", "XML is not well-formed: more than one root element", { line: lineOf(at) }));
    if (depth > limits.maxDepth) {
      throw new StopParsing(refuse("too_large", `elements are nested deeper than ${limits.maxDepth} levels`, { line: lineOf(at) }));
    }
    if (elements > limits.maxElements) {
      throw new StopParsing(refuse("too_large", `document has more than ${limits.maxElements} elements`, { line: lineOf(at) }));
    }
    // xml2js stores children under their names as object keys: a name like __proto__ or
    // constructor would land on Object.prototype's properties. No partner format uses them.
    if (node.name in Object.prototype || localName(node.name) in Object.prototype) {
      throw new StopParsing(refuse("unsupported_document", `element name "${node.name.slice(0, 40)}" is not accepted`, { line: lineOf(at) }));
    }
    node.attributes[POSITION_KEY] = String(at);
    openTag(node);
  };
  sax.onclosetag = (name) => {
    depth -= 1;
    closeTag(name);
  };
  sax.ondoctype = (value) => {
    doctype = value.trim();
    const problem = checkDoctype(value, limits, sax.line + 1);
    if (problem) throw new StopParsing(problem);
  };
  sax.onerror = (error) => {
    throw new StopParsing(saxRefusal(error));
  };

  let result: Record<string, XmlNode> | null;
  try {
    sax.write(text).close();
    result = (parser as unknown as { resultObject: Record<string, XmlNode> | null }).resultObject;
  } catch (error) {
    if (error instanceof StopParsing) return error.refusal;
    return refuse("not_well_formed", `XML could not be parsed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  const rootName = result ? Object.keys(result)[0] : undefined;
  if (!result || rootName === undefined) return refuse("not_well_formed", "document has no root element");
  const rootNode = result[rootName]!;
  const root = toElement(rootNode, rootName, "", new Map([["xml", "http://www.w3.org/XML/1998/namespace"]]), lineOf, 1);
  return { ok: true, document: { root, doctype } };
}

interface SaxLike {
  onopentag: (node: { name: string; attributes: Record<string, string> }) => void;
  onclosetag: (name: string) => void;
  ondoctype: (doctype: string) => void;
  onerror: (error: Error) => void;
  write(text: string): SaxLike;
  close(): SaxLike;
  startTagPosition: number;
  line: number;
}

interface XmlNode {
  "@"?: Record<string, string>;
  "#"?: string;
  [child: string]: XmlNode[] | Record<string, string> | string | undefined;
}

function saxRefusal(error: Error): Refusal {
  const [first, ...rest] = error.message.split("\n");
  const line = rest.find((l) => l.startsWith("Line: "));
  const lineNumber = line ? Number(line.slice(6)) + 1 : undefined;
  return refuse("not_well_formed", `XML is not well-formed: ${first}`, { line: lineNumber });
}

function toElement(
  node: XmlNode,
  qname: string,
  parentPath: string,
  scope: Map<string, string>,
  lineOf: (offset: number) => number,
  index: number,
  siblingsWithName = 1,
): XmlElement {
  const attrs: Record<string, string> = {};
  let position = 0;
  let localScope = scope;
  const rawAttrs = node["@"] ?? {};
  for (const key in rawAttrs) {
    const value = rawAttrs[key]!;
    if (key === POSITION_KEY) {
      position = Number(value);
      continue;
    }
    // An attribute named __proto__ would set the prototype of `attrs`; no format uses it.
    if (key === "__proto__") continue;
    attrs[key] = value;
    if (key === "xmlns" || key.startsWith("xmlns:")) {
      if (localScope === scope) localScope = new Map(scope);
      localScope.set(key === "xmlns" ? "" : key.slice(6), value);
    }
  }
  const colon = qname.indexOf(":");
  const prefix = colon === -1 ? "" : qname.slice(0, colon);
  const name = colon === -1 ? qname : qname.slice(colon + 1);
  const ns = localScope.get(prefix) || null;
  const path = `${parentPath ? `${parentPath}/` : ""}${name}${siblingsWithName > 1 ? `[${index}]` : ""}`;
  // Gather children with their start-tag positions, restore document order, then number
  // siblings by local name (prefixes may differ for one local name: a:ID, b:ID).
  const pending: { node: XmlNode; qname: string; local: string; position: number }[] = [];
  for (const key of Object.keys(node)) {
    if (key === "@" || key === "#") continue;
    const local = localName(key);
    for (const childNode of node[key] as XmlNode[]) pending.push({ node: childNode, qname: key, local, position: Number(childNode["@"]?.[POSITION_KEY] ?? 0) });
  }
  if (pending.length > 1) pending.sort((a, b) => a.position - b.position);
  const total = new Map<string, number>();
  for (const p of pending) total.set(p.local, (total.get(p.local) ?? 0) + 1);
  const seen = new Map<string, number>();
  const children = pending.map((p) => {
    const n = (seen.get(p.local) ?? 0) + 1;
    seen.set(p.local, n);
    return toElement(p.node, p.qname, path, localScope, lineOf, n, total.get(p.local));
  });
  return { name, ns, attrs, text: node["#"] ?? "", children, line: lineOf(position), path };
}

function localName(qname: string): string {
  const colon = qname.indexOf(":");
  return colon === -1 ? qname : qname.slice(colon + 1);
}
