import { bodyHashId } from "../events/envelope.ts";
import type { RawDocument, Refusal } from "../result.ts";
import { refuse } from "../result.ts";
import { at, isObject, optString, parseJsonBody } from "./json.ts";

/**
 * Carrier webhooks are stored as they came and decoded after the answer (see inbound/door.ts):
 * a carrier cannot act on a 400 for a document it sent but we fail to decode (it retries, then
 * disables the endpoint), so the door checks what is plainly the sender's fault (signature,
 * well-formed JSON, the envelope that says which kind of webhook it is) and finds the id it
 * deduplicates on. These are the decoders' own first checks and id rules, without decoding: a
 * test holds them equal to what each decoder says on every fixture and on generated junk, and
 * the decode stage rejects a document whose decoded id differs.
 */
export const SPOOLED_FORMATS: ReadonlySet<string> = new Set(["easypost", "shippo", "aftership", "shipengine"]);

export interface SpoolKey {
  ok: true;
  messageId: string;
  messageIdSource: "partner" | "body_hash";
  /**
   * What the id is unique within: the format and the kind of webhook the envelope names (an
   * EasyPost event's description, a Shippo event...). A redelivery names the same kind; two
   * different documents that happen to share an id (documentation examples all say "evt_...")
   * are not taken for each other.
   */
  scope: string;
}

/** The message id of a carrier webhook, or the refusal of a body that is not JSON or not that carrier's kind of document. */
export function carrierMessageId(format: string, raw: RawDocument): SpoolKey | Refusal {
  const parsed = parseJsonBody(raw);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  let id: string | null = null;
  let kind: string;
  switch (format) {
    case "easypost": {
      const object = at(body, "object");
      if (object !== "Event" && object !== "Shipment" && object !== "Order") return refuse("unsupported_document", 'not an EasyPost Event (object is not "Event")', { path: "object" });
      // Events (evt_…) and the Shipments/Orders we bought (shp_…, order_…) carry their id.
      id = optString(body, "id");
      kind = object === "Event" ? `Event:${optString(body, "description") ?? ""}` : object;
      break;
    }
    case "aftership":
      if (isObject(at(body, "msg"))) {
        id = optString(body, "event_id");
        kind = optString(body, "event") ?? "";
      } else if (isObject(at(body, "data.tracking"))) kind = "tracking";
      // A GET tracking response posted to us carries no id.
      else return refuse("unsupported_document", "not an AfterShip webhook (needs msg) nor a tracking response (needs data.tracking)", { path: "msg" });
      break;
    case "shippo":
      kind = optString(body, "event") ?? "";
      if (kind === "") return refuse("unsupported_document", "not a Shippo webhook (needs event and data)", { path: "event" });
      break;
    case "shipengine":
      kind = optString(body, "resource_type") ?? "";
      if (kind === "") return refuse("unsupported_document", "not a ShipEngine webhook (resource_type is missing)", { path: "resource_type" });
      break;
    default:
      return refuse("unsupported_document", `${format} documents are decoded at the door, not stored before`);
  }
  const scope = `${format}:${kind}`.slice(0, 200);
  return id === null ? { ok: true, messageId: bodyHashId(raw), messageIdSource: "body_hash", scope } : { ok: true, messageId: id, messageIdSource: "partner", scope };
}
