/**
 * PostgreSQL goes away under a running replica, then comes back, as an operator lives it: /health turns
 * 503 naming the database (no host, port or password: /health is open), the log says it once, not at
 * every retry; a slash command meanwhile is told at once that nothing was run, an event gets a 503 that
 * Slack retries; when the server is back the replica leads again by itself, and the new term's first
 * beat is late exactly when the outage outlasted a heartbeat.
 */
import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { type PgCluster, startPgCluster } from "../helpers/pgCluster.ts";
import { pgConnect } from "../helpers/pgTestDb.ts";
import { slashCommand } from "../slack/slackTestKit.ts";
import {
  type Bot,
  command,
  homeOpened,
  logged,
  rows,
  signed,
  skip,
  slack,
  startBot,
  until,
} from "./botReplicas.ts";

test("the database goes down and comes back: /health says so, the log once, the replica leads again", {
  skip,
  timeout: 180_000,
}, async (t) => {
  // A server of its own: this test stops it. Hooks run in order: the bot dies before its server.
  const cluster: PgCluster = await startPgCluster();
  const bot = await startBot("codex-outage", cluster.url);
  t.after(() => bot.child.kill("SIGKILL"));
  t.after(() => cluster.stop());
  try {
    await outageAndReturn(t, cluster, bot);
  } catch (err) {
    // What the bot said is the first thing to read when this fails (in CI, nothing else is kept).
    const tail = bot.stderr().slice(-6000);
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n--- the bot's log, its end ---\n${tail}`,
      {
        cause: err,
      },
    );
  }
});

async function outageAndReturn(t: TestContext, cluster: PgCluster, bot: Bot): Promise<void> {
  await logged(bot, /elected leader/);
  const health = new URL("/health", bot.url);
  const ask = async () => {
    const res = await fetch(health);
    return { status: res.status, body: await res.text() };
  };
  assert.equal((await ask()).status, 200);

  cluster.halt();
  // Every answer during the outage, whatever it says, keeps the database's host, port and user to itself
  // (/health is open); the first ones may name how the live session ended, the later ones the refusal.
  const leak = new RegExp(`127\\.0\\.0\\.1|${cluster.port}|maos@`);
  await until("/health to say the database is down", async () => {
    const h = await ask();
    if (h.status === 503) assert.doesNotMatch(h.body, leak);
    return h.status === 503 && /PostgreSQL \(DATABASE_URL\) does not answer: ECONNREFUSED/.test(h.body)
      ? h
      : undefined;
  });
  await logged(bot, /no longer the leader: the loop stops here/);

  // A run asked for meanwhile: it can be neither checked against replays nor recorded, so it does not
  // run, and the person who asked reads why in Slack at once (a slash command's own response).
  const asked = await command(bot, slashCommand("run marketing_ops event=Outage"));
  assert.equal(asked.status, 200);
  const answer = (await asked.json()) as { response_type: string; text: string };
  assert.equal(answer.response_type, "ephemeral");
  assert.match(answer.text, /cannot reach its database just now.*nothing was run/);
  assert.doesNotMatch(answer.text, leak);
  // An event meanwhile gets a 503, which Slack retries; the retry after the outage is processed.
  const event = homeOpened("Ev0OUTAGE1");
  assert.equal((await fetch(bot.url, signed(event, "application/json"))).status, 503);

  cluster.restart();
  await until("/health to be ok again", async () => ((await ask()).status === 200 ? true : undefined));
  await logged(bot, /PostgreSQL \(DATABASE_URL\) answers again/);
  const said = bot.stderr().match(/does not answer: this replica cannot lead or record/g) ?? [];
  assert.equal(said.length, 1, "said once for the outage, not at every attempt");
  const retried = signed(event, "application/json", {
    "x-slack-retry-num": "1",
    "x-slack-retry-reason": "http_error",
  });
  assert.equal((await fetch(bot.url, retried)).status, 200);
  await until("the retried event's home view", async () =>
    slack.callsTo("views.publish").length > 0 ? true : undefined,
  );

  const db = await pgConnect(t, cluster.url);
  assert.deepEqual(await rows(db, "RUN_STARTED"), [], "the command refused during the outage ran nothing");
  await until("the replica to lead again", async () =>
    (await rows(db, "LEADER_ELECTED")).length === 2 ? true : undefined,
  );
  // The first beat of the new term is late exactly when the outage outlasted a heartbeat (5 s) and its
  // tolerance (10 %): measured from the last beat before the outage, as any late tick is.
  const again = Number((await rows(db, "LEADER_ELECTED"))[1]?.seq);
  const beats = await until("a heartbeat of the new term", async () => {
    const all = await rows(db, "HEARTBEAT");
    return all.some((r) => Number(r.seq) > again) ? all : undefined;
  });
  const before = beats.filter((r) => Number(r.seq) < again).at(-1);
  const first = beats.find((r) => Number(r.seq) > again);
  const at = (r: typeof first) => Date.parse(String(r?.payload.at));
  const gapMs = at(first) - at(before);
  const tick = first?.payload.tick as { late: boolean; lateMs: number };
  assert.equal(tick.late, gapMs > 5_500, `gap ${gapMs} ms, tick ${JSON.stringify(tick)}`);
  const lateEntries = (await rows(db, "HEARTBEAT_LATE")).filter((r) => Number(r.seq) > again);
  assert.equal(lateEntries.length > 0, tick.late);
}
