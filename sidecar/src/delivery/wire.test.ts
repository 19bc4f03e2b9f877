import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { Wire } from "../config/formats.ts";
import { contractsDir, readDocument, readFixture } from "../partners/test-support/fixtures.ts";
import type { AttemptOutcome, PreparedRequest } from "./attempt.ts";
import { interpretAnswer, prepareRequest } from "./wire.ts";

const A = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const B = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const example = (type: string) => readFileSync(join(contractsDir, "examples", `${type}.json`), "utf8");
const canonical: Wire = { format: "canonical", secrets: [A] };
const cxml: Wire = {
  format: "cxml",
  options: {
    from: { domain: "NetworkID", identity: "AN01" },
    to: { domain: "DUNS", identity: "123" },
    sharedSecret: "the-shared-secret",
    billTo: { name: "YourCompany", street: ["1 Main St"], city: "Brussels", country: "BE" },
  },
};
const ubl = (auth: Extract<Wire, { format: "ubl" }>["auth"]): Wire => ({ format: "ubl", options: { buyer: { endpointId: "5798000000001", endpointScheme: "0088", name: "YourCompany" }, seller: { endpointId: "5798000000002", endpointScheme: "0088" } }, auth });
const easypost: Wire = { format: "easypost", apiKey: "EZAK-key", options: { carrierAccountIds: ["ca_1"] } };

function prepared(wire: Wire, type: string, context = {}): PreparedRequest {
  const r = prepareRequest({ endpoint: "http://partner.test/in", wire }, [{ eventId: "evt-1", payload: example(type) }], { now: Date.now(), ...context });
  if ("ok" in r) throw new Error(r.reason);
  return r;
}

const answered = (status: number, body: string | Buffer, truncated = false): AttemptOutcome => {
  const answer = { body: Buffer.isBuffer(body) ? body : Buffer.from(body), contentType: "text/xml", truncated };
  return status >= 200 && status < 300 ? { ok: true, status, answer } : { ok: false, errorClass: status >= 500 ? "http_5xx" : "http_4xx", status, message: `HTTP ${status}`, retryable: status >= 500, answer };
};
const cxmlStatus = (code: number, text: string, detail = "") => `<?xml version="1.0"?><cXML payloadID="1@s" timestamp="2026-01-01T00:00:00+00:00"><Response><Status code="${code}" text="${text}">${detail}</Status></Response></cXML>`;

describe("canonical JSON, signed per Standard Webhooks", () => {
  it("is verified by the official standardwebhooks library, for any body, sent byte for byte as stored", () => {
    fc.assert(
      fc.property(fc.string(), fc.uuid(), (payload, id) => {
        const r = prepareRequest({ endpoint: "http://x", wire: canonical }, [{ eventId: id, payload }], { now: Date.now() });
        if ("ok" in r) return false;
        new Webhook(A).verify(payload, r.headers, { jsonParse: false } as never);
        return r.headers["webhook-id"] === id && r.body === payload && r.readAnswer === undefined;
      }),
      { numRuns: 200 },
    );
  });

  it("signs with every secret during a key rotation, each verifiable alone; one changed byte fails", () => {
    const body = '{"type":"purchase_order.confirmed"}';
    const r = prepareRequest({ endpoint: "http://x", wire: { format: "canonical", secrets: [A, B] } }, [{ eventId: "3f1c1a9e-0000-4000-8000-000000000001", payload: body }], { now: Date.now() }) as PreparedRequest;
    expect(r.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(A).verify(body, r.headers)).not.toThrow();
    expect(() => new Webhook(B).verify(body, r.headers)).not.toThrow();
    expect(() => new Webhook(A).verify(body.replace("confirmed", "cancelled"), r.headers)).toThrow();
  });

  it("batches carry each event as stored, under an id derived from the ids (a retry carries the same)", () => {
    const events = [{ eventId: "a", payload: '{"id":"a"}' }, { eventId: "b", payload: '{"id":"b"}' }];
    const one = prepareRequest({ endpoint: "http://x", wire: canonical }, events, { now: 1e12, batch: true }) as PreparedRequest;
    const two = prepareRequest({ endpoint: "http://x", wire: canonical }, events, { now: 2e12, batch: true }) as PreparedRequest;
    expect(one.body).toBe('{"events":[{"id":"a"},{"id":"b"}]}');
    expect(one.headers["webhook-id"]).toMatch(/^batch_[0-9a-f]{32}$/);
    expect(two.headers["webhook-id"]).toBe(one.headers["webhook-id"]);
    const single = prepareRequest({ endpoint: "http://x", wire: canonical }, [events[0]!], { now: 1e12, batch: true }) as PreparedRequest;
    expect(single.body).toBe('{"events":[{"id":"a"}]}');
  });
});

