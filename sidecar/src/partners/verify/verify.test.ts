import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { encodeCanonical } from "../canonical/index.ts";
import { readFixture } from "../test-support/fixtures.ts";
import {
  aftershipSignature,
  constantTimeEqual,
  easypostSignature,
  header,
  signatureEqual,
  shippoSignature,
  verifyAftershipSignature,
  verifyCxmlSharedSecret,
  verifyEasypostSignature,
  verifyShippoSignature,
  verifyShippoUrlToken,
  verifyStandardWebhook,
} from "./index.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROTATED = "whsec_dGhlLW5ldy1zZWNyZXQtYWZ0ZXItcm90YXRpb24=";

describe("EasyPost X-Hmac-Signature: the FORMATS.md test vector", () => {
  const vector = () => JSON.parse(readFixture("webhooks/easypost/client-library-fixtures.webhooks-excerpt.json").toString("utf8")).webhooks as { secret: string; hmac_signature: string };
  const rawWithNewline = () => readFixture("webhooks/easypost/event-body.json");
  const rawBody = () => {
    const raw = rawWithNewline();
    expect(raw.at(-1)).toBe(0x0a);
    return raw.subarray(0, raw.length - 1);
  };

  it("verifies the event body without its trailing newline, secret sécret normalised NFKD", () => {
    const { secret, hmac_signature } = vector();
    expect(hmac_signature).toBe("hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db");
    expect(easypostSignature(rawBody(), secret)).toBe(hmac_signature);
    expect(verifyEasypostSignature(rawBody(), { "X-Hmac-Signature": hmac_signature }, { secrets: [secret] })).toEqual({ ok: true, keyIndex: 0 });
  });

  it("negative: without NFKD the key differs (7f1669d6…), and that signature is refused", () => {
    const { secret } = vector();
    const withoutNfkd = `hmac-sha256-hex=${createHmac("sha256", Buffer.from(secret.normalize("NFC"), "utf8")).update(rawBody()).digest("hex")}`;
    expect(withoutNfkd.startsWith("hmac-sha256-hex=7f1669d6")).toBe(true);
    expect(verifyEasypostSignature(rawBody(), { "x-hmac-signature": withoutNfkd }, { secrets: [secret] })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("negative: with the trailing newline the signature is 044558ad…, and the vector no longer verifies", () => {
    const { secret, hmac_signature } = vector();
    expect(easypostSignature(rawWithNewline(), secret).startsWith("hmac-sha256-hex=044558ad")).toBe(true);
    expect(verifyEasypostSignature(rawWithNewline(), { "x-hmac-signature": hmac_signature }, { secrets: [secret] })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("reports a missing or malformed header", () => {
    expect(verifyEasypostSignature(rawBody(), {}, { secrets: ["x"] })).toMatchObject({ ok: false, reason: "missing_signature" });
    expect(verifyEasypostSignature(rawBody(), { "x-hmac-signature": "sha1=abc" }, { secrets: ["x"] })).toMatchObject({ ok: false, reason: "malformed_signature" });
  });
});

describe("Standard Webhooks verification", () => {
  const body = '{"id":"evt","type":"carrier.tracking_updated"}';
  const now = 1764149412;

  it("accepts a message signed by the standardwebhooks package", () => {
    const signature = new Webhook(SECRET).sign("msg_1", new Date(now * 1000), body);
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(now), "webhook-signature": signature };
    expect(verifyStandardWebhook(body, headers, { secrets: [SECRET], now })).toEqual({ ok: true, keyIndex: 0 });
  });

  it("accepts either key during a rotation and says which one matched", () => {
    const signed = encodeCanonical({ id: "evt_2", type: "x.y" }, { secrets: [SECRET, ROTATED], timestamp: now });
    if (!signed.ok) throw new Error(signed.reason);
    expect(verifyStandardWebhook(signed.body, signed.headers, { secrets: [ROTATED], now })).toEqual({ ok: true, keyIndex: 0 });
    expect(verifyStandardWebhook(signed.body, signed.headers, { secrets: ["whsec_b3RoZXI=", SECRET], now })).toEqual({ ok: true, keyIndex: 1 });
  });

  it.each([
    ["too old", now - 301, "timestamp_out_of_tolerance"],
    ["too far in the future", now + 301, "timestamp_out_of_tolerance"],
  ])("refuses a timestamp %s (replay protection)", (_name, timestamp, reason) => {
    const signature = new Webhook(SECRET).sign("msg_1", new Date(timestamp * 1000), body);
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(timestamp), "webhook-signature": signature };
    expect(verifyStandardWebhook(body, headers, { secrets: [SECRET], now })).toMatchObject({ ok: false, reason });
    expect(verifyStandardWebhook(body, headers, { secrets: [SECRET], now, toleranceSeconds: 600 })).toMatchObject({ ok: true });
  });

  it("refuses a changed id, body or missing headers", () => {
    const signature = new Webhook(SECRET).sign("msg_1", new Date(now * 1000), body);
    expect(verifyStandardWebhook(body, { "webhook-id": "msg_2", "webhook-timestamp": String(now), "webhook-signature": signature }, { secrets: [SECRET], now })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verifyStandardWebhook(`${body} `, { "webhook-id": "msg_1", "webhook-timestamp": String(now), "webhook-signature": signature }, { secrets: [SECRET], now })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verifyStandardWebhook(body, new Headers({ "webhook-id": "msg_1" }), { secrets: [SECRET], now })).toMatchObject({ ok: false, reason: "missing_signature" });
    expect(verifyStandardWebhook(body, { "webhook-id": "m", "webhook-timestamp": "soon", "webhook-signature": "v1,x" }, { secrets: [SECRET], now })).toMatchObject({ ok: false, reason: "malformed_signature" });
  });
});

describe("AfterShip aftership-hmac-sha256", () => {
  const body = Buffer.from('{"event":"tracking_update","event_id":"e1","msg":{}}');
  it("accepts base64 HMAC-SHA256 of the raw body, refuses one changed byte", () => {
    const signature = createHmac("sha256", "as-secret").update(body).digest("base64");
    expect(aftershipSignature(body, "as-secret")).toBe(signature);
    expect(verifyAftershipSignature(body, { "aftership-hmac-sha256": signature }, { secrets: ["as-secret"] })).toEqual({ ok: true, keyIndex: 0 });
    const tampered = Buffer.from(body);
    tampered[5] = tampered[5]! ^ 1;
    expect(verifyAftershipSignature(tampered, { "aftership-hmac-sha256": signature }, { secrets: ["as-secret"] })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verifyAftershipSignature(body, {}, { secrets: ["as-secret"] })).toMatchObject({ ok: false, reason: "missing_signature" });
  });
});

describe("Shippo", () => {
  const body = '{"event":"track_updated","data":{}}';
  const now = 1764149412;
  it("accepts Shippo-Auth-Signature t=,v1= within tolerance", () => {
    const v1 = createHmac("sha256", "sh-secret").update(`${now}.${body}`).digest("hex");
    expect(shippoSignature(body, "sh-secret", now)).toBe(v1);
    expect(verifyShippoSignature(body, { "Shippo-Auth-Signature": `t=${now},v1=${v1}` }, { secrets: ["sh-secret"], now: now + 10 })).toEqual({ ok: true, keyIndex: 0 });
    expect(verifyShippoSignature(body, { "shippo-auth-signature": `t=${now},v1=deadbeef,v1=${v1}` }, { secrets: ["sh-secret"], now })).toMatchObject({ ok: true });
  });

  it("refuses stale, tampered or malformed signatures", () => {
    const v1 = shippoSignature(body, "sh-secret", now);
    expect(verifyShippoSignature(body, { "shippo-auth-signature": `t=${now},v1=${v1}` }, { secrets: ["sh-secret"], now: now + 301 })).toMatchObject({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(verifyShippoSignature(`${body}\n`, { "shippo-auth-signature": `t=${now},v1=${v1}` }, { secrets: ["sh-secret"], now })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verifyShippoSignature(body, { "shippo-auth-signature": `v1=${v1}` }, { secrets: ["sh-secret"], now })).toMatchObject({ ok: false, reason: "malformed_signature" });
  });

  it("checks the ?token= of the webhook URL", () => {
    expect(verifyShippoUrlToken("/inbound/shippo?token=abc123", { tokens: ["abc123"] })).toEqual({ ok: true, keyIndex: 0 });
    expect(verifyShippoUrlToken("https://sidecar.example/inbound/shippo?token=abc124", { tokens: ["abc123"] })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verifyShippoUrlToken("/inbound/shippo", { tokens: ["abc123"] })).toMatchObject({ ok: false, reason: "missing_signature" });
  });
});

describe("cXML SharedSecret in Header/Sender/Credential", () => {
  const asn = () => readFixture("cxml/friendsofcxml_ShipNoticeRequest.xml");
  it("accepts the partner's secret (and identity when configured)", () => {
    expect(verifyCxmlSharedSecret(asn(), { sharedSecrets: ["abracadabra"] })).toEqual({ ok: true, keyIndex: 0 });
    expect(verifyCxmlSharedSecret(asn(), { sharedSecrets: ["old", "abracadabra"], senderIdentity: "AN00000123", senderDomain: "networkid" })).toEqual({ ok: true, keyIndex: 1 });
  });

  it("refuses a wrong secret, a wrong sender identity, or a document without secret", () => {
    expect(verifyCxmlSharedSecret(asn(), { sharedSecrets: ["abracadabrA"] })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verifyCxmlSharedSecret(asn(), { sharedSecrets: ["abracadabra"], senderIdentity: "AN99999999" })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(verifyCxmlSharedSecret(readFixture("cxml/officeluv_response_status_200.xml"), { sharedSecrets: ["x"] })).toMatchObject({ ok: false, reason: "missing_signature" });
    expect(verifyCxmlSharedSecret("<cXML>", { sharedSecrets: ["x"] })).toMatchObject({ ok: false, reason: "unreadable_document" });
  });
});

describe("constant-time comparison", () => {
  it("is equality, for any lengths", () => {
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
    expect(constantTimeEqual(Buffer.from("x"), "x")).toBe(true);
  });

  it("compares signatures of a public length, and never confuses non-ASCII with ASCII", () => {
    expect(signatureEqual("ab12", "ab12")).toBe(true);
    expect(signatureEqual("ab12", "ab13")).toBe(false);
    expect(signatureEqual("ab1", "ab12")).toBe(false);
    // Same UTF-16 length, different bytes: U+0161 must not pass for "a" (latin1 truncation would).
    expect(signatureEqual("\u0161b12", "ab12")).toBe(false);
    expect(signatureEqual("\u00e912", "\u00e912")).toBe(true);
  });

  it("reads headers from Fetch Headers and from Node's lower-cased records", () => {
    expect(header(new Headers({ "X-Hmac-Signature": "v" }), "x-hmac-signature")).toBe("v");
    expect(header({ "x-hmac-signature": "v" }, "x-hmac-signature")).toBe("v");
    expect(header({ "X-Hmac-Signature": "w" }, "x-hmac-signature")).toBe("w");
    expect(header({ "x-list": ["a", "b"] }, "x-list")).toBe("a,b");
    expect(header({}, "x-hmac-signature")).toBeUndefined();
  });
});
