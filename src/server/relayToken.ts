import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { App } from "../app/createApp.ts";

/** Shorter bearer tokens are refused: they are guessable. */
export const MIN_TOKEN_CHARS = 16;

export interface RelayTokenSource {
  /** The variable the charter names (server.bearer_token_env). */
  name: string;
  value: string | undefined;
}

/** The relay bearer token: the variable named by the charter (MAOS_RELAY_TOKEN by default). */
export function relayToken(
  app: Pick<App, "env" | "charter">,
  source: NodeJS.ProcessEnv = process.env,
): RelayTokenSource {
  const name = app.charter().server.bearerTokenEnv;
  const raw = name === "MAOS_RELAY_TOKEN" ? app.env.MAOS_RELAY_TOKEN : source[name];
  const value = raw?.trim();
  return { name, value: value === "" ? undefined : value };
}

export type BearerCheck = { ok: true } | { ok: false; status: 401 | 503; error: string; hint: string };

/** Checks `Authorization: Bearer …` against the token in constant time. */
export function checkBearer(req: IncomingMessage, token: RelayTokenSource): BearerCheck {
  if (!token.value || token.value.length < MIN_TOKEN_CHARS) {
    return {
      ok: false,
      status: 503,
      error: "relay_token_not_configured",
      hint: `set ${token.name} (at least ${MIN_TOKEN_CHARS} characters) to enable this route; charter server.bearer_token_env names the variable`,
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
  return { ok: true };
}