describe("partner formats on the wire", () => {
  it("cXML: an OrderRequest with the shared secret in its Header, its answer read", () => {
    const r = prepared(cxml, "purchase_order.confirmed");
    expect(r.url).toBe("http://partner.test/in");
    expect(r.headers["content-type"]).toMatch(/xml/);
    expect(r.headers["authorization"]).toBeUndefined();
    expect(String(r.body)).toContain("<SharedSecret>the-shared-secret</SharedSecret>");
    expect(String(r.body)).toContain('type="new"');
    expect(r.readAnswer).toBeGreaterThan(0);
  });

  it("cXML: an update refers to the order it replaces", () => {
    const r = prepared(cxml, "purchase_order.changed", { previousEventId: "evt-0" });
    expect(String(r.body)).toContain('type="update"');
    expect(String(r.body)).toMatch(/<DocumentReference payloadID="evt-0@[^"]+"/);
  });

  it("UBL: a Peppol Order signed per Standard Webhooks, or with a bearer token", () => {
    const signed = prepared(ubl({ scheme: "standard_webhooks", secrets: [A] }), "purchase_order.confirmed");
    expect(String(signed.body)).toContain("urn:fdc:peppol.eu:poacc:trns:order:3");
    expect(() => new Webhook(A).verify(String(signed.body), signed.headers, { jsonParse: false } as never)).not.toThrow();
    expect(signed.headers["webhook-id"]).toBe("evt-1");
    const bearer = prepared(ubl({ scheme: "bearer", token: "tok-123" }), "purchase_order.confirmed");
    expect(bearer.headers["authorization"]).toBe("Bearer tok-123");
    expect(bearer.headers["webhook-signature"]).toBeUndefined();
  });

  it("EasyPost: a shipment purchase with the API key over HTTP basic and the event's id as Idempotency-Key", () => {
    const r = prepareRequest({ endpoint: "https://api.easypost.test/v2/", wire: easypost }, [{ eventId: "evt-9", payload: example("shipment.ready") }], { now: Date.now() }) as PreparedRequest;
    // The example has two parcels: an Order of two shipments.
    expect(r.url).toBe("https://api.easypost.test/v2/orders");
    expect(r.headers["authorization"]).toBe(`Basic ${Buffer.from("EZAK-key:").toString("base64")}`);
    expect(r.headers["idempotency-key"]).toBe(JSON.parse(example("shipment.ready")).id);
    expect(JSON.parse(String(r.body)).order.carrier_accounts).toEqual(["ca_1"]);
    const one = JSON.parse(example("shipment.ready"));
    one.data.parcels = one.data.parcels.slice(0, 1);
    const single = prepareRequest({ endpoint: "https://api.easypost.test/v2", wire: easypost }, [{ eventId: "evt-9", payload: JSON.stringify(one) }], { now: Date.now() }) as PreparedRequest;
    expect(single.url).toBe("https://api.easypost.test/v2/shipments");
  });

  it("refuses what the format cannot carry, with the reason", () => {
    const refused = (wire: Wire, payload: string) => prepareRequest({ endpoint: "http://x", wire }, [{ eventId: "e", payload }], { now: Date.now() });
    expect(refused(cxml, "{not json")).toMatchObject({ ok: false, code: "invalid_event" });
    expect(refused(easypost, example("purchase_order.confirmed"))).toMatchObject({ ok: false });
    expect(refused(cxml, example("shipment.ready"))).toMatchObject({ ok: false });
    expect(prepareRequest({ endpoint: "http://x", wire: cxml }, [{ eventId: "a", payload: "{}" }, { eventId: "b", payload: "{}" }], { now: 0 })).toMatchObject({ ok: false, code: "unsupported_event" });
  });
});

