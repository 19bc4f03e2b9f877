/**
 * Two XML 1.0 well-formedness rules that sax (under the safe parser) lets through:
 * - characters XML cannot carry at all: C0 controls other than tab, LF and CR (NUL included);
 * - `]]>` in character data (it may only close a CDATA section).
 * A document breaking either is not well-formed. The safe parser checks every document it
 * reads; the inbound route checks the raw bytes first, before verification reads anything.
 * On bytes, offsets are byte offsets; on text, character offsets.
 */
export function xmlCharacterProblem(input: Uint8Array | string): { message: string; offset: number } | null {
  // UTF-8 never uses bytes below 0x80 inside a multi-byte sequence: latin1 keeps every C0 byte as it is.
  const text = typeof input === "string" ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("latin1");
  const unit = typeof input === "string" ? "character" : "byte";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return { message: `character 0x${c.toString(16).padStart(2, "0")} at ${unit} ${i} is not allowed in XML`, offset: i };
  }
  let from = 0;
  for (;;) {
    const end = text.indexOf("]]>", from);
    if (end === -1) return null;
    const open = text.lastIndexOf("<![CDATA[", end);
    // Inside a CDATA section opened after the previous section's end: the proper close.
    if (open !== -1 && open >= from) {
      from = end + 3;
      continue;
    }
    return { message: `"]]>" at ${unit} ${end} outside a CDATA section`, offset: end };
  }
}
