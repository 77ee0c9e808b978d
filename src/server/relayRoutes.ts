import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { App } from "../app/App.ts";
import { latestCheckpointFromDb } from "../audit/proofs.ts";
import { isCodexError } from "../core/CodexError.ts";
import { sendJson } from "../core/sendJson.ts";
import { MCP_PATH, mcpHttp, PRM_PATH } from "../mcp/mcpHttp.ts";
import { checkRelayAccess } from "./relayToken.ts";

export type RelayHandler = (req: IncomingMessage, res: ServerResponse, app: App) => void | Promise<void>;

/** One route of the relay server. */
export interface RelayRoute {
  method: "GET" | "POST" | "DELETE";
  path: string;
  handle: RelayHandler;
}

/**
 * Answers 401/503 unless the request carries the charter's bearer token (or, with no token configured,
 * comes from this machine to a loopback-only server); true when it may proceed.
 */
function authorized(req: IncomingMessage, res: ServerResponse, app: App): boolean {
  const check = checkRelayAccess(req, app);
  if (check.ok) return true;
  if (check.status === 401) res.setHeader("www-authenticate", 'Bearer realm="maos-relay"');
  sendJson(res, check.status, { error: check.error, hint: check.hint });
  return false;
}

/** MCP over Streamable HTTP (src/mcp/mcpHttp.ts), and its RFC 9728 metadata document. */
function mcpRoutes(): RelayRoute[] {
  const handle: RelayHandler = (req, res, app) => mcpHttp(app).handle(req, res);
  const metadata: RelayHandler = (req, res, app) => mcpHttp(app).metadata(req, res);
  return [
    { method: "POST", path: MCP_PATH, handle },
    { method: "GET", path: MCP_PATH, handle },
    { method: "DELETE", path: MCP_PATH, handle },
    { method: "GET", path: `${PRM_PATH}${MCP_PATH}`, handle: metadata },
    { method: "GET", path: PRM_PATH, handle: metadata },
  ];
}

/**
 * The relay server's routes, in one table. `/health`, `/metrics` and `/checkpoint` (a signed note) are open; `/heartbeat` (it writes
 * the ledger) and `/status` (it names actors and incidents) need the bearer token, except from this
 * machine while the server listens on loopback only and no token is configured. `/mcp` needs its clients' tokens.
 */
export function relayRoutes(): RelayRoute[] {
  return [
    ...mcpRoutes(),
    {
      // Liveness and readiness in one: 503 while this process cannot write its ledger (Docker's
      // HEALTHCHECK and load balancers take it out); a halt is governance, not ill health (see /status).
      method: "GET",
      path: "/health",
      handle: (_req, res, app) => {
        const health = app.autonomy().health();
        if (health.ok) sendJson(res, 200, { status: "ok" });
        else sendJson(res, 503, { status: "failing", since: health.since, problems: health.problems });
      },
    },
    {
      method: "GET",
      path: "/heartbeat",
      handle: async (req, res, app) => {
        if (!authorized(req, res, app)) return;
        try {
          sendJson(res, 200, await app.autonomy().heartbeat("relay"));
        } catch (err) {
          if (!isCodexError(err)) throw err;
          sendJson(res, 503, { status: "failed", error: err.code, message: err.message, hint: err.hint });
        }
      },
    },
    {
      method: "GET",
      path: "/status",
      handle: async (req, res, app) => {
        if (!authorized(req, res, app)) return;
        sendJson(res, 200, await app.autonomy().stateJson());
      },
    },
    {
      method: "GET",
      path: "/checkpoint",
      // Public: the note is signed, so anyone (a witness, an auditor) may fetch and keep it.
      handle: (_req, res, app) => {
        const c = existsSync(app.ledgerPath()) ? latestCheckpointFromDb(app.ledgerPath()) : undefined;
        if (!c) {
          sendJson(res, 404, { error: "the ledger has signed no checkpoint yet" });
          return;
        }
        res.writeHead(200, {
          "content-type": "text/plain; charset=utf-8",
          "content-length": Buffer.byteLength(c.note),
          "cache-control": "no-store",
        });
        res.end(c.note);
      },
    },
    {
      method: "GET",
      path: "/metrics",
      handle: async (_req, res, app) => {
        const metrics = app.autonomy().metrics;
        const text = await metrics.text();
        res.writeHead(200, {
          "content-type": metrics.contentType,
          "content-length": Buffer.byteLength(text),
          "cache-control": "no-store",
        });
        res.end(text);
      },
    },
  ];
}
