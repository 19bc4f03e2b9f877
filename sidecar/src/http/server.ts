import { createServer, type IncomingMessage, type RequestListener, type ServerOptions, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";

/** Takes a request on Node's own request and response (true), or leaves it to the app (false). */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The sidecar's HTTP server: the Hono app, with an optional fast path tried first (the
 * inbound door, see inbound/routes.ts). Production, the demo and the benchmark all serve
 * through here.
 */
export function serveApp(
  app: { fetch: (request: Request, env: Record<string, unknown>) => Response | Promise<Response> },
  options: { hostname: string; port: number; fastPath?: FastPath },
  listening: (info: AddressInfo) => void,
): ServerType {
  const fast = options.fastPath;
  const withFastPath = (serverOptions: ServerOptions, listener: RequestListener) =>
    createServer(serverOptions, (req, res) => {
      if (!fast!(req, res)) listener(req, res);
    });
  return serve({ fetch: app.fetch, hostname: options.hostname, port: options.port, ...(fast ? { createServer: withFastPath as typeof createServer } : {}) }, listening);
}
