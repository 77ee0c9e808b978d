import type { Env } from "./loadEnv.ts";

/** Shorter bearer tokens are refused: they are guessable. */
export const MIN_TOKEN_CHARS = 16;

export interface RelayTokenSource {
  /** The variable the charter names (server.bearer_token_env). */
  name: string;
  value: string | undefined;
}

/** Where the token is named and read: the env and the charter's server section. */
export interface RelayTokenConfig {
  readonly env: Pick<Env, "MAOS_RELAY_TOKEN">;
  charter(): { server: { bearerTokenEnv: string } };
}

/** The relay bearer token: the variable named by the charter (MAOS_RELAY_TOKEN by default). */
export function relayToken(app: RelayTokenConfig, source: NodeJS.ProcessEnv = process.env): RelayTokenSource {
  const name = app.charter().server.bearerTokenEnv;
  const raw = name === "MAOS_RELAY_TOKEN" ? app.env.MAOS_RELAY_TOKEN : source[name];
  const value = raw?.trim();
  return { name, value: value === "" ? undefined : value };
}
