/**
 * The real bot process (`npm start` on Slack, HTTP mode, against the fake Slack Web API) runs stacks on
 * its run worker thread. A bot killed -9 while its worker holds a run half-way (MAOS_TEST_PAUSE_AT, read
 * by the worker thread too) leaves a run the next start settles; the restarted bot then runs a stack to
 * its seal, its progress message kept current from the worker's events, and exits 0 on SIGTERM once its
 * worker has closed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { type FakeSlack, startFakeSlack } from "../fakes/slackWebApi.ts";
import { type BotProcess, logged, postCommand, slackBotEnv, spawnSlackBot } from "./slackBotProcess.ts";
import { BOT_TOKEN, slashCommand, TEST_CHARTER } from "./slackTestKit.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "maos-botworker-"));
let slack: FakeSlack;
before(async () => {
  slack = await startFakeSlack({ token: BOT_TOKEN });
});
after(async () => {
  await slack?.close();
  rmSync(home, { recursive: true, force: true });
});

function startBot(extra: Record<string, string> = {}): Promise<BotProcess> {
  return spawnSlackBot("the bot", {
    ...slackBotEnv({ home, charter: TEST_CHARTER, slackUrl: slack.url }),
    ...extra,
  });
}

function ledgerTypes(): { type: string; runId: string | null; late: boolean }[] {
  const db = new Database(path.join(home, "ledger.db"), { readonly: true });
  try {
    return (
      db.prepare("SELECT event_type, payload FROM ledger ORDER BY seq").all() as {
        event_type: string;
        payload: string;
      }[]
    ).map((r) => {
      const p = JSON.parse(r.payload) as { runId?: string; late?: boolean };
      return { type: r.event_type, runId: p.runId ?? null, late: p.late === true };
    });
  } finally {
    db.close();
  }
}

test("the bot runs stacks on its worker thread; killed -9 mid-run, the next start settles the run", {
  timeout: 120_000,
}, async () => {
  // A bot whose run worker stops at RUN_COMPLETED and waits there, as if the machine died.
  const first = await startBot({ MAOS_TEST_PAUSE_AT: "run:completed" });
  assert.equal((await postCommand(first, slashCommand("run marketing_ops event=Expo"))).status, 200);
  await logged(first, /MAOS_PAUSED run:completed/);
  first.child.kill("SIGKILL");
  await first.exited;
  const halfway = ledgerTypes().filter((e) => e.type === "RUN_STARTED" || e.type === "RUN_COMPLETED");
  assert.equal(halfway.length, 2, "the worker wrote the run's start and completion before the kill");
  const killedRun = halfway[0]?.runId;

  const second = await startBot();
  await logged(second, /MAOS Codex is running on Slack/);
  const settled = ledgerTypes().filter((e) => e.runId === killedRun && e.type === "RUN_ABORTED");
  assert.equal(settled.length, 1, "the killed run is settled at the next start");

  const from = slack.calls.length;
  assert.equal((await postCommand(second, slashCommand("run marketing_ops event=Expo"))).status, 200);
  await slack.waitForCall("chat.postMessage", (c) => JSON.stringify(c.body).includes("Seal root"));
  const sealed = ledgerTypes().filter((e) => e.type === "RUN_SEALED" && e.runId !== killedRun);
  assert.equal(sealed.length, 1, "the restarted bot's run is sealed");
  const calls = slack.calls.slice(from).map((c) => c.method);
  assert.ok(calls.includes("chat.update"), "its progress message was kept current");
  assert.ok(calls.includes("chat.startStream"), "its outputs were streamed");

  second.child.kill("SIGTERM");
  const [code, signal] = await second.exited;
  assert.equal(signal, null);
  assert.equal(code, 0, second.stderr());
  assert.doesNotMatch(second.stderr(), /"level":50/, "no error logged");
});
