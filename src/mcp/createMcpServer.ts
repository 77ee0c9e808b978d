import { readFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { App } from "../app/App.ts";
import type { McpCaller, McpSession } from "./governedCall.ts";
import { registerPrompts } from "./mcpPrompts.ts";
import { LEDGER_HEAD_URI, registerResources, STATUS_URI, SUBSCRIBABLE } from "./mcpResources.ts";
import { registerTools } from "./mcpTools.ts";

const VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** How often a session with subscriptions looks for a new ledger head or status from other sources. */
const WATCH_MS = 2000;

export interface McpServerHandle {
  server: McpServer;
  session: McpSession;
  /** Sends resources/updated for subscribed resources that changed (called after every call, and on a timer). */
  notifyChanges(): Promise<void>;
  /** Resolves when every call still running has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One MCP server for one caller (an HTTP session or the stdio process): the tools, resources and
 * prompts over `commands/`, governed by the charter for that caller. A probe session (activation's
 * "MCP online" check) gets no tools, resources or prompts: it may only initialize and ping.
 */
export function createMcpServer(
  app: App,
  caller: McpCaller,
  opts: { probe?: boolean } = {},
): McpServerHandle {
  const server = new McpServer(
    { name: "maos-codex", title: "MAOS Codex", version: VERSION },
    {
      capabilities: opts.probe
        ? {}
        : { tools: {}, resources: { subscribe: true }, prompts: {}, logging: {}, completions: {} },
      instructions:
        "MAOS Codex runs governed AI agent stacks. Every call is checked against the charter and recorded in the ledger; refusals say which role is needed.",
    },
  );
  const session: McpSession = { app, caller, inflight: new Set() };
  const subscribed = new Set<string>();
  let last = { head: "", status: "" };
  let timer: NodeJS.Timeout | undefined;

  const snapshot = async () => {
    const ledger = app.ledger();
    const k = app.autonomy();
    return {
      head: ledger.head().hash,
      status: JSON.stringify([
        await k.srr(),
        k.lastHeartbeat()?.seq ?? null,
        (await app.state().listIncidents({ status: "open" })).length,
      ]),
    };
  };
  const notifyChanges = async () => {
    if (subscribed.size === 0 || !server.isConnected()) return;
    const now = await snapshot().catch(() => last);
    if (subscribed.has(LEDGER_HEAD_URI) && now.head !== last.head)
      server.server.sendResourceUpdated({ uri: LEDGER_HEAD_URI }).catch(() => {});
    if (subscribed.has(STATUS_URI) && now.status !== last.status)
      server.server.sendResourceUpdated({ uri: STATUS_URI }).catch(() => {});
    last = now;
  };

  if (!opts.probe) {
    registerTools(server, session);
    registerResources(server, session);
    registerPrompts(server, session);
    server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
      const uri = req.params.uri;
      if (!(SUBSCRIBABLE as readonly string[]).includes(uri)) {
        throw new McpError(
          -32602,
          `${uri} cannot be subscribed to; subscribable: ${SUBSCRIBABLE.join(", ")}`,
        );
      }
      if (subscribed.size === 0) {
        last = await snapshot();
        // Each tick's notifications are best effort (notifyChanges never rejects), so not awaited.
        timer = setInterval(() => void notifyChanges(), WATCH_MS);
        timer.unref();
      }
      subscribed.add(uri);
      return {};
    });
    server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
      subscribed.delete(req.params.uri);
      if (subscribed.size === 0 && timer) clearInterval(timer);
      return {};
    });
    // Notifications follow the call that caused them, so a subscriber sees its own effects at once.
    session.afterCall = notifyChanges;
  }

  return {
    server,
    session,
    notifyChanges,
    async idle() {
      while (session.inflight.size > 0) await Promise.allSettled([...session.inflight]);
    },
    async close() {
      if (timer) clearInterval(timer);
      await server.close();
    },
  };
}
