import type { IncomingMessage } from "node:http";

const LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]", "::1"];

/** Host names /mcp answers: loopback always, plus MAOS_MCP_ALLOWED_HOSTS for a deployment behind a name. */
export function allowedHosts(extra: string | undefined): Set<string> {
  const more = (extra ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return new Set([...LOCAL_HOSTS, ...more]);
}

/** `example.com:8000` → `example.com`; `[::1]:8000` → `[::1]`. */
function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  return h.split(":")[0] ?? h;
}

/**
 * DNS-rebinding protection, as the MCP transport spec requires: the Host header must name an allowed
 * host, and a browser's Origin (when sent) must too. Returns why a request is refused, or undefined.
 */
export function rebindingProblem(req: IncomingMessage, hosts: ReadonlySet<string>): string | undefined {
  const host = req.headers.host;
  if (!host || !hosts.has(hostnameOf(host))) {
    return `Host "${host ?? ""}" is not allowed for /mcp; add it to MAOS_MCP_ALLOWED_HOSTS if this server is reached by that name`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin "${origin}" is not a URL`;
    }
    if (!hosts.has(hostnameOf(originHost))) {
      return `Origin "${origin}" is not allowed for /mcp; add its host to MAOS_MCP_ALLOWED_HOSTS`;
    }
  } else if (origin === "null") {
    return 'Origin "null" (a sandboxed or file page) is not allowed for /mcp';
  }
  return undefined;
}
