import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { encodeCanonical } from "./encode.ts";

const A = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const B = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

describe("Standard Webhooks signing", () => {
  it("is verified by the official standardwebhooks library, for any body", () => {
    fc.assert(
      fc.property(fc.string(), fc.uuid(), (body, id) => {
        const req = encodeCanonical({ endpoint: "http://x", signingSecrets: [A] }, id, body);
        new Webhook(A).verify(body, req.headers, { jsonParse: false });
        return req.headers["webhook-id"] === id;
      }),
      { numRuns: 200 },
    );
  });

  it("signs with every secret during a key rotation, each verifiable alone", () => {
    const body = '{"x":1}';
    const req = encodeCanonical({ endpoint: "http://x", signingSecrets: [A, B] }, "3f1c1a9e-0000-4000-8000-000000000001", body);
    expect(req.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(A).verify(body, req.headers)).not.toThrow();
    expect(() => new Webhook(B).verify(body, req.headers)).not.toThrow();
  });

  it("fails verification when one byte of the body changes", () => {
    const body = '{"type":"purchase_order.confirmed"}';
    const req = encodeCanonical({ endpoint: "http://x", signingSecrets: [A] }, "3f1c1a9e-0000-4000-8000-000000000001", body);
    expect(() => new Webhook(A).verify(body.replace("confirmed", "cancelled"), req.headers)).toThrow();
  });
});
