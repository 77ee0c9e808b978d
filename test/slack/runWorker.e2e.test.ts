/**
 * Runs on the run worker thread (issue 11: acks must not wait behind runs' CPU): the real Slack surface
 * over the loopback fakes, with the app built as `npm start` builds it (`runWorkers`), so every run goes
 * to a worker thread that builds its own App on the same MAOS_HOME. A run completes there, its progress
 * and streamed outputs reach Slack from the bot's thread, it can be cancelled from Slack (through
 * state.db) and in-process (an AbortSignal forwarded to the thread), and an error thrown in the thread
 * reaches the user as its coded message and fix, never a stack trace.
 *
 * The worker thread keeps the system clock (it cannot share an injected one), so this harness uses it
 * too; the prime is the OpenAI fake, whose gated answers hold a run inside its first agent while the
 * test cancels it, so nothing here waits on time (the Slack lanes' one call a second is real time here,
 * which is most of this file's 20 s).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { run } from "../../commands/run.ts";
import type { WorkerRuns } from "../../src/app/WorkerRuns.ts";
import { systemClock } from "../../src/core/clock.ts";
import type { RunProgress } from "../../src/executor/RunProgress.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openaiServer.ts";
import type { FakeSlackCall } from "../fakes/slackWebApi.ts";
import { type SlackHarness, slashCommand, startSlackHarness } from "./slackTestKit.ts";

const CHANNEL = "C0OPS";
let h: SlackHarness;
let fake: FakeOpenAI;

before(async () => {
  fake = await startFakeOpenAI();
  h = await startSlackHarness(systemClock, {
    env: { MAOS_PRIME: "openai:gpt-test", OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: "sk-test-0000000000" },
    app: { runWorkers: 1 },
  });
  h.app.runExecutor().start();
});
after(async () => {
  await h?.close();
  await fake?.close();
});

const pool = () => h.app.runExecutor() as WorkerRuns;
const entries = (type: string) => h.app.ledger().query({ eventType: type });
const lastRunId = () =>
  (entries("RUN_STARTED").at(-1)?.payload as { runId: string } | undefined)?.runId ?? "";

/** A gate the OpenAI fake holds its next answer on, until `open()`. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

/** The next reply to `user` whose text matches, posted or ephemeral. */
function replyMatching(re: RegExp): Promise<FakeSlackCall> {
  const match = (c: FakeSlackCall) => re.test(JSON.stringify(c.body));
  return Promise.race([
    h.slack.waitForCall("chat.postEphemeral", match),
    h.slack.waitForCall("chat.postMessage", match),
  ]);
}

describe("the bot's runs execute on a run worker thread", () => {
  test("/codex run completes on the worker; progress and streamed outputs reach Slack", async () => {
    assert.equal(h.app.runExecutor().kind, "worker");
    const res = await h.post(slashCommand("run marketing_ops event=Expo", "U0OPERATOR", CHANNEL));
    assert.equal(res.status, 200);
    await h.runtime.slack.idle();

    assert.equal(pool().stats().completed, 1, "the run was executed by the worker pool");
    const sealed = entries("RUN_SEALED");
    assert.equal(sealed.length, 1, "sealed, and the bot's ledger sees the worker's entries");
    assert.equal(entries("RUN_STARTED")[0]?.actorIdentity, "slack:U0OPERATOR <operator@example.com>");

    const parent = h.slack.messages.find((m) => m.channel === CHANNEL && !m.threadTs);
    assert.ok(parent, "the run's progress message");
    assert.ok(parent.updates >= 1, "kept up to date from the worker's progress events");
    assert.match(JSON.stringify(parent.blocks), /sealed in commit/);
    assert.ok(h.slack.callsTo("chat.startStream").length >= 1, "outputs streamed into the thread");
    const thread = JSON.stringify(
      h.slack.messages.filter((m) => m.threadTs === parent.ts).map((m) => m.blocks),
    );
    const commit = (sealed[0]?.payload as { commit: string } | undefined)?.commit ?? "(none)";
    assert.ok(thread.includes(commit.slice(0, 12)), "the result names the vault commit");
  });

  test("/codex cancel from Slack stops a run the worker is running (state.db), sealed as cancelled", async () => {
    const g = gate();
    fake.script([{ gate: g.wait }]);
    const before = fake.requests.length;
    await h.post(slashCommand("run marketing_ops event=Expo", "U0OPERATOR", CHANNEL));
    await fake.waitForRequests(before + 1); // the first agent is waiting on the model
    const runId = lastRunId();
    const asked = replyMatching(/Cancel requested/);
    await h.post(slashCommand(`cancel ${runId.slice(0, 8)}`, "U0OPERATOR", CHANNEL));
    await asked;
    g.open();
    await h.runtime.slack.idle();

    const cancelled = entries("RUN_CANCELLED").at(-1)?.payload as { runId: string };
    assert.equal(cancelled?.runId, runId);
    const sealed = entries("RUN_SEALED").at(-1)?.payload as { runId: string; status: string };
    assert.equal(sealed.runId, runId);
    const result = JSON.stringify(h.slack.calls.filter((c) => c.method === "chat.postMessage").at(-1)?.body);
    assert.match(result, /cancelled by/);
  });

  test("an AbortSignal is forwarded to the worker: the run stops before its next agent, its reason names who", async () => {
    const g = gate();
    fake.script([{ gate: g.wait }]);
    const before = fake.requests.length;
    const controller = new AbortController();
    const events: RunProgress[] = [];
    let runId: string | undefined;
    const summary = run(
      { stack: "marketing_ops", inputs: { event: "Expo" } },
      { source: "mcp", id: "claude" },
      h.app,
      (e) => events.push(e),
      {
        signal: controller.signal,
        onRunId: (id) => {
          runId = id;
        },
      },
    );
    await fake.waitForRequests(before + 1);
    controller.abort("mcp:claude");
    g.open();
    const s = await summary;
    assert.equal(s.status, "cancelled");
    assert.deepEqual(s.cancelled, { by: "mcp:claude", via: "signal" });
    assert.equal(s.runId, runId, "onRunId learned the id from the worker");
    assert.deepEqual(
      s.steps.map((st) => st.status),
      ["completed", "skipped", "skipped"],
    );
    assert.ok(events.some((e) => e.type === "started"));
    assert.ok(events.some((e) => e.type === "sealed"));
  });

  test("an error thrown on the worker reaches the user as its code's message and fix, not a stack trace", async () => {
    const from = h.slack.calls.length;
    // A credential typed as an input is refused while the run starts, on the worker thread (INPUT_REFUSED).
    await h.post(slashCommand("run marketing_ops event=AKIAIOSFODNN7EXAMPLE", "U0OPERATOR", CHANNEL));
    await h.runtime.slack.idle();
    const refused = entries("INPUT_REFUSED");
    assert.equal(refused.length, 1, "refused on the record");
    const replies = JSON.stringify(h.slack.calls.slice(from).map((c) => c.body));
    assert.match(replies, /fix:/, "the hint reaches the user");
    assert.doesNotMatch(replies, /AKIAIOSFODNN7EXAMPLE/, "the credential is never echoed");
    assert.doesNotMatch(replies, /\bat .+\.ts:\d+/, "no stack trace");
    assert.doesNotMatch(replies, /unexpected error/, "a coded error, not the generic apology");
  });
});
