import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An error with a stable code, turned into `{ error: { code, message, request_id } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
