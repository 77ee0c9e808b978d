/**
 * Issue 12: an incident approved from the CLI (`maos incident approve`, another process beside the bot)
 * shows on the incident's Slack messages within one heartbeat, not only at resolution. Real processes:
 * the bot (`node src/main.ts`, HTTP mode against the fake Slack), the CLI (`bin/maos.js`); the heartbeat
 * is triggered with GET /heartbeat instead of waiting for the schedule.
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { type FakeSlack, type FakeSlackCall, startFakeSlack } from "../fakes/slackWebApi.ts";
import { reap } from "../helpers/reap.ts";
import { REPO } from "../helpers/testApp.ts";
import { BOT_TOKEN, SIGNING_SECRET, sign, slashCommand } from "./slackTestKit.ts";

const user = os.userInfo().username;
const RELAY_TOKEN = "relay-token-for-the-cli-approval-test";
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const blocksOf = (c: FakeSlackCall | undefined) => JSON.stringify(c?.body.blocks ?? []);
const hasButtons = (c: FakeSlackCall | undefined) => blocksOf(c).includes('"type":"actions"');

test("an incident approved with maos incident approve in another process is shown approved on Slack at the next heartbeat", {
  timeout: 120_000,
}, async (t) => {
  if (!/^[a-z_][a-z0-9_.-]*$/.test(user))
    return t.skip(`needs environment: an OS user name MAOS_ROLES can hold (this one is ${user})`);
  const slack: FakeSlack = await startFakeSlack({ token: BOT_TOKEN });
  cleanups.push(() => slack.close());
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-cli-approval-"));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? home,
    MAOS_HOME: home,
    // The shipped charter: no signals channel, so the incident posts where /codex stop was typed.
    MAOS_CHARTER: path.join(REPO, "charter.yml"),
    MAOS_STACKS: path.join(REPO, "stacks"),
    // The same grants in both processes (the bot refuses a CLI whose roles differ): the Slack operator
    // stops, the OS account approves from the CLI.
    MAOS_ROLES: `operator=U0OPERATOR,local:${user};approver=local:${user}`,
    MAOS_RELAY_TOKEN: RELAY_TOKEN,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    LOG_LEVEL: "info",
  };

  const bot: ChildProcessWithoutNullStreams = reap(
    spawn(process.execPath, ["src/main.ts"], {
      cwd: REPO,
      env: { ...env, PORT: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    }),
  );
  let logs = "";
  cleanups.push(async () => {
    if (bot.exitCode === null) {
      const exited = once(bot, "exit");
      bot.kill("SIGTERM");
      await exited;
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      logs += chunk.toString("utf8");
      const m = /"port":(\d+)[^\n]*MAOS Codex is running on Slack/.exec(logs);
      if (m?.[1]) resolve(Number(m[1]));
    };
    bot.stdout.on("data", read);
    bot.stderr.on("data", read);
    bot.once("exit", (code) => reject(new Error(`the bot exited early (${code}): ${logs}`)));
  });
  const base = `http://127.0.0.1:${port}`;

  // /codex stop from Slack: the incident post lands in the channel, with the Approve button.
  const body = slashCommand("stop drill of the CLI approval path", "U0OPERATOR", "C0OPS");
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${base}/slack/events`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": sign(SIGNING_SECRET, ts, body),
    },
    body,
  });
  assert.equal(res.status, 200);
  const post = await slack.waitForCall(
    "chat.postMessage",
    (c) => /INC-1: governance incident/.test(blocksOf(c)) && c.body.channel === "C0OPS",
  );
  assert.ok(hasButtons(post), "the incident post carries the Approve button");
  const incident = slack.messages.find(
    (m) =>
      m.channel === "C0OPS" && /INC-1: governance incident/.test(JSON.stringify(m.blocks)) && !m.threadTs,
  );
  assert.ok(incident, "the incident's message");

  // The CLI approves it in its own process.
  const cli = spawnSync(
    process.execPath,
    [path.join(REPO, "bin", "maos.js"), "incident", "approve", "INC-1"],
    {
      cwd: REPO,
      env,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  assert.equal(cli.status, 0, cli.stderr + cli.stdout);
  assert.match(cli.stdout, /approved/i);
  const isApprovedUpdate = (c: FakeSlackCall) =>
    c.body.ts === incident.ts && /approved by cli:local:/.test(blocksOf(c));
  assert.equal(slack.calls.filter((c) => c.method === "chat.update" && isApprovedUpdate(c)).length, 0);

  // One heartbeat of the bot later, the message says who approved it and its buttons are gone.
  const beat = await fetch(`${base}/heartbeat`, { headers: { authorization: `Bearer ${RELAY_TOKEN}` } });
  assert.equal(beat.status, 200, await beat.text());
  const update = await slack.waitForCall("chat.update", isApprovedUpdate);
  assert.match(blocksOf(update), new RegExp(`APR-\\d+ approved by cli:local:${user} \\(typed\\)`));
  assert.ok(!hasButtons(update), "the buttons are gone");
  assert.match(blocksOf(update), /Approved\. Next: \/codex incident resolve INC-1/);
  assert.doesNotMatch(blocksOf(update), /@example\.com/);
});
