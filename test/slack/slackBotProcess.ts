/**
 * The real bot (`src/main.ts`) as a child process on Slack's HTTP mode, for end-to-end tests: started
 * with the environment given, ready once it logs that Slack is live (its port read from that line), its
 * log kept for assertions, and signed requests to post to it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { systemClock } from "../../src/core/clock.ts";
import { reap } from "../helpers/reap.ts";
import { REPO } from "../helpers/testApp.ts";
import { BOT_TOKEN, SIGNING_SECRET, sign } from "./slackTestKit.ts";

export interface BotProcess {
  name: string;
  child: ChildProcess;
  /** Everything the bot wrote to stderr (its log) so far. */
  stderr: () => string;
  /** Its Slack request URL (`…/slack/events`); the relay routes share the server. */
  url: string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/**
 * The environment of a bot on Slack's HTTP mode against the fake Slack at `slackUrl`, with its home and
 * charter: the shipped stacks, a free port on loopback, an info log. Callers add what their case needs.
 */
export function slackBotEnv(o: { home: string; charter: string; slackUrl: string }): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? o.home,
    MAOS_HOME: o.home,
    MAOS_CHARTER: o.charter,
    MAOS_STACKS: path.join(REPO, "stacks"),
    PORT: "0",
    MAOS_BIND: "127.0.0.1",
    LOG_LEVEL: "info",
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: o.slackUrl,
  };
}

export async function spawnSlackBot(name: string, env: Record<string, string>): Promise<BotProcess> {
  const child = reap(
    spawn(process.execPath, ["src/main.ts"], {
      cwd: REPO,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    }),
  );
  let stderr = "";
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const port = await new Promise<string>((resolve, reject) => {
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      // HTTP mode says "Slack is live"; Socket Mode "Slack is starting" (it connects in the background).
      const m = /"port":(\d+)[^\n]*Slack is (?:live|starting)/.exec(stderr);
      if (m?.[1]) resolve(m[1]);
    });
    exited.then(([code]) => reject(new Error(`${name} exited (${code}): ${stderr}`)));
  });
  return { name, child, stderr: () => stderr, url: `http://127.0.0.1:${port}/slack/events`, exited };
}

/** Resolves when the bot's log matches (the bot's own words, as an operator reads them). */
export function logged(bot: BotProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (re.test(bot.stderr())) {
        bot.child.stderr?.off("data", check);
        resolve();
      }
    };
    bot.child.stderr?.on("data", check);
    check();
    bot.exited.then(([code]) =>
      reject(new Error(`${bot.name} exited (${code}) before ${re}: ${bot.stderr()}`)),
    );
  });
}

/** A POST as Slack signs it (v0 signature over the timestamp and the body), for fetch. */
export function signed(body: string, contentType: string, extra: Record<string, string> = {}): RequestInit {
  const ts = String(Math.floor(systemClock.now().getTime() / 1000));
  return {
    method: "POST",
    headers: {
      "content-type": contentType,
      "x-slack-request-timestamp": ts,
      "x-slack-signature": sign(SIGNING_SECRET, ts, body),
      ...extra,
    },
    body,
  };
}

/** A slash-command form body (slackTestKit's slashCommand), signed and posted to the bot. */
export function postCommand(bot: Pick<BotProcess, "url">, body: string): Promise<Response> {
  return fetch(bot.url, signed(body, "application/x-www-form-urlencoded"));
}
