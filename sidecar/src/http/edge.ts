import { randomUUID } from "node:crypto";
import type { Logger } from "pino";

/**
 * The request edge both ways in share: the Hono app's middleware and the inbound fast path
 * (which answers on Node's own request) take the request id and write the request log line
 * here, so a request looks the same in the logs whichever way it came.
 */

/** The request id of a request: the caller's `x-request-id` (at most 64 characters), or a new UUID. */
export function requestIdFrom(header: string | undefined): string {
  return header?.slice(0, 64) || randomUUID();
}

export interface RequestLine {
  requestId: string;
  method: string;
  path: string;
  status: number;
  /** performance.now() when the request came in. */
  startedAt: number;
}

/** The one log line per request. */
export function logRequest(log: Logger, line: RequestLine, level: "debug" | "info" = "info"): void {
  if (!log.isLevelEnabled(level)) return;
  log[level]({ request_id: line.requestId, method: line.method, path: line.path, status: line.status, duration_ms: Math.round((performance.now() - line.startedAt) * 10) / 10 }, "request");
}
