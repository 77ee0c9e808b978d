import type { Env } from "../config/loadEnv.ts";
import { CodexError } from "../core/CodexError.ts";

export type SlackMode =
  | { kind: "socket"; botToken: string; appToken: string }
  | { kind: "http"; botToken: string; signingSecret: string };

/**
 * Which receiver the tokens ask for (the contract): an app token means Socket Mode; otherwise a
 * signing secret means HTTP mode at /slack/events on PORT. Any other combination stops start-up with
 * the variable to set. Token shapes (xoxb-, xapp-) are already checked by loadEnv.
 */
export function slackMode(
  env: Pick<Env, "SLACK_BOT_TOKEN" | "SLACK_APP_TOKEN" | "SLACK_SIGNING_SECRET">,
): SlackMode {
  const bot = env.SLACK_BOT_TOKEN;
  const app = env.SLACK_APP_TOKEN;
  const secret = env.SLACK_SIGNING_SECRET;
  if (!bot) {
    const set = app ? "SLACK_APP_TOKEN" : secret ? "SLACK_SIGNING_SECRET" : undefined;
    throw new CodexError(
      "CONFIG_INVALID",
      set
        ? `${set} is set but SLACK_BOT_TOKEN is not: Slack needs the bot token in both modes.`
        : "SLACK_BOT_TOKEN is not set, so Slack cannot start.",
      {
        hint: "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page, or unset the other SLACK_* variables to run without Slack",
      },
    );
  }
  if (app) return { kind: "socket", botToken: bot, appToken: app };
  if (secret) {
    // Slack's signing secrets are 32 hex digits; anything much shorter is a paste mistake.
    if (!/^[0-9a-zA-Z]{16,}$/.test(secret)) {
      throw new CodexError("CONFIG_INVALID", "SLACK_SIGNING_SECRET is set but malformed.", {
        hint: "copy the Signing Secret (Basic Information > App Credentials), 32 characters, with no quotes or spaces",
      });
    }
    return { kind: "http", botToken: bot, signingSecret: secret };
  }
  throw new CodexError(
    "CONFIG_INVALID",
    "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is.",
    {
      hint: "set SLACK_APP_TOKEN to an app-level token (xapp-…, connections:write) for Socket Mode, or SLACK_SIGNING_SECRET for HTTP mode at /slack/events",
    },
  );
}
