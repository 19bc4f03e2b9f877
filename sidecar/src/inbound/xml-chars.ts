/**
 * Two XML 1.0 well-formedness rules the safe parser (partners/xml, sax underneath) lets
 * through, checked on the raw bytes before any XML partner document is read:
 * - characters XML cannot carry at all: C0 controls other than tab, LF and CR (NUL included);
 * - `]]>` in character data (it may only close a CDATA section).
 * A document breaking either is not well-formed; it is refused like any other.
 */
export function xmlCharacterProblem(bytes: Uint8Array): string | null {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return `character 0x${b.toString(16).padStart(2, "0")} at byte ${i} is not allowed in XML`;
  }
  let from = 0;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  for (;;) {
    const end = text.indexOf("]]>", from);
    if (end === -1) return null;
    const open = text.lastIndexOf("<![CDATA[", end);
    // Inside a CDATA section opened after the previous section's end: the proper close.
    if (open !== -1 && open >= from) {
      from = end + 3;
      continue;
    }
    return `"]]>" at byte ${end} outside a CDATA section`;
  }
}
