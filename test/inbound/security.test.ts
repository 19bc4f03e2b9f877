/**
 * Hostile input, case by case: each a clear 4xx with a code, nothing stored, nothing applied,
 * the attempt logged without its secrets. (test/inbound/hostile.test.ts runs 10,000
 * generated ones.)
 */
import { request } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentsDir, readFixture } from "../../sidecar/src/partners/test-support/fixtures.ts";
import { cxmlConfirmation, easypostTracking, shippoTracking, signed, startInboundStack, waitFor, SECRETS, type InboundStack } from "./support.ts";

let s: InboundStack;
beforeAll(async () => {
  s = await startInboundStack({ inbound: { AFTERSHIP: { rate: { requests: 3, per_ms: 60_000 } }, EASYPOST: { max_body_bytes: 4096 } } });
});
afterAll(async () => {
  await s?.stop();
});

/** Posts, and checks that the refusal changed nothing. */
async function refused(partner: string, body: string | Buffer, headers: Record<string, string>, query = "") {
  const odoo = s.odoo.inbound.snapshot();
  const stored = s.sidecar.inbound.store.counts();
  const answer = await s.post(partner, body, headers, query);
  expect(s.sidecar.inbound.store.counts()).toEqual(stored);
  expect(s.odoo.inbound.snapshot()).toBe(odoo);
  return answer;
}

const codeOf = (a: { json: () => unknown }) => (a.json() as { error: { code: string } }).error.code;

describe("signatures", () => {
  const body = easypostTracking({ tracking: "SEC-1", status: "in_transit", at: "2026-12-01T08:00:00Z" });

  it("forged: a signature made with another secret is 401 signature_mismatch", async () => {
    const a = await refused("EASYPOST", body, signed.easypost(body, "not-the-secret"));
    expect(a.status).toBe(401);
    expect(codeOf(a)).toBe("signature_mismatch");
  });

  it("forged: the right signature over other bytes (one trailing newline) is refused", async () => {
    const a = await refused("EASYPOST", `${body}\n`, signed.easypost(body));
    expect(a.status).toBe(401);
  });

  it("missing: no signature header is 401 missing_signature", async () => {
    const a = await refused("EASYPOST", body, { "content-type": "application/json" });
    expect(a.status).toBe(401);
    expect(codeOf(a)).toBe("missing_signature");
  });

  it("missing: a cXML document without SharedSecret, or with a wrong one, gets a cXML Status 401", async () => {
    const doc = cxmlConfirmation({ po: "P1", type: "accept" });
    const none = await refused("WOODCORNER", doc.replace(/<SharedSecret>[^<]*<\/SharedSecret>/, ""), signed.xml());
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toContain("text/xml");
    expect(none.text).toMatch(/<Status code="401" text="Unauthorized">missing_signature: /);
    const wrong = await refused("WOODCORNER", cxmlConfirmation({ po: "P1", type: "accept", secret: "guess" }), signed.xml());
    expect(wrong.text).toContain('<Status code="401"');
    // The FOCXML partner also requires the sender identity.
    const identity = await refused("FOCXML", cxmlConfirmation({ po: "P1", type: "accept", secret: SECRETS.FOCXML, identity: "AN99999999" }), signed.xml());
    expect(identity.status).toBe(401);
  });

  it("stale timestamps: Standard Webhooks and Shippo more than 300 s away are 401 timestamp_out_of_tolerance", async () => {
    const canonical = JSON.stringify({ id: "0b7e4c1e-5a0f-4f57-9d8e-4d0f1a2b3c4d", type: "carrier.tracking_updated", version: 1, data: {} });
    const old = await refused("CANON", canonical, signed.standard(canonical, SECRETS.CANONICAL, "msg_1", new Date(Date.now() - 301_000)));
    expect(old.status).toBe(401);
    expect(codeOf(old)).toBe("timestamp_out_of_tolerance");
    const future = await refused("CANON", canonical, signed.standard(canonical, SECRETS.CANONICAL, "msg_1", new Date(Date.now() + 3_600_000)));
    expect(codeOf(future)).toBe("timestamp_out_of_tolerance");
    const shippo = shippoTracking({ tracking: "SEC-2", status: "TRANSIT", at: "2026-12-01T08:00:00Z" });
    const stale = await refused("SHIPPO", shippo, signed.shippo(shippo, SECRETS.SHIPPO, Math.floor(Date.now() / 1000) - 3600));
    expect(codeOf(stale)).toBe("timestamp_out_of_tolerance");
  });

  it("replayed: a valid message sent again is acknowledged as a duplicate and applied once; replayed late with its old timestamp it is refused", async () => {
    s.odoo.inbound.addDeliveryOrder("SHIPPO", { tracking: "SEC-REPLAY" });
    const message = shippoTracking({ tracking: "SEC-REPLAY", status: "TRANSIT", at: "2026-12-01T08:00:00Z" });
    const t = Math.floor(Date.now() / 1000);
    const headers = signed.shippo(message, SECRETS.SHIPPO, t - 200);
    expect((await s.post("SHIPPO", message, headers)).json()).toMatchObject({ duplicate: false });
    await waitFor(() => s.odoo.inbound.calls.flat().some((e) => e.subject_ref === "SEC-REPLAY"), "applied");
    expect((await s.post("SHIPPO", message, headers)).json()).toMatchObject({ duplicate: true });
    // The same bytes and signature, captured and replayed after the tolerance.
    const late = await refused("SHIPPO", message, signed.shippo(message, SECRETS.SHIPPO, t - 400));
    expect(codeOf(late)).toBe("timestamp_out_of_tolerance");
    await new Promise((r) => setTimeout(r, 100));
    expect(s.odoo.inbound.calls.flat().filter((e) => e.subject_ref === "SEC-REPLAY")).toHaveLength(1);
  });
});

