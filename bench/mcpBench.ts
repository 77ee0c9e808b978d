// MCP `tools/call status` over Streamable HTTP with 20 concurrent clients, against a direct call of the
// same command (statusReply + the state JSON, as the tool does). Each MCP call also passes the charter
// check and writes its MCP_REQUEST ledger entry: that is part of what is measured.
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { statusReply } from "../commands/status.ts";
import { createApp } from "../src/app/createApp.ts";
import { loadEnv } from "../src/config/loadEnv.ts";
import { createLogger } from "../src/core/logger.ts";
import { sha256Hex } from "../src/mcp/mcpClients.ts";
import { createRelayServer } from "../src/server/createRelayServer.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const CLIENTS = 20;
const CALLS_PER_CLIENT = 25;
const TOKEN = "bench-token-0123456789abcdef";

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

export async function benchMcp(): Promise<{
  clients: number;
  calls: number;
  mcpP50Ms: number;
  mcpP99Ms: number;
  directP50Ms: number;
  directP99Ms: number;
}> {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-bench-mcp-"));
  const env = loadEnv(
    {
      MAOS_HOME: home,
      MAOS_STACKS: path.join(REPO, "stacks"),
      MAOS_CHARTER: path.join(REPO, "charter.yml"),
      MAOS_MCP_TOKENS: `bench:${sha256Hex(TOKEN)}`,
    },
    REPO,
  );
  const app = createApp({ env, log: createLogger({ level: "silent" }) });
  const server = createRelayServer({ app });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  const clients: Client[] = [];
  try {
    const direct: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await statusReply(app);
      app.autonomy().stateJson();
      direct.push(performance.now() - t0);
    }
    for (let i = 0; i < CLIENTS; i++) {
      const c = new Client({ name: `bench-${i}`, version: "1.0.0" });
      await c.connect(
        new StreamableHTTPClientTransport(url, {
          requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
        }),
      );
      clients.push(c);
    }
    await Promise.all(clients.map((c) => c.callTool({ name: "status", arguments: {} }))); // warm-up
    const times: number[] = [];
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < CALLS_PER_CLIENT; i++) {
          const t0 = performance.now();
          const r = await c.callTool({ name: "status", arguments: {} });
          times.push(performance.now() - t0);
          if (r.isError) throw new Error(`status failed over MCP: ${JSON.stringify(r.content)}`);
        }
      }),
    );
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      clients: CLIENTS,
      calls: times.length,
      mcpP50Ms: round(percentile(times, 50)),
      mcpP99Ms: round(percentile(times, 99)),
      directP50Ms: round(percentile(direct, 50)),
      directP99Ms: round(percentile(direct, 99)),
    };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    server.closeAllConnections();
    server.close();
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
}
