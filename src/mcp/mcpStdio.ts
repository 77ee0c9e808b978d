import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { App } from "../app/App.ts";
import { localActor } from "../core/Actor.ts";
import { createMcpServer } from "./createMcpServer.ts";

/**
 * `maos mcp`: one MCP server on stdin/stdout for a desktop or IDE client, acting as the local user
 * (`local:NAME`, which the charter's roles list like any member). Stdout carries only MCP messages;
 * logs go to stderr. Resolves when the client closes stdin, after running calls have finished.
 */
export async function serveStdio(
  app: App,
  io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream } = {
    stdin: process.stdin,
    stdout: process.stdout,
  },
): Promise<void> {
  const { id } = localActor("cli");
  const handle = createMcpServer(app, { actor: { source: "mcp", id }, client: "stdio", transport: "stdio" });
  const transport = new StdioServerTransport(io.stdin as never, io.stdout as never);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    io.stdin.once("end", () => resolve());
    io.stdin.once("close", () => resolve());
  });
  await handle.server.connect(transport);
  app.log.info({ actor: id }, "mcp: serving on stdio");
  await closed;
  await handle.idle();
  await handle.close();
}
