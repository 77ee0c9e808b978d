import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { App } from "../app/App.ts";
import { sendJson } from "../core/sendJson.ts";
import { createMcpServer, type McpServerHandle } from "./createMcpServer.ts";
import { authenticate, parseMcpTokens } from "./mcpClients.ts";
import { allowedHosts, rebindingProblem } from "./originCheck.ts";

export const MCP_PATH = "/mcp";
export const PRM_PATH = "/.well-known/oauth-protected-resource";
/** A request body larger than this is refused before it is parsed. */
const MAX_BODY = 4 * 1024 * 1024;

interface Session {
  client: string;
  transport: StreamableHTTPServerTransport;
  handle: McpServerHandle;
}

const rpcError = (code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message }, id: null });

function baseUrl(req: IncomingMessage): string {
  const proto = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  return `${proto}://${req.headers.host ?? "localhost"}`;
}

async function readJson(
  req: IncomingMessage,
): Promise<{ ok: true; body: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return { ok: false, status: 413, message: `request body over ${MAX_BODY} bytes` };
    chunks.push(chunk as Buffer);
  }
  try {
    return { ok: true, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { ok: false, status: 400, message: "Parse error: the body is not JSON" };
  }
}

/**
 * The Streamable HTTP endpoint at /mcp: DNS-rebinding protection (Host and Origin), bearer-token auth
 * per client (401 with WWW-Authenticate naming the Protected Resource Metadata), then one SDK transport
 * and one governed McpServer per session, bound to the client's actor.
 */
export class McpHttp {
  readonly #app: App;
  readonly #sessions = new Map<string, Session>();

  constructor(app: App) {
    this.#app = app;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** RFC 9728 Protected Resource Metadata for /mcp. */
  metadata(req: IncomingMessage, res: ServerResponse): void {
    const base = baseUrl(req);
    const servers = (this.#app.env.MAOS_MCP_AUTHORIZATION_SERVERS ?? "")
      .split(",")
      .map((u) => u.trim())
      .filter(Boolean);
    sendJson(res, 200, {
      resource: `${base}${MCP_PATH}`,
      ...(servers.length > 0 ? { authorization_servers: servers } : {}),
      bearer_methods_supported: ["header"],
      resource_name: "MAOS Codex MCP",
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const app = this.#app;
    const problem = rebindingProblem(req, allowedHosts(app.env.MAOS_MCP_ALLOWED_HOSTS));
    if (problem) return sendJson(res, 403, rpcError(-32000, problem));

    const auth = authenticate(req.headers.authorization, parseMcpTokens(app.env.MAOS_MCP_TOKENS), app.home);
    if (!auth.ok) {
      const prm = `${baseUrl(req)}${PRM_PATH}${MCP_PATH}`;
      const challenge =
        auth.error === "invalid_token"
          ? `Bearer error="invalid_token", error_description="${auth.description}", resource_metadata="${prm}"`
          : `Bearer resource_metadata="${prm}"`;
      return sendJson(
        res,
        401,
        { error: auth.error, error_description: auth.description },
        { "www-authenticate": challenge },
      );
    }

    const sessionId = req.headers["mcp-session-id"];
    const id = Array.isArray(sessionId) ? sessionId[0] : sessionId;
    let body: unknown;
    if (req.method === "POST") {
      const read = await readJson(req);
      if (!read.ok) return sendJson(res, read.status, rpcError(-32700, read.message));
      body = read.body;
    }

    if (id !== undefined) {
      const session = this.#sessions.get(id);
      // Another client's session id is as unknown to this caller as a made-up one.
      if (!session || session.client !== auth.client) {
        return sendJson(res, 404, rpcError(-32001, "Session not found: initialize a new session"));
      }
      await session.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      return sendJson(res, 400, rpcError(-32000, "Bad Request: no valid session id; start with initialize"));
    }

    const handle = createMcpServer(
      app,
      { actor: auth.actor, client: auth.client, transport: "http" },
      { probe: auth.probe },
    );
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => {
        this.#sessions.set(sid, { client: auth.client, transport, handle });
      },
      onsessionclosed: (sid) => {
        this.#sessions.delete(sid);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.#sessions.delete(transport.sessionId);
    };
    await handle.server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  /** Ends every session (the server is stopping); running calls finish first. */
  async close(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.allSettled(
      all.map(async (s) => {
        await s.handle.idle();
        await s.handle.close();
      }),
    );
  }
}

const perApp = new WeakMap<App, McpHttp>();

/** The app's /mcp endpoint (one per app, shared by the relay server and Slack's HTTP receiver). */
export function mcpHttp(app: App): McpHttp {
  let m = perApp.get(app);
  if (!m) {
    m = new McpHttp(app);
    perApp.set(app, m);
  }
  return m;
}
