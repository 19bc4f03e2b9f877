import type { InboundSettings } from "../config/inbound.ts";
import {
  verifyAftershipSignature,
  verifyCxmlSharedSecret,
  verifyEasypostSignature,
  verifyShippoSignature,
  verifyShippoUrlToken,
  verifyStandardWebhook,
  type HeaderSource,
  type VerifyResult,
} from "../partners/registry.ts";

export interface VerifyInput {
  body: Uint8Array;
  headers: HeaderSource;
  /** Path and query as requested (the url_token scheme reads `?token=`). */
  url: string;
  /** Unix seconds. */
  now: number;
}

/**
 * Verifies a request on its raw bytes with the partner's scheme (partners/verify), before
 * anything parses it. cXML is the exception that proves the rule: its credential is inside
 * the document, so the safe XML parser (no DTD, no entities) reads it first.
 */
export function verifyInbound(settings: InboundSettings, input: VerifyInput): VerifyResult {
  const v = settings.verification;
  switch (v.scheme) {
    case "standard_webhooks":
      return verifyStandardWebhook(input.body, input.headers, { secrets: v.secrets, toleranceSeconds: v.toleranceSeconds, now: input.now });
    case "easypost_hmac":
      return verifyEasypostSignature(input.body, input.headers, { secrets: v.secrets });
    case "shippo_hmac":
      return verifyShippoSignature(input.body, input.headers, { secrets: v.secrets, toleranceSeconds: v.toleranceSeconds, now: input.now });
    case "aftership_hmac":
      return verifyAftershipSignature(input.body, input.headers, { secrets: v.secrets });
    case "url_token":
      return verifyShippoUrlToken(input.url, { tokens: v.secrets });
    case "cxml_shared_secret":
      return verifyCxmlSharedSecret(input.body, {
        sharedSecrets: v.secrets,
        ...(v.senderIdentity ? { senderIdentity: v.senderIdentity } : {}),
        ...(v.senderDomain ? { senderDomain: v.senderDomain } : {}),
        limits: { maxBytes: settings.max_body_bytes },
      });
  }
}
