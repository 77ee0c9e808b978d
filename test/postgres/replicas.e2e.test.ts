/**
 * Two real bot processes (`npm start` on Slack's HTTP mode, each with its own MAOS_HOME) on one
 * PostgreSQL database, as behind a load balancer: one leads the autonomy loop, the other stands by;
 * a Slack event retried to the other replica and a slash command replayed there are processed once;
 * runs acked by either replica are sealed into one vault history (MAOS_VAULT_REMOTE) and custody holds
 * on the leader; kill -9 the leader and the other takes over, records it, runs on, and the shared
 * ledger verifies with the public key alone.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { pgConnect, pgTestDatabase } from "../helpers/pgTestDb.ts";
import { REPO } from "../helpers/testApp.ts";
import { slashCommand } from "../slack/slackTestKit.ts";
import {
  charter,
  command,
  homeOpened,
  key,
  rows as ledgerRows,
  logged,
  maos,
  root,
  signed,
  skip,
  slack,
  startBot,
  until,
} from "./botReplicas.ts";

test("two bot replicas on one PostgreSQL: one leader, Slack retries processed once, one vault history, kill -9 failover", {
  skip,
  timeout: 170_000,
}, async (t) => {
  const url = await pgTestDatabase(t, { ownDatabase: true });
  const db = await pgConnect(t, url);
  const a = await startBot("codex-a", url);
  t.after(() => a.child.kill("SIGKILL"));
  await logged(a, /elected leader/);
  const b = await startBot("codex-b", url);
  t.after(() => b.child.kill("SIGKILL"));
  await logged(b, /standing by: another replica leads the autonomy loop/);

  const rows = (type: string) => ledgerRows(db, type);
  assert.deepEqual(
    (await rows("LEADER_ELECTED")).map((r) => r.payload.replica),
    ["codex-a"],
    "one leader, named",
  );

  // A Slack event, then Slack's retry of it delivered by the load balancer to the other replica.
  const home = homeOpened("Ev0REPLICA1");
  assert.equal((await fetch(a.url, signed(home, "application/json"))).status, 200);
  const retry = await fetch(
    b.url,
    signed(home, "application/json", { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" }),
  );
  assert.equal(retry.status, 200);
  await until("the home view", async () => (slack.callsTo("views.publish").length > 0 ? true : undefined));

  // Runs acked by either replica; the same signed command replayed to the other one runs nothing more.
  const run = slashCommand("run marketing_ops event=Expo");
  assert.equal((await command(a, run)).status, 200);
  assert.equal((await command(b, run)).status, 200);
  assert.equal((await command(b, slashCommand("run marketing_ops event=Summit"))).status, 200);
  const sealed = await until("two sealed runs", async () => {
    const s = await rows("RUN_SEALED");
    return s.length >= 2 ? s : undefined;
  });
  assert.equal((await rows("RUN_STARTED")).length, 2, "the replayed command started no run");
  // Both went through the shared run queue, each run by one replica's worker, and Slack's progress
  // message (kept by the replica that acked) followed the run to its seal.
  const attempts = await db.query<{ replica: string; outcome: string }>(
    "SELECT replica, outcome FROM run_queue_attempts ORDER BY job_id",
  );
  assert.equal(attempts.rows.length, 2, JSON.stringify(attempts.rows));
  assert.ok(attempts.rows.every((r) => ["codex-a", "codex-b"].includes(r.replica)));
  await until("both progress messages at their seal", async () => {
    const done = slack.messages.filter(
      (m) => !m.threadTs && /sealed in commit/.test(JSON.stringify(m.blocks)),
    );
    return done.length >= 2 ? true : undefined;
  });
  assert.equal(slack.callsTo("views.publish").length, 1, "the retried event was published once");

  // The leader's next heartbeat checks custody over both replicas' seals: no break, the loop runs on.
  const lastSealSeq = Number(sealed.at(-1)?.seq);
  const beat = await until("a heartbeat after the seals", async () => {
    const h = (await rows("HEARTBEAT")).filter((r) => Number(r.seq) > lastSealSeq);
    return h[0];
  });
  const drift = beat.payload.drift as { band: string; components: { name: string; detail: string }[] };
  assert.equal(
    drift.band,
    "green",
    `custody holds across replicas: ${JSON.stringify(drift.components.filter((c) => c.name === "custody"))}`,
  );

  // kill -9 the leader: the standby leads, records it, and its loop beats on.
  a.child.kill("SIGKILL");
  await a.exited;
  await logged(b, /elected leader/);
  const elected = await rows("LEADER_ELECTED");
  assert.deepEqual(
    elected.map((r) => r.payload.replica),
    ["codex-a", "codex-b"],
  );
  const electedSeq = Number(elected.at(-1)?.seq);
  await until("the new leader's heartbeat", async () =>
    (await rows("HEARTBEAT")).find((r) => Number(r.seq) > electedSeq),
  );
  assert.equal((await command(b, slashCommand("run marketing_ops event=Failover"))).status, 200);
  await until("the run on the survivor", async () =>
    (await rows("RUN_SEALED")).length >= 3 ? true : undefined,
  );

  // An operator asks any replica where the loop runs: the new leader, by name.
  const status = maos(b, url, ["status"]);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /the loop runs in the leader replica codex-b: pid \d+ on /);

  // Auditors: the survivor's `maos ledger verify` and `maos vault verify`, and the exported ledger.
  const verify = maos(b, url, ["ledger", "verify"]);
  assert.equal(verify.status, 0, `maos ledger verify: ${verify.stdout}${verify.stderr}`);
  const vault = maos(b, url, ["vault", "verify"]);
  assert.equal(vault.status, 0, `maos vault verify: ${vault.stdout}${vault.stderr}`);
  const exported = path.join(root, "export.db");
  const exp = maos(b, url, ["ledger", "export", "--sqlite", exported]);
  assert.equal(exp.status, 0, exp.stderr);
  const vkey = path.join(root, "ledger.vkey");
  writeFileSync(vkey, `${key.verifierKey}\n`);
  const check = spawnSync(
    process.execPath,
    ["bin/maos.js", "ledger", "verify", "--key", vkey, "--db", exported],
    { cwd: REPO, env: { PATH: process.env.PATH ?? "", HOME: root, MAOS_HOME: root }, encoding: "utf8" },
  );
  assert.equal(check.status, 0, `the export verified with --key: ${check.stdout}${check.stderr}`);
});

test("a replica whose database does not answer, or that lacks the replicas' key, stops at start saying why, and writes nothing", async () => {
  const start = (extra: Record<string, string>) =>
    spawnSync(process.execPath, ["src/main.ts"], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: root,
        MAOS_HOME: path.join(root, "down"),
        MAOS_CHARTER: charter,
        MAOS_STACKS: path.join(REPO, "stacks"),
        DATABASE_URL: "postgres://maos:pw-never-shown-5678@127.0.0.1:9/maos",
        PORT: "0",
        ...extra,
      },
      encoding: "utf8",
      timeout: 60_000,
    });
  const down = start({ MAOS_LEDGER_KEY: key.signerKey });
  assert.equal(down.status, 1, down.stderr);
  assert.match(down.stderr, /cannot connect to the ledger database postgres:\/\/maos@127\.0\.0\.1:9\/maos/);
  assert.match(down.stderr, /check DATABASE_URL and that PostgreSQL is up/);
  const noKey = start({});
  assert.equal(noKey.status, 2, noKey.stderr);
  assert.match(noKey.stderr, /DATABASE_URL is set but MAOS_LEDGER_KEY is not/);
  for (const out of [down.stderr, noKey.stderr]) {
    assert.doesNotMatch(out, /pw-never-shown-5678/);
    assert.doesNotMatch(out, /\n\s+at /, "no stack trace");
  }
  assert.throws(
    () => readFileSync(path.join(root, "down", "ledger.db")),
    "nothing written to SQLite instead",
  );
});
