import { createHash, timingSafeEqual } from "node:crypto";
import { PROBE_CLIENT, probeToken } from "../autonomy/mcpProbe.ts";
import type { Actor } from "../core/Actor.ts";

/**
 * Who may use /mcp over HTTP. Each client has a name and the SHA-256 of its bearer token
 * (MAOS_MCP_TOKENS=`NAME:SHA256HEX,…`): the server never stores a usable token. A client acts as
 * `mcp:NAME`, which the charter's roles (or MAOS_ROLES) list like any other member.
 */
export interface McpClient {
  name: string;
  /** Hex SHA-256 of the token. */
  tokenSha256: string;
}

export function parseMcpTokens(raw: string | undefined): McpClient[] {
  if (!raw) return [];
  return raw
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((pair) => {
      const i = pair.lastIndexOf(":");
      return { name: pair.slice(0, i), tokenSha256: pair.slice(i + 1).toLowerCase() };
    });
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export type BearerResult =
  | { ok: true; client: string; actor: Actor; probe: boolean }
  | { ok: false; error: "invalid_request" | "invalid_token"; description: string };

/** Matches `Authorization: Bearer …` against the configured clients (and the probe), in constant time per client. */
export function authenticate(
  header: string | undefined,
  clients: readonly McpClient[],
  home: string,
): BearerResult {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (!given) {
    return {
      ok: false,
      error: "invalid_request",
      description: "send Authorization: Bearer <token>; tokens are configured by MAOS_MCP_TOKENS",
    };
  }
  const digest = createHash("sha256").update(given).digest();
  const all = [...clients, { name: PROBE_CLIENT, tokenSha256: sha256Hex(probeToken(home)) }];
  let match: string | undefined;
  for (const c of all) {
    const want = Buffer.from(c.tokenSha256, "hex");
    if (want.length === digest.length && timingSafeEqual(want, digest)) match ??= c.name;
  }
  if (!match) {
    return {
      ok: false,
      error: "invalid_token",
      description: "the bearer token matches no client in MAOS_MCP_TOKENS",
    };
  }
  return {
    ok: true,
    client: match,
    actor: { source: "mcp", id: `mcp:${match}` },
    probe: match === PROBE_CLIENT,
  };
}
