import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { App } from "../app/App.ts";
import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import { sendJson } from "../core/sendJson.ts";
import { Ledger } from "../ledger/Ledger.ts";
import { MCP_PATH, mcpHttp } from "../mcp/mcpHttp.ts";
import { type RelayRoute, relayRoutes } from "./relayRoutes.ts";

export type RequestClaim = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface RelayServerOptions {
  app: App;
  /**
   * Sees every request first (Slack's HTTP receiver at /slack/events); returns true when it has
   * answered it, false to leave it to the relay routes.
   */
  extraHandler?: RequestClaim;
  /** The route table; `relayRoutes()` by default. */
  routes?: RelayRoute[];
}

/**
 * Serves the requests that belong to the route table (405 for a known path with another method) and
 * returns false for the rest. Slack's HTTP receiver takes this as its `routes`, so one server answers both.
 */
export function relayRequestHandler(app: App, routes: RelayRoute[] = relayRoutes()): RequestClaim {
  return async (req, res) => {
    const pathname = new URL(req.url ?? "/", "http://relay.invalid").pathname;
    const method = req.method === "HEAD" ? "GET" : req.method;
    const matches = routes.filter((r) => r.path === pathname);
    if (matches.length === 0) return false;
    const route = matches.find((r) => r.method === method);
    if (route) {
      await route.handle(req, res, app);
    } else {
      res.setHeader("allow", [...new Set(matches.map((r) => r.method))].join(", "));
      sendJson(res, 405, { error: "method_not_allowed", path: pathname });
    }
    return true;
  };
}

/**
 * The ledger's record that the relay server started listening: once per start. It is MCP_START only
 * when the server answers MCP at /mcp; a route table without it is recorded as RELAY_START.
 */
export function recordMcpStart(
  app: App,
  where: { address: string | null; port: number | null },
  routes: readonly RelayRoute[],
): void {
  const entry = {
    eventType: routes.some((r) => r.path === MCP_PATH) ? "MCP_START" : "RELAY_START",
    level: "info",
    actor: actorIdentity(SYSTEM_ACTOR),
    correlationId: randomUUID(),
    payload: {
      address: where.address,
      port: where.port,
      pid: process.pid,
      routes: routes.map((r) => `${r.method} ${r.path}`),
    },
  } as const;
  const ledger = app.ledger();
  const failed = (err: unknown) =>
    app.log.error({ err }, "relay server: could not record MCP_START in the ledger");
  if (ledger instanceof Ledger) {
    // Synchronous on ledger.db, so the entry exists before the first request can be answered.
    try {
      ledger.appendSync(entry);
    } catch (err) {
      failed(err);
    }
  } else {
    // On the shared ledger: queued now, so it precedes anything a first request appends (the queue keeps
    // call order); not awaited, as this answers the server's listening callback.
    ledger.append(entry).catch(failed);
  }
  // Not awaited (this answers the server's listening callback): the kernel knows its relay at once
  // (noteRelayStart sets it before its first await); the lease's copy of the port, which other
  // processes read, follows, and a failed write of it is only logged.
  app
    .autonomy()
    .noteRelayStart(where.port)
    .catch((err: unknown) =>
      app.log.error({ err }, "relay server: could not note its port on the loop lease"),
    );
}

/**
 * The relay server: `GET /health` and the other routes of its table, JSON 404 for anything else.
 * It is returned unstarted; each time it starts listening the ledger records MCP_START.
 */
export function createRelayServer(opts: RelayServerOptions): http.Server {
  const { app } = opts;
  const routes = opts.routes ?? relayRoutes();
  const relay = relayRequestHandler(app, routes);

  const server = http.createServer(async (req, res) => {
    try {
      if (opts.extraHandler && (await opts.extraHandler(req, res))) return;
      if (await relay(req, res)) return;
      sendJson(res, 404, {
        error: "not_found",
        path: new URL(req.url ?? "/", "http://relay.invalid").pathname,
      });
    } catch (err) {
      app.log.error({ err, url: req.url }, "relay server: request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal" });
      else res.destroy();
    }
  });

  server.on("close", () => {
    mcpHttp(app)
      .close()
      .catch((err: unknown) => app.log.error({ err }, "relay server: closing MCP sessions failed"));
  });
  server.on("listening", () => {
    const address = server.address() as AddressInfo | null;
    recordMcpStart(app, { address: address?.address ?? null, port: address?.port ?? null }, routes);
    app.log.info({ port: address?.port }, "relay server listening");
  });
  return server;
}