describe("answers read as their format means them", () => {
  it("cXML: the Status decides, not the HTTP status", () => {
    expect(interpretAnswer(cxml, answered(200, readFixture("cxml/officeluv_response_status_200.xml"))).outcome).toMatchObject({ ok: true });
    const refused = interpretAnswer(cxml, answered(200, cxmlStatus(400, "Bad Request", "unknown part WC-1"))).outcome;
    expect(refused).toMatchObject({ ok: false, errorClass: "http_4xx", retryable: false });
    expect(!refused.ok && refused.message).toBe("cXML Status 400 Bad Request: unknown part WC-1");
    expect(interpretAnswer(cxml, answered(200, cxmlStatus(500, "Internal Server Error"))).outcome).toMatchObject({ ok: false, errorClass: "http_5xx", retryable: true });
    expect(interpretAnswer(cxml, answered(200, cxmlStatus(201, "Accepted"))).outcome).toMatchObject({ ok: true });
  });

  it("cXML: the captured 400 answer names the supplier's reason", () => {
    const o = interpretAnswer(cxml, answered(400, readFixture("cxml/officeluv_response_status_400.xml"))).outcome;
    expect(o).toMatchObject({ ok: false, errorClass: "http_4xx", retryable: false });
    expect(!o.ok && o.message).toContain("missing required parameter 'document'");
  });

  it("cXML: malformed, hostile or oversized answers to a 2xx are retried, never taken as success", () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><cXML><Response><Status code="200" text="&x;"/></Response></cXML>`;
    for (const body of ["", "OK", "<html>fine</html>", xxe, cxmlStatus(200, "OK").replace("</cXML>", ""), '<cXML><Response><Status code="2x0" text="?"/></Response></cXML>', "\u0000".repeat(100)]) {
      expect(interpretAnswer(cxml, answered(200, body)).outcome, body.slice(0, 40)).toMatchObject({ ok: false, errorClass: "bad_answer", retryable: true });
    }
    expect(interpretAnswer(cxml, answered(200, cxmlStatus(200, "OK"), true)).outcome).toMatchObject({ ok: false, errorClass: "bad_answer" });
    // A non-2xx answer that is not cXML keeps its HTTP classification.
    expect(interpretAnswer(cxml, answered(503, "<html>down</html>")).outcome).toMatchObject({ ok: false, errorClass: "http_5xx", retryable: true });
  });

  it("EasyPost: a bought Shipment is a booking for Odoo; created but not bought is dead with why", () => {
    const bought = readDocument("easypost_shipment_bought.json");
    const ok = interpretAnswer(easypost, answered(201, bought));
    expect(ok.outcome).toMatchObject({ ok: true });
    expect(ok.booking?.body.equals(bought)).toBe(true);
    const unbought = JSON.parse(bought.toString("utf8"));
    unbought.tracking_code = null;
    unbought.postage_label = null;
    const dead = interpretAnswer(easypost, answered(201, JSON.stringify(unbought)));
    expect(dead.booking).toBeUndefined();
    expect(dead.outcome).toMatchObject({ ok: false, errorClass: "bad_answer", retryable: false });
  });

  it("EasyPost: an error answer names the carrier's code, message and fields; junk answers are refused", () => {
    const error = JSON.stringify({ error: { code: "ADDRESS.VERIFY.FAILURE", message: "Unable to verify address.", errors: [{ field: "street1", message: "Address not found" }] } });
    const o = interpretAnswer(easypost, answered(422, error)).outcome;
    expect(!o.ok && o.message).toBe("HTTP 422 from EasyPost: ADDRESS.VERIFY.FAILURE Unable to verify address. (street1: Address not found)");
    expect(interpretAnswer(easypost, answered(422, "<html>")).outcome).toMatchObject({ ok: false, message: "HTTP 422" });
    expect(interpretAnswer(easypost, answered(422, '{"error":"x"}')).outcome).toMatchObject({ ok: false, message: "HTTP 422" });
    for (const body of ["", "[]", '{"object":"Event"}', "{".repeat(10_000)]) {
      const r = interpretAnswer(easypost, answered(200, body));
      expect(r.booking, body.slice(0, 20)).toBeUndefined();
      expect(r.outcome).toMatchObject({ ok: false, errorClass: "bad_answer" });
    }
    expect(interpretAnswer(easypost, answered(200, "{}", true)).outcome).toMatchObject({ ok: false, errorClass: "bad_answer", retryable: false });
  });

  it("canonical and UBL answers pass as their HTTP status said", () => {
    const o = answered(202, "whatever");
    expect(interpretAnswer(canonical, o).outcome).toBe(o);
    expect(interpretAnswer(ubl({ scheme: "bearer", token: "t" }), o).outcome).toBe(o);
  });
});
