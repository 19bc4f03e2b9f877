/**
 * A tiny XML writer for the documents we send. Building strings (rather than a DOM) keeps
 * encoding fast and dependency-free; every value goes through escaping here and nowhere else.
 */

// Most values (codes, numbers, dates) need no escaping: one test skips five replaces.
const NEEDS_TEXT_ESCAPE = /[&<>\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const NEEDS_ATTR_ESCAPE = /[&<>"\u0000-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function escapeText(value: string): string {
  if (!NEEDS_TEXT_ESCAPE.test(value)) return value;
  return stripInvalidXmlChars(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function escapeAttr(value: string): string {
  if (!NEEDS_ATTR_ESCAPE.test(value)) return value;
  return escapeText(value).replace(/"/g, "&quot;").replace(/\r/g, "&#13;").replace(/\n/g, "&#10;").replace(/\t/g, "&#9;");
}

// Characters XML 1.0 cannot carry at all (C0 controls except tab/newline/CR, lone surrogates,
// U+FFFE/U+FFFF). Odoo text can contain them (pasted descriptions); we drop them rather than
// emit a document the partner cannot parse.
export function stripInvalidXmlChars(value: string): string {
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "");
}

export type Attributes = Record<string, string | number | null | undefined>;

/** An element node to serialise: children are nodes or already-escaped strings from `el`. */
export interface XmlNodeSpec {
  name: string;
  attrs?: Attributes;
  text?: string | number | null;
  children?: (XmlNodeSpec | null | undefined | false)[];
}

export function el(name: string, attrs?: Attributes | null, ...children: (XmlNodeSpec | string | number | null | undefined | false)[]): XmlNodeSpec {
  const spec: XmlNodeSpec = { name, children: [] };
  if (attrs) spec.attrs = attrs;
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (typeof c === "string" || typeof c === "number") spec.text = (spec.text ?? "") + String(c);
    else spec.children!.push(c);
  }
  return spec;
}

function renderAttrs(attrs: Attributes | undefined): string {
  if (!attrs) return "";
  let out = "";
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    out += ` ${key}="${escapeAttr(String(value))}"`;
  }
  return out;
}

/** Serialises with two-space indentation; text-only elements stay on one line. */
export function render(node: XmlNodeSpec, indent = 0): string {
  const pad = "  ".repeat(indent);
  const kids = (node.children ?? []).filter((c): c is XmlNodeSpec => Boolean(c));
  const attrs = renderAttrs(node.attrs);
  const text = node.text === null || node.text === undefined ? "" : escapeText(String(node.text));
  if (kids.length === 0) {
    return text === "" ? `${pad}<${node.name}${attrs}/>` : `${pad}<${node.name}${attrs}>${text}</${node.name}>`;
  }
  const inner = kids.map((k) => render(k, indent + 1)).join("\n");
  return `${pad}<${node.name}${attrs}>${text}\n${inner}\n${pad}</${node.name}>`;
}
