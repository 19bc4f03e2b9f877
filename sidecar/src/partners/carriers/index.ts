export { decodeEasypostEvent } from "./easypost-tracking.ts";
export { decodeEasypostShipment, encodeEasypostShipment, readEasypostError, type EasypostBookingOptions } from "./easypost-booking.ts";
export { decodeShippoWebhook } from "./shippo-tracking.ts";
export { decodeAftershipWebhook } from "./aftership-tracking.ts";
export { decodeShipengineWebhook } from "./shipengine-tracking.ts";
