import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** The built-in MCP client that activation and the seal conditions use: it may only initialize and ping. */
export const PROBE_CLIENT = "maos-probe";
const PROBE_FILE = "mcp-probe.token";
/** A real network probe measures real time; the injected clock cannot time out a socket. */
const PROBE_TIMEOUT_MS = 3000;

/**
 * The probe token: 32 random bytes in MAOS_HOME/keys/mcp-probe.token (mode 0600), made on first use.
 * Any process on this MAOS_HOME can read it, as it can read the ledger key beside it.
 */
export function probeToken(home: string): string {
  const dir = path.join(home, "keys");
  const file = path.join(dir, PROBE_FILE);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("hex");
  try {
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
    return token;
  } catch {
    // Another process wrote it first: use theirs.
    return readFileSync(file, "utf8").trim();
  }
}

/**
 * "MCP online" means MCP: an `initialize` and a `ping` over Streamable HTTP at /mcp on this machine,
 * as the built-in probe client. Resolves with what happened; never throws.
 */
export async function probeMcp(port: number, home: string): Promise<{ ok: boolean; detail: string }> {
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  const client = new Client({ name: "maos-probe", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { authorization: `Bearer ${probeToken(home)}` } },
  });
  try {
    await client.connect(transport, { timeout: PROBE_TIMEOUT_MS });
    await client.ping({ timeout: PROBE_TIMEOUT_MS });
    const v = client.getServerVersion();
    return {
      ok: true,
      detail: `/mcp answered initialize and ping (${v?.name ?? "?"} ${v?.version ?? "?"}, protocol ${transport.protocolVersion ?? "?"})`,
    };
  } catch (err) {
    return {
      ok: false,
      detail: `/mcp did not answer initialize and ping at ${url.href}: ${err instanceof Error ? err.message : String(err)}`,
    };
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close().catch(() => {});
  }
}
