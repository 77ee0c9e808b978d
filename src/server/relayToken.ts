import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { App } from "../app/App.ts";
import { isLoopbackAddress, relayBind } from "../config/relayBind.ts";
import { MIN_TOKEN_CHARS, type RelayTokenSource, relayToken } from "../config/relayToken.ts";

export type BearerCheck =
  | { ok: true; via: "token" | "loopback" }
  | { ok: false; status: 401 | 503; error: string; hint: string };

export interface BearerOptions {
  /**
   * The server listens on loopback only: with no token configured, a request from this machine may
   * proceed without one (a fresh install's `curl http://localhost:8000/heartbeat`).
   */
  loopbackOpen?: boolean;
}

/**
 * Checks `Authorization: Bearer …` against the token in constant time. A configured token is always
 * required; without one, only a loopback-bound server lets a loopback peer through.
 */
export function checkBearer(
  req: IncomingMessage,
  token: RelayTokenSource,
  opts: BearerOptions = {},
): BearerCheck {
  if (!token.value) {
    if (opts.loopbackOpen && isLoopbackAddress(req.socket.remoteAddress))
      return { ok: true, via: "loopback" };
    return {
      ok: false,
      status: 503,
      error: "relay_token_not_configured",
      hint: `the relay listens beyond this machine, so this route needs a token: set ${token.name} (at least ${MIN_TOKEN_CHARS} characters, e.g. openssl rand -hex 32) and send Authorization: Bearer <it>, or listen on loopback only (MAOS_BIND=127.0.0.1)`,
    };
  }
  if (token.value.length < MIN_TOKEN_CHARS) {
    return {
      ok: false,
      status: 503,
      error: "relay_token_too_short",
      hint: `${token.name} is set but shorter than ${MIN_TOKEN_CHARS} characters; set a longer one (e.g. openssl rand -hex 32)`,
    };
  }
  const header = req.headers.authorization ?? "";
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  // Hashing first gives equal-length buffers, so the comparison time does not leak the length.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  if (!given || !timingSafeEqual(digest(given), digest(token.value))) {
    return {
      ok: false,
      status: 401,
      error: "unauthorized",
      hint: `send Authorization: Bearer <the value of ${token.name}>`,
    };
  }
  return { ok: true, via: "token" };
}

/** The relay routes' check: the charter's token, or loopback when the server listens on loopback only. */
export function checkRelayAccess(req: IncomingMessage, app: Pick<App, "env" | "charter">): BearerCheck {
  return checkBearer(req, relayToken(app), { loopbackOpen: relayBind(app.env).loopback });
}
