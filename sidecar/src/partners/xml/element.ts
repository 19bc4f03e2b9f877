import { fail } from "../result.ts";
import type { XmlElement } from "./safe-xml.ts";

/**
 * Small navigation helpers over parsed elements. The `require*` variants fail with a
 * refusal naming the element path and line, which is what a partner needs to fix a document.
 */

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function children(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** First element along a slash-separated path of local names, e.g. `Header/Sender/Credential`. */
export function descend(element: XmlElement, path: string): XmlElement | undefined {
  let current: XmlElement | undefined = element;
  for (const step of path.split("/")) {
    if (!current) return undefined;
    current = child(current, step);
  }
  return current;
}

/** Every element reached by a slash-separated path (all branches). */
export function descendAll(element: XmlElement, path: string): XmlElement[] {
  let current: XmlElement[] = [element];
  for (const step of path.split("/")) {
    current = current.flatMap((e) => children(e, step));
  }
  return current;
}

/** Trimmed text, or undefined when the element is absent or blank. */
export function textOf(element: XmlElement | undefined): string | undefined {
  if (!element) return undefined;
  const value = element.text.trim();
  return value === "" ? undefined : value;
}

/** Trimmed attribute value, or undefined when absent or blank (partners send `attr=""` for "none"). */
export function attrOf(element: XmlElement | undefined, name: string): string | undefined {
  const value = element?.attrs[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

export function requireChild(element: XmlElement, name: string): XmlElement {
  const found = child(element, name);
  if (!found) fail("invalid_document", `required element ${name} is missing`, { path: `${element.path}/${name}`, line: element.line });
  return found;
}

export function requireText(element: XmlElement, name?: string): string {
  const target = name === undefined ? element : requireChild(element, name);
  const value = textOf(target);
  if (value === undefined) fail("invalid_document", `element ${target.name} must not be empty`, { path: target.path, line: target.line });
  return value;
}

export function requireAttr(element: XmlElement, name: string): string {
  const value = attrOf(element, name);
  if (value === undefined) {
    const state = element.attrs[name] === undefined ? "is missing" : "is empty";
    fail("invalid_document", `required attribute ${name} ${state}`, { path: `${element.path}@${name}`, line: element.line });
  }
  return value;
}

/** Parses a decimal number as partners write it ("10", "0.010", "22.5"); fails on anything else. */
export function parseDecimal(value: string, where: { path: string; line?: number }): number {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) {
    fail("invalid_document", `"${value.slice(0, 40)}" is not a number`, where);
  }
  const n = Number(value);
  if (!Number.isFinite(n)) fail("invalid_document", `"${value.slice(0, 40)}" is not a finite number`, where);
  return n;
}

export function requireDecimalAttr(element: XmlElement, name: string): number {
  return parseDecimal(requireAttr(element, name), { path: `${element.path}@${name}`, line: element.line });
}

export function optionalDecimalAttr(element: XmlElement, name: string): number | null {
  const value = attrOf(element, name);
  return value === undefined ? null : parseDecimal(value, { path: `${element.path}@${name}`, line: element.line });
}

export function decimalText(element: XmlElement): number {
  return parseDecimal(requireText(element), { path: element.path, line: element.line });
}

/** A quantity attribute: a number that is not negative (a negative quantity is never meaningful). */
export function requireQuantityAttr(element: XmlElement, name: string): number {
  const value = requireDecimalAttr(element, name);
  if (value < 0) fail("invalid_document", `${name} ${value} is negative`, { path: `${element.path}@${name}`, line: element.line });
  return value;
}
