import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error vocabulary from a route to its answer: a status, a stable code a caller can
 * branch on, a message a person can act on, and any headers the answer needs (Retry-After).
 * Hono routes throw it; the inbound door returns it; both become the same body.
 */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** What anything that is not an HttpError becomes: no detail leaves the process. */
export const INTERNAL_ERROR = new HttpError(500, "internal", "internal error");

/** The JSON body of every error answer: `{ error: { code, message, request_id } }`. */
export function errorJson(err: HttpError, requestId: string): string {
  return JSON.stringify({ error: { code: err.code, message: err.message, request_id: requestId } });
}
