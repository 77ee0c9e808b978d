/**
 * Real bot replicas for the PostgreSQL end-to-end tests: each `npm start` on Slack's HTTP mode with a
 * home of its own, one fake Slack Web API, one vault remote (a bare repository), one ledger key, and a
 * charter with a 5 s heartbeat (the shortest the charter allows), as compose.yaml runs them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import type pg from "pg";
import { systemClock } from "../../src/core/clock.ts";
import { generateNoteKey } from "../../src/ledger/signedNote.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slackWebApi.ts";
import { pgSkip } from "../helpers/pgTestDb.ts";
import { REPO } from "../helpers/testApp.ts";
import {
  type BotProcess,
  logged,
  postCommand,
  signed,
  slackBotEnv,
  spawnSlackBot,
} from "../slack/slackBotProcess.ts";
import { BOT_TOKEN, TEST_CHARTER } from "../slack/slackTestKit.ts";

export const skip = pgSkip();
export const key = generateNoteKey("maos-codex-replicas-test");
export const root = mkdtempSync(path.join(os.tmpdir(), "maos-replicas-"));
// The approvers' charter with a 5 s heartbeat (the shortest the charter allows): standbys try the
// leader lock four times per heartbeat.
export const charter = path.join(root, "charter.yml");
writeFileSync(charter, `${readFileSync(TEST_CHARTER, "utf8")}\nschedules:\n  heartbeat_seconds: 5\n`);
const remote = path.join(root, "vault-remote.git");
export let slack: FakeSlack;

before(async () => {
  if (skip) return;
  slack = await startFakeSlack({ token: BOT_TOKEN });
  spawnSync("git", ["init", "--bare", "--quiet", remote]);
});
after(async () => {
  await slack?.close();
  rmSync(root, { recursive: true, force: true });
});

export interface Bot extends BotProcess {
  home: string;
}

export function botEnv(name: string, url: string): Record<string, string> {
  return {
    ...slackBotEnv({ home: path.join(root, name), charter, slackUrl: slack.url }),
    MAOS_LEDGER_KEY: key.signerKey,
    MAOS_VAULT_REMOTE: remote,
    MAOS_REPLICA: name,
    DATABASE_URL: url,
  };
}

export async function startBot(name: string, url: string, extra: Record<string, string> = {}): Promise<Bot> {
  return { ...(await spawnSlackBot(name, { ...botEnv(name, url), ...extra })), home: path.join(root, name) };
}

export { logged, signed };
export const command = postCommand;

export function homeOpened(eventId: string): string {
  return JSON.stringify({
    token: "verification-token-unused",
    team_id: "T0MAOS",
    api_app_id: "A0MAOS",
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(systemClock.now().getTime() / 1000),
    authorizations: [{ team_id: "T0MAOS", user_id: "U0CODEX", is_bot: true, enterprise_id: null }],
    event: { type: "app_home_opened", user: "U0OPERATOR", channel: "D0HOME", tab: "home", event_ts: "1.2" },
  });
}

/** Waits (polling the shared database, with a deadline) until `f` holds. */
export async function until<T>(
  what: string,
  f: () => Promise<T | undefined>,
  ms = 60_000,
  state?: () => Promise<string>,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}${state ? `: ${await state()}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function maos(bot: Pick<Bot, "name">, url: string, args: string[]) {
  return spawnSync(process.execPath, ["bin/maos.js", ...args], {
    cwd: REPO,
    env: { ...botEnv(bot.name, url), SLACK_BOT_TOKEN: "" },
    encoding: "utf8",
  });
}

/** Ledger rows of one type from the shared database, oldest first, with their payloads. */
export async function rows(
  db: pg.Client,
  type: string,
): Promise<{ seq: string; correlation: string; payload: Record<string, unknown> }[]> {
  return (
    await db.query<{ seq: string; correlation: string; payload: Record<string, unknown> }>(
      "SELECT seq::text, correlation_id AS correlation, canonical::jsonb -> 'payload' AS payload FROM ledger WHERE event_type = $1 ORDER BY ledger.seq",
      [type],
    )
  ).rows;
}
