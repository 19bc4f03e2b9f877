import type { DecodeResult } from "./decode-result.ts";
import { describeRefusal, type RawDocument, type Refusal } from "./result.ts";
import { FORMAT_NAMES, decodeWith, detect, encodeWith, isFormatName, type FormatName } from "./registry.ts";

/**
 * `odc convert <format> <file>` and `odc render <format> <event.json>`, as pure functions:
 * bytes in, `{ exitCode, stdout, stderr }` out. The command wiring (reading files, writing
 * to the terminal, setting the exit code) lives in the `odc` entry point.
 */
export interface CliOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const refused = (refusal: Refusal): CliOutput => ({ exitCode: 1, stdout: "", stderr: `refused (${refusal.code}): ${describeRefusal(refusal)}\n` });

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function present(result: Exclude<DecodeResult, Refusal>): unknown {
  switch (result.kind) {
    case "event": {
      const { type, data, messageId, messageIdSource, testMode, subjectRef, occurredAt, format } = result.event;
      return { type, subject_ref: subjectRef, message_id: messageId, message_id_source: messageIdSource, test_mode: testMode, occurred_at: occurredAt, format, data };
    }
    case "ignored":
      return { ignored: true, reason: result.reason, message_id: result.messageId, test_mode: result.testMode };
    case "order":
      return { document: "purchase_order", message_id: result.messageId, test_mode: result.testMode, order: result.order };
    case "reply":
      return { document: "cxml_response", message_id: result.messageId, ...result.reply };
  }
}

/**
 * Decodes a partner document and prints the canonical JSON (exit 0), or the exact reason it
 * is refused, with element/field and line when known (exit 1). `format` may be `auto`.
 */
export function convert(format: string, fileBytes: RawDocument): CliOutput {
  let chosen = format;
  if (format === "auto") {
    const detected = detect(fileBytes);
    if (!detected.ok) return refused(detected);
    chosen = detected.format;
  }
  if (!isFormatName(chosen)) return { exitCode: 2, stdout: "", stderr: `unknown format "${format}"; use one of: auto, ${FORMAT_NAMES.join(", ")}\n` };
  const result = decodeWith(chosen, fileBytes);
  if (!result.ok) return refused(result);
  return { exitCode: 0, stdout: json(present(result)), stderr: "" };
}

const PREVIEW = "PREVIEW";

/**
 * Partner options for `odc render` without a partners file: placeholder identities and
 * secrets, clearly marked, so the document shape can be inspected. Real deliveries take
 * their options from the partner's configuration.
 */
export const PREVIEW_OPTIONS: Readonly<Record<FormatName, unknown>> = {
  cxml: {
    from: { domain: "NetworkID", identity: `${PREVIEW}-BUYER` },
    to: { domain: "NetworkID", identity: `${PREVIEW}-SUPPLIER` },
    sharedSecret: `${PREVIEW}-NOT-A-SECRET`,
    deploymentMode: "test",
    billTo: { name: `${PREVIEW} Company`, street: ["1 Preview Street"], city: "Preview City", postalCode: "0000", country: "BE" },
  },
  ubl: {
    buyer: { endpointId: "0000000000000", endpointScheme: "0088", name: `${PREVIEW} Company` },
    seller: { endpointId: "0000000000001", endpointScheme: "0088" },
  },
  easypost: {},
  shippo: {},
  aftership: {},
  shipengine: {},
  // A fixed, public test secret: the signature shows the header format, nothing more.
  canonical: { secrets: ["whsec_UFJFVklFVy1OT1QtQS1TRUNSRVQ="] },
};

/**
 * Encodes a canonical event as the format would send it: the body on stdout, the headers on
 * stderr as `# name: value` lines. With no `options`, placeholder PREVIEW options are used.
 */
export function render(format: string, eventJson: RawDocument, options?: unknown): CliOutput {
  if (!isFormatName(format)) return { exitCode: 2, stdout: "", stderr: `unknown format "${format}"; use one of: ${FORMAT_NAMES.join(", ")}\n` };
  let event: unknown;
  try {
    const text = typeof eventJson === "string" ? eventJson : Buffer.from(eventJson.buffer, eventJson.byteOffset, eventJson.byteLength).toString("utf8");
    event = JSON.parse(text);
  } catch (error) {
    return { exitCode: 1, stdout: "", stderr: `refused (not_json): event file is not JSON: ${error instanceof Error ? error.message : String(error)}\n` };
  }
  let chosen = options ?? PREVIEW_OPTIONS[format];
  if (format === "canonical" && options === undefined) {
    // Reproducible preview: sign at the event's own time.
    const occurred = typeof event === "object" && event !== null ? Date.parse(String((event as { occurred_at?: unknown }).occurred_at)) : NaN;
    chosen = { ...(chosen as object), timestamp: Number.isFinite(occurred) ? Math.floor(occurred / 1000) : 0 };
  }
  const result = encodeWith(format, event, chosen);
  if (!result.ok) return refused(result);
  const headers = [`# content-type: ${result.contentType}`, ...Object.entries(result.headers).map(([k, v]) => `# ${k}: ${v}`)].join("\n");
  return { exitCode: 0, stdout: result.body.endsWith("\n") ? result.body : `${result.body}\n`, stderr: `${headers}\n` };
}
