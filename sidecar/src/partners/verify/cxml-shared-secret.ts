import { children, descend, textOf } from "../xml/element.ts";
import { parseXml, type XmlLimits } from "../xml/safe-xml.ts";
import { constantTimeEqual, failure, type VerifyResult } from "./common.ts";

export interface CxmlSecretOptions {
  /** Accepted shared secrets for this partner (several during a change). */
  sharedSecrets: readonly string[];
  /** When set, the credential carrying the secret must also have this identity (and domain). */
  senderIdentity?: string;
  senderDomain?: string;
  limits?: XmlLimits;
}

/**
 * cXML authenticates in the document: Header/Sender/Credential/SharedSecret. The document is
 * parsed safely (no DTD fetch) to find it; the comparison is constant time.
 */
export function verifyCxmlSharedSecret(body: string | Uint8Array, options: CxmlSecretOptions): VerifyResult {
  const parsed = parseXml(body, options.limits);
  if (!parsed.ok) return failure("unreadable_document", parsed.reason);
  const root = parsed.document.root;
  if (root.name !== "cXML") return failure("unreadable_document", `root element is ${root.name}, not cXML`);
  const sender = descend(root, "Header/Sender");
  const credentials = sender ? children(sender, "Credential") : [];
  const offered = credentials.flatMap((c) => {
    const secret = c.children.find((x) => x.name === "SharedSecret");
    return secret ? [{ secret: secret.text.trim(), identity: textOf(c.children.find((x) => x.name === "Identity")) ?? "", domain: c.attrs.domain ?? "" }] : [];
  });
  if (offered.length === 0) return failure("missing_signature", "Header/Sender/Credential has no SharedSecret");
  if (options.sharedSecrets.length === 0) return failure("no_secret_configured", "no cXML shared secret configured");
  for (const [keyIndex, expected] of options.sharedSecrets.entries()) {
    let matched = false;
    for (const credential of offered) {
      const identityOk = options.senderIdentity === undefined || credential.identity === options.senderIdentity;
      const domainOk = options.senderDomain === undefined || credential.domain.toLowerCase() === options.senderDomain.toLowerCase();
      matched = (constantTimeEqual(credential.secret, expected) && identityOk && domainOk) || matched;
    }
    if (matched) return { ok: true, keyIndex };
  }
  return failure("signature_mismatch", "SharedSecret (or the sender identity) does not match");
}
