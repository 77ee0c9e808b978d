import type { IncomingMessage, ServerResponse } from "node:http";
import type { App } from "../app/createApp.ts";

export type RelayHandler = (req: IncomingMessage, res: ServerResponse, app: App) => void | Promise<void>;

/** One route of the relay server. The autonomy work adds `/heartbeat`, `/status` and `/metrics` here. */
export interface RelayRoute {
  method: "GET" | "POST";
  path: string;
  handle: RelayHandler;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** The relay server's routes, in one table. */
export function relayRoutes(): RelayRoute[] {
  return [
    {
      method: "GET",
      path: "/health",
      handle: (_req, res) => sendJson(res, 200, { status: "ok" }),
    },
  ];
}
