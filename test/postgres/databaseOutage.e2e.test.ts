/**
 * PostgreSQL goes away under a running replica, then comes back, as an operator lives it: /health turns
 * 503 naming the database (no host, port or password: /health is open), the log says it once, not at
 * every retry; when the server is back the replica leads again by itself, and the new term's first
 * beat is late exactly when the outage outlasted a heartbeat.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type PgCluster, startPgCluster } from "../helpers/pgCluster.ts";
import { pgConnect } from "../helpers/pgTestDb.ts";
import { logged, rows, skip, startBot, until } from "./botReplicas.ts";

test("the database goes down and comes back: /health says so, the log once, the replica leads again", {
  skip,
  timeout: 180_000,
}, async (t) => {
  // A server of its own: this test stops it.
  const cluster: PgCluster = await startPgCluster();
  t.after(() => cluster.stop());
  const bot = await startBot("codex-outage", cluster.url);
  t.after(() => bot.child.kill("SIGKILL"));
  await logged(bot, /elected leader/);
  const health = new URL("/health", bot.url);
  const ask = async () => {
    const res = await fetch(health);
    return { status: res.status, body: await res.text() };
  };
  assert.equal((await ask()).status, 200);

  cluster.halt();
  const down = await until("/health to say the database is down", async () => {
    const h = await ask();
    return h.status === 503 ? h : undefined;
  });
  assert.match(down.body, /PostgreSQL \(DATABASE_URL\) does not answer: ECONNREFUSED/);
  assert.doesNotMatch(down.body, new RegExp(`127\\.0\\.0\\.1|${cluster.port}|maos@`));
  await logged(bot, /no longer the leader: the loop stops here/);

  cluster.restart();
  await until("/health to be ok again", async () => ((await ask()).status === 200 ? true : undefined));
  await logged(bot, /PostgreSQL \(DATABASE_URL\) answers again/);
  const said = bot.stderr().match(/does not answer: this replica cannot lead or record/g) ?? [];
  assert.equal(said.length, 1, "said once for the outage, not at every attempt");

  const db = await pgConnect(t, cluster.url);
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
});
