/**
 * Starts the real Slack surface (startSlack + a real createApp) in HTTP mode on 127.0.0.1 against the
 * fake Slack Web API, and signs requests the way Slack does. Shared by the HTTP-mode e2e test and the
 * ack benchmark.
 */
import crypto from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type App, type AppOptions, createApp } from "../../src/app/createApp.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import type { Clock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { type SlackRuntime, startSlack } from "../../src/slack/startSlack.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slackWebApi.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const BOT_TOKEN = "xoxb-test-token-for-the-fake";
export const TEST_CHARTER = path.join(root, "test/fixtures/slack/approvers-charter.yml");

export interface SlackHarness {
  app: App;
  slack: FakeSlack;
  runtime: SlackRuntime;
  base: string;
  home: string;
  /** POSTs a body to /slack/events signed with the signing secret at the clock's now (or `at` seconds). */
  post(
    body: string,
    opts?: { json?: boolean; headers?: Record<string, string>; at?: number; signature?: string },
  ): Promise<Response>;
  close(): Promise<void>;
}

/** The relay routes stand-in: the HTTP server must try these first. */
export function healthRoute(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    return true;
  }
  return false;
}

export function sign(secret: string, timestamp: string, body: string): string {
  return `v0=${crypto.createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export async function startSlackHarness(
  clock: Clock,
  opts: { stacks?: string; charter?: string; env?: Record<string, string>; app?: AppOptions } = {},
): Promise<SlackHarness> {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-slack-"));
  const slack = await startFakeSlack({ token: BOT_TOKEN });
  const env = loadEnv(
    {
      MAOS_HOME: home,
      MAOS_CHARTER: opts.charter ?? TEST_CHARTER,
      MAOS_STACKS: opts.stacks ?? path.join(root, "stacks"),
      PORT: "0",
      LOG_LEVEL: "silent",
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      ...opts.env,
    },
    root,
  );
  const app = createApp({ env, clock, log: createLogger({ level: "silent" }), ...opts.app });
  const runtime = await startSlack(app, { clock, host: "127.0.0.1", routes: healthRoute });
  const base = `http://127.0.0.1:${runtime.port}`;
  return {
    app,
    slack,
    runtime,
    base,
    home,
    post(body, opts = {}) {
      const ts = String(opts.at ?? Math.floor(clock.now().getTime() / 1000));
      return fetch(`${base}/slack/events`, {
        method: "POST",
        headers: {
          "content-type": opts.json ? "application/json" : "application/x-www-form-urlencoded",
          "x-slack-request-timestamp": ts,
          "x-slack-signature": opts.signature ?? sign(SIGNING_SECRET, ts, body),
          ...opts.headers,
        },
        body,
      });
    },
    async close() {
      try {
        await runtime.stop();
        await app.close();
        await slack.close();
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

let triggers = 0;
/** A trigger id in Slack's shape, new on every call (Slack gives each command its own). */
export function nextTriggerId(): string {
  triggers++;
  return `${398738663015 + triggers}.47445629121.${triggers.toString(16).padStart(32, "0")}`;
}

/** A `/codex …` slash-command form body as Slack sends it, with a trigger id of its own. */
export function slashCommand(
  text: string,
  user = "U0OPERATOR",
  channel = "C0OPS",
  triggerId: string = nextTriggerId(),
): string {
  return new URLSearchParams(commandFields(text, user, channel, triggerId)).toString();
}

/** The same command as Socket Mode delivers it: the form fields as an envelope's JSON payload. */
export function socketCommand(
  text: string,
  o: { channel?: string; responseUrl?: string } = {},
): Record<string, string> {
  return {
    ...commandFields(text, "U0OPERATOR", o.channel ?? "C0SOCK", nextTriggerId(), o.responseUrl),
    is_enterprise_install: "false",
  };
}

function commandFields(
  text: string,
  user: string,
  channel: string,
  triggerId: string,
  responseUrl = "http://127.0.0.1:9/commands/unused",
): Record<string, string> {
  return {
    token: "verification-token-unused",
    team_id: "T0MAOS",
    team_domain: "maos-test",
    channel_id: channel,
    channel_name: "ops",
    user_id: user,
    user_name: user.toLowerCase(),
    command: "/codex",
    text,
    api_app_id: "A0MAOS",
    response_url: responseUrl,
    trigger_id: triggerId,
  };
}

/** An Events API callback (JSON) for a reaction on a message. */
export function reactionEvent(o: {
  eventId: string;
  user: string;
  reaction: string;
  channel: string;
  ts: string;
  added?: boolean;
}): string {
  return JSON.stringify({
    token: "verification-token-unused",
    team_id: "T0MAOS",
    api_app_id: "A0MAOS",
    type: "event_callback",
    event_id: o.eventId,
    event_time: 1790000100,
    authorizations: [{ team_id: "T0MAOS", user_id: "U0CODEX", is_bot: true, enterprise_id: null }],
    event: {
      type: o.added === false ? "reaction_removed" : "reaction_added",
      user: o.user,
      reaction: o.reaction,
      item: { type: "message", channel: o.channel, ts: o.ts },
      item_user: "U0CODEX",
      event_ts: "1790000100.000100",
    },
  });
}
