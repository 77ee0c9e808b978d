/**
 * The database goes away under a replica that talks to Slack over Socket Mode: a slash command arrives
 * on the socket, is acknowledged by its envelope, and its author is told through the command's
 * response_url that nothing was run (on HTTP the request itself answers; see databaseOutage). Nothing
 * runs when the database is back either.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startFakeSocketMode } from "../fakes/slackSocketMode.ts";
import { type PgCluster, startPgCluster } from "../helpers/pgCluster.ts";
import { pgConnect } from "../helpers/pgTestDb.ts";
import { socketCommand } from "../slack/slackTestKit.ts";
import { logged, rows, skip, slack, startBot, until } from "./botReplicas.ts";

const APP_TOKEN = "xapp-1-A0MAOS-1-fakeapptoken";

test("Socket Mode during a database outage: the command is acked and its author told nothing ran", {
  skip,
  timeout: 180_000,
}, async (t) => {
  const cluster: PgCluster = await startPgCluster();
  const socketMode = await startFakeSocketMode(slack);
  const bot = await startBot("codex-socket-outage", cluster.url, { SLACK_APP_TOKEN: APP_TOKEN });
  // Hooks run in order: the bot dies before its server and its fakes.
  t.after(() => bot.child.kill("SIGKILL"));
  t.after(() => cluster.stop());
  t.after(() => socketMode.close());
  try {
    await logged(bot, /elected leader/);
    await socketMode.connected(1);
    const health = new URL("/health", bot.url);
    assert.equal((await fetch(health)).status, 200);

    cluster.halt();
    await until("/health to say the database is down", async () =>
      (await fetch(health)).status === 503 ? true : undefined,
    );
    const ack = await socketMode.slashCommand(
      socketCommand("run marketing_ops event=Outage", {
        // Slack's own form (hooks.slack.com/commands/…), on the fake's origin, which SLACK_API_URL allows.
        responseUrl: new URL("/commands/T0MAOS/1/socket-outage", slack.url).href,
      }),
    );
    assert.match(ack.envelope_id, /slash_commands$/, "acked by its envelope, so Slack shows no error");
    const answer = (await until(
      "the answer through response_url",
      async () => slack.callsTo("response_url")[0]?.body,
    )) as {
      response_type: string;
      text: string;
    };
    assert.equal(answer.response_type, "ephemeral", "only its author sees it");
    assert.match(answer.text, /cannot reach its database just now.*nothing was run.*try again in a minute/i);
    // /health is open and so is this message: neither names the database's host, port or user.
    assert.doesNotMatch(answer.text, new RegExp(`127\\.0\\.0\\.1|${cluster.port}|maos@`));

    cluster.restart();
    await until("/health to be ok again", async () =>
      (await fetch(health)).status === 200 ? true : undefined,
    );
    const db = await pgConnect(t, cluster.url);
    assert.deepEqual(await rows(db, "RUN_STARTED"), [], "the command refused during the outage ran nothing");
    assert.equal(slack.callsTo("response_url").length, 1, "told once");
  } catch (err) {
    const tail = bot.stderr().slice(-6000);
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n--- the bot's log, its end ---\n${tail}`,
      {
        cause: err,
      },
    );
  }
});
