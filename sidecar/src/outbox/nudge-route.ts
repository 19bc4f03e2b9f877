import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import type { AppEnv } from "../http/app.ts";
import { HttpError } from "../http/errors.ts";
import { NUDGE_HEADER, NUDGE_MAX_BYTES, verifyNudge } from "./nudge.ts";

/** `POST /nudge`: Odoo's signed after-commit hint that the outbox has rows; wakes the drain. */
export function nudgeRoutes(secret: string, wake: () => void, log: Logger): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post(
    "/nudge",
    bodyLimit({
      maxSize: NUDGE_MAX_BYTES,
      onError: () => {
        throw new HttpError(413, "payload_too_large", `nudge body over ${NUDGE_MAX_BYTES} bytes`);
      },
    }),
    async (c) => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      const check = verifyNudge(secret, c.req.header(NUDGE_HEADER), body);
      if (!check.ok) {
        log.warn({ request_id: c.get("requestId"), reason: check.reason }, "nudge refused");
        throw new HttpError(401, "bad_signature", check.reason);
      }
      wake();
      return c.json({ accepted: true }, 202);
    },
  );
  return app;
}
