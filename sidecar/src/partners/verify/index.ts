export { constantTimeEqual, header, signatureEqual, type HeaderSource, type VerifyFailureReason, type VerifyResult } from "./common.ts";
export { verifyStandardWebhook, type StandardWebhookVerifyOptions } from "./standard-webhooks.ts";
export { easypostSignature, verifyEasypostSignature } from "./easypost.ts";
export { aftershipSignature, verifyAftershipSignature } from "./aftership.ts";
export { shippoSignature, verifyShippoSignature, verifyShippoUrlToken, type ShippoVerifyOptions } from "./shippo.ts";
export { verifyCxmlSharedSecret, type CxmlSecretOptions } from "./cxml-shared-secret.ts";