describe("bodies and content types", () => {
  it("oversized: a declared Content-Length above max_body_bytes is 413 before anything is read", async () => {
    const big = `{"pad":"${"a".repeat(5000)}"}`;
    const a = await refused("EASYPOST", big, signed.easypost(big));
    expect(a.status).toBe(413);
    expect(codeOf(a)).toBe("payload_too_large");
  });

  it("oversized: a chunked body (no Content-Length) is cut off at max_body_bytes with 413", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${s.url}/inbound/EASYPOST`, { method: "POST", headers: { "content-type": "application/json", "x-hmac-signature": "hmac-sha256-hex=00", "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 10; i++) req.write("x".repeat(1000));
      req.end();
    });
    expect(status).toBe(413);
  });

  it("malformed XML (a real not-well-formed ASN) and malformed JSON, validly signed, are 400", async () => {
    const xml = readFileSync(join(documentsDir, "cxml_shipnotice_not_well_formed.xml"));
    const a = await refused("WOODCORNER", xml, signed.xml());
    expect(a.status).toBe(400);
    expect(a.text).toMatch(/<Status code="400" text="Bad Request">unreadable_document: /);
    const json = '{"object":"Event","id":"evt_1",';
    const b = await refused("EASYPOST", json, signed.easypost(json));
    expect(b.status).toBe(400);
    expect(codeOf(b)).toBe("not_json");
  });

  it("entity bombs and external entities in a cXML document with the right secret are 400", async () => {
    const doc = cxmlConfirmation({ po: "P1", type: "accept" });
    const bomb = doc.replace('<cXML payloadID', '<!DOCTYPE cXML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<cXML payloadID').replace(/<!DOCTYPE cXML SYSTEM [^>]*>\n/, "");
    const a = await refused("WOODCORNER", bomb, signed.xml());
    expect(a.status).toBe(400);
    expect(a.text).toContain("entity declarations are refused");
    const xxe = doc.replace(/<!DOCTYPE cXML SYSTEM [^>]*>/, '<!DOCTYPE cXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>').replace("credit", "&x;");
    const b = await refused("WOODCORNER", xxe, signed.xml());
    expect(b.status).toBe(400);
    expect(b.text).toContain("entity declarations are refused");
  });

  it("XML characters the parser lets through (NUL, ']]>' in content) are refused as not well-formed", async () => {
    const doc = cxmlConfirmation({ po: "P1", type: "accept" });
    for (const junk of ["\u0000", "]]>"]) {
      const a = await refused("WOODCORNER", doc.replace("<OrderReference", `${junk}<OrderReference`), signed.xml());
      expect(a.status).toBe(400);
      expect(a.text).toContain("not_well_formed");
      expect(a.text).toMatch(/is not allowed in XML|outside a CDATA section/);
    }
  });

  it("wrong content types are 415", async () => {
    const body = easypostTracking({ tracking: "SEC-3", status: "in_transit", at: "2026-12-01T08:00:00Z" });
    for (const type of ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const a = await refused("EASYPOST", body, { ...signed.easypost(body), "content-type": type });
      expect(a.status, type).toBe(415);
      expect(codeOf(a)).toBe("unsupported_media_type");
    }
    const xml = await refused("WOODCORNER", cxmlConfirmation({ po: "P1", type: "accept" }), { "content-type": "application/json" });
    expect(xml.status).toBe(415);
  });

  it("an empty body is 400; an unknown partner 404", async () => {
    expect((await refused("EASYPOST", "", signed.easypost(""))).status).toBe(400);
    const unknown = await refused("NOBODY", "{}", { "content-type": "application/json" });
    expect(unknown.status).toBe(404);
    expect(codeOf(unknown)).toBe("unknown_partner");
  });

  it("a cXML Response or OrderRequest posted in is not news: 400", async () => {
    const response = readFixture("cxml/officeluv_response_status_200.xml");
    const a = await s.post("WOODCORNER", response, signed.xml());
    // (The Response has no SharedSecret: it cannot even be authenticated.)
    expect(a.status).toBe(401);
  });
});

describe("rate limit", () => {
  it("past the partner's rate a request is 429 with Retry-After, whatever it carries", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const a = await s.post("AFTERSHIP", "{}", { "content-type": "application/json" });
      statuses.push(a.status);
      retryAfter ??= a.headers.get("retry-after");
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another partner is not held up.
    expect((await s.post("SHIPPO", "{}", { "content-type": "application/json" })).status).toBe(401);
  });
});

describe("answers written straight to Node's response", () => {
  it("carry the request id (echoed or made) and a content length", async () => {
    const body = JSON.stringify({ id: "evt_request_id_check", object: "Event", mode: "production", description: "batch.created", result: { object: "Batch" } });
    const echoed = await fetch(`${s.url}/inbound/EASYPOST`, { method: "POST", headers: { ...signed.easypost(body), "x-request-id": "req-from-partner-42" }, body });
    expect(echoed.status).toBe(202);
    expect(echoed.headers.get("x-request-id")).toBe("req-from-partner-42");
    const text = await echoed.text();
    expect(echoed.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text)).toMatchObject({ accepted: true, status: "received", duplicate: false });
    const refused = await fetch(`${s.url}/inbound/EASYPOST`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("logs", () => {
  it("every refusal is logged with its reason, never with the secrets or the signatures offered", () => {
    const refusals = s.logs.filter((l) => l.includes('"inbound refused"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(refusals.length).toBeGreaterThan(10);
    expect(refusals.map((r) => r.code)).toEqual(expect.arrayContaining(["signature_mismatch", "missing_signature", "timestamp_out_of_tolerance", "payload_too_large", "unsupported_media_type", "rate_limited", "not_json"]));
    for (const r of refusals) expect(r).toMatchObject({ request_id: expect.any(String), status: expect.any(Number), reason: expect.any(String) });
    const all = s.logs.join("");
    for (const secret of Object.values(SECRETS)) expect(all.includes(secret), "a secret in the logs").toBe(false);
    expect(all).not.toContain("hmac-sha256-hex=");
    expect(all).not.toContain("guess");
  });
});
