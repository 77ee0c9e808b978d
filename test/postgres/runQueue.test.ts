/**
 * The run queue (src/executor/queue/) on a real PostgreSQL with real worker processes
 * (queueWorker.ts) sharing one MAOS_HOME: a run sent by this process is run by a worker, its run id,
 * progress and summary (or CodexError) relayed back; the charter's per-stack cap holds across two
 * workers; a worker killed mid-run leaves a job that is retried or reported, never run twice to
 * completion; a schedule fires once per tick across two workers. Waits are on real job states and
 * process output, each with a deadline; nothing is timed.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { type TestContext, test } from "node:test";
import { CodexError } from "../../src/core/CodexError.ts";
import { PgRunQueue } from "../../src/executor/queue/PgRunQueue.ts";
import { QueueRuns } from "../../src/executor/queue/QueueRuns.ts";
import { RUN_QUEUE } from "../../src/executor/queue/queueData.ts";
import type { RunJob } from "../../src/executor/RunExecutor.ts";
import type { RunProgress } from "../../src/executor/RunProgress.ts";
import { loadCharter } from "../../src/governance/charter.ts";
import type { LedgerEntry } from "../../src/ledger/Ledger.ts";
import { findStack } from "../../src/stacks/index.ts";
import { pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";
import { REPO, testApp } from "../helpers/testApp.ts";

const WORKER = path.resolve(import.meta.dirname, "queueWorker.ts");
const skip = pgSkip();

interface Worker {
  child: ChildProcess;
  lines: string[];
  waitFor(match: RegExp): Promise<string>;
}

function startWorker(
  t: TestContext,
  url: string,
  name: string,
  home: string,
  opts: { charter?: string; pauseAt?: string } = {},
): Worker {
  const env = { ...process.env, MAOS_TEST_PAUSE_AT: opts.pauseAt ?? "" };
  const child = spawn(process.execPath, [WORKER, url, name, home, ...(opts.charter ? [opts.charter] : [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  t.after(() => child.kill("SIGKILL"));
  const lines: string[] = [];
  const waiters: { match: RegExp; resolve: (l: string) => void }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.match.test(line))) w.resolve(line);
  };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", onLine);
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", onLine);
  const waitFor = (match: RegExp) => {
    const seen = lines.find((l) => match.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      waiters.push({ match, resolve });
      child.once("exit", (code) =>
        reject(new Error(`${name} exited (${code}) before printing ${match}:\n${lines.join("\n")}`)),
      );
    });
  };
  return { child, lines, waitFor };
}

/** Resolves once `check` is true, reading every 200 ms; fails past the deadline (a hang, not a timing). */
async function until(what: string, check: () => Promise<boolean> | boolean, deadlineMs = 120_000) {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function setup(t: TestContext, charterYaml?: string) {
  const url = await pgTestDatabase(t, { ownDatabase: true });
  const ta = testApp();
  t.after(() => ta.cleanup());
  const charterFile = path.join(ta.home, "charter.yml");
  writeFileSync(charterFile, charterYaml ?? "");
  const charter = loadCharter(charterFile);
  const queue = await PgRunQueue.open({ url, replica: "acker", heartbeatSeconds: 10, monitorSeconds: 1 });
  t.after(() => queue.close());
  const cancels: { runId: string; by: string }[] = [];
  const runs = new QueueRuns(queue, {
    charter,
    secrets: ["hunter2-known-secret-value"],
    local: ta.app.runExecutor(),
    requestCancel: (runId, by) => {
      cancels.push({ runId, by });
      return ta.app.state().requestCancel(runId, by, "test");
    },
    backstopMs: 500,
  });
  const stack = findStack(path.join(REPO, "stacks"), "marketing_ops");
  const job = (inputs: Record<string, string> = {}): RunJob => ({
    stack,
    inputs,
    actor: { source: "cli", id: "local:queue-test" },
  });
  const entries = (type: string): LedgerEntry[] => ta.app.ledger().query({ eventType: type, limit: 10_000 });
  const runIdOf = (e: LedgerEntry) => (e.payload as { runId: string }).runId;
  return { url, home: ta.home, charterFile, queue, runs, job, entries, runIdOf, cancels, app: ta.app };
}

test("a queued run is run by a worker process: run id, progress and summary come back; inputs are screened", {
  skip,
}, async (t) => {
  const s = await setup(t);
  const w = startWorker(t, s.url, "w1", s.home, { charter: s.charterFile });
  await w.waitFor(/^ready$/);
  const events: RunProgress[] = [];
  let runId: string | undefined;
  const summary = await s.runs.execute(
    s.job({ offer: "use key hunter2-known-secret-value" }),
    (e) => events.push(e),
    {
      onRunId: (id) => {
        runId = id;
      },
    },
  );
  assert.equal(summary.status, "completed");
  assert.equal(runId, summary.runId);
  assert.ok(w.lines.includes(`start ${summary.runId} marketing_ops`));
  const types = events.map((e) => e.type);
  assert.equal(types[0], "started");
  assert.ok(types.includes("output"), types.join(","));
  assert.equal(types.at(-1), "sealed");
  // The secret typed as an input was never stored: the job's data and the run both have it redacted.
  const [stored] = await s.queue.boss.findJobs(RUN_QUEUE, {});
  assert.ok(stored);
  assert.doesNotMatch(JSON.stringify(stored.data), /hunter2-known-secret-value/);
  const started = s.entries("RUN_STARTED").find((e) => s.runIdOf(e) === summary.runId);
  assert.ok(started);
  assert.deepEqual((started.payload as { inputsRedacted?: unknown }).inputsRedacted, [
    { input: "offer", patterns: ["known secret value"] },
  ]);
  // The relayed rows are gone once the run is settled.
  assert.equal((await s.queue.pool.query("SELECT 1 FROM run_queue_events")).rowCount, 0);
  // Inputs the charter refuses (a credential pattern) are never queued: refused here, as always.
  await assert.rejects(
    s.runs.execute(s.job({ offer: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789" })),
    {
      code: "INPUT_REFUSED",
    },
  );
  assert.equal(s.entries("INPUT_REFUSED").length, 1);
  assert.equal((await s.queue.boss.findJobs(RUN_QUEUE, {})).length, 1);
});

test("a queued run's failure comes back as its CodexError: code, message and hint", { skip }, async (t) => {
  const s = await setup(t);
  const w = startWorker(t, s.url, "w1", s.home, { charter: s.charterFile });
  await w.waitFor(/^ready$/);
  const err = await s.runs.execute({ ...s.job(), provider: "anthropic:claude-x" }).then(
    () => assert.fail("expected the run to fail"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CodexError, String(err));
  assert.equal(err.code, "CONFIG_INVALID");
  assert.match(err.message, /ANTHROPIC_API_KEY/);
  assert.ok(err.hint);
});

test("an abort of the caller's signal is filed as a cancel the worker's run reads between agents", {
  skip,
}, async (t) => {
  const s = await setup(t);
  const w = startWorker(t, s.url, "w1", s.home, { charter: s.charterFile });
  await w.waitFor(/^ready$/);
  const ac = new AbortController();
  const pending = s.runs.execute(s.job(), undefined, { signal: ac.signal });
  ac.abort("local:queue-test");
  const summary = await pending;
  assert.equal(summary.status, "cancelled");
  assert.deepEqual(s.cancels, [{ runId: summary.runId, by: "local:queue-test" }]);
});

test("the charter's per-stack cap holds across two worker processes: runs of the stack never overlap", {
  skip,
}, async (t) => {
  const s = await setup(t, "runs:\n  per_stack: { marketing_ops: 1 }\n");
  const workers = [
    startWorker(t, s.url, "w1", s.home, { charter: s.charterFile }),
    startWorker(t, s.url, "w2", s.home, { charter: s.charterFile }),
  ];
  await Promise.all(workers.map((w) => w.waitFor(/^ready$/)));
  const summaries = await Promise.all([1, 2, 3, 4].map(() => s.runs.execute(s.job())));
  assert.ok(summaries.every((x) => x.status === "completed"));
  // In the ledger's one total order, each run's RUN_STARTED..RUN_SEALED span is disjoint from the others'.
  const ids = new Set(summaries.map((x) => x.runId));
  const spans = summaries.map((x) => {
    const start = s.entries("RUN_STARTED").find((e) => s.runIdOf(e) === x.runId);
    const sealed = s.entries("RUN_SEALED").find((e) => s.runIdOf(e) === x.runId);
    assert.ok(start && sealed);
    return [start.seq, sealed.seq] as const;
  });
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    assert.ok((spans[i - 1]?.[1] ?? 0) < (spans[i]?.[0] ?? 0), `runs overlap: ${JSON.stringify(spans)}`);
  }
  assert.equal(ids.size, 4);
});

for (const { point, outcome } of [
  { point: "run:completed", outcome: "retried" },
  { point: "run:sealed", outcome: "reported with its sealed result, not re-run" },
] as const) {
  test(`a worker killed (kill -9) at ${point}: the job is ${outcome}, never run twice to completion`, {
    skip,
  }, async (t) => {
    const s = await setup(t);
    const a = startWorker(t, s.url, "doomed", s.home, { charter: s.charterFile, pauseAt: point });
    await a.waitFor(/^ready$/);
    const result = s.runs.execute(s.job()).then(
      (summary) => ({ summary }),
      (error: unknown) => ({ error }),
    );
    const firstRun = (await a.waitFor(/^start /)).split(" ")[1] ?? "";
    await a.waitFor(new RegExp(`MAOS_PAUSED ${point}`));
    const b = startWorker(t, s.url, "survivor", s.home, { charter: s.charterFile });
    await b.waitFor(/^ready$/);
    a.child.kill("SIGKILL");
    const r = await result;
    const sealedOf = (id: string) => s.entries("RUN_SEALED").filter((e) => s.runIdOf(e) === id).length;
    const abortedOf = (id: string) => s.entries("RUN_ABORTED").filter((e) => s.runIdOf(e) === id).length;
    if (point === "run:completed") {
      assert.ok("summary" in r, String("error" in r && r.error));
      assert.notEqual(r.summary.runId, firstRun);
      assert.ok(b.lines.includes(`start ${r.summary.runId} marketing_ops`));
      assert.equal(abortedOf(firstRun), 1, "the dead attempt is aborted once");
      const aborted = s.entries("RUN_ABORTED").find((e) => s.runIdOf(e) === firstRun);
      assert.match(
        String((aborted?.payload as { reason?: unknown } | undefined)?.reason),
        /^replica doomed stopped during attempt 1 of run queue job \S+; the job is run again as attempt 2 by survivor/,
      );
      assert.equal(sealedOf(firstRun), 0);
      assert.equal(sealedOf(r.summary.runId), 1);
    } else {
      // The dead replica's run is reported with its own result, read back from its seal.
      assert.ok("summary" in r, String("error" in r && r.error));
      const sealed = s.entries("RUN_SEALED").find((e) => s.runIdOf(e) === firstRun);
      const seal = sealed?.payload as { commit: string; vaultPath: string; sealRoot: string };
      assert.equal(r.summary.runId, firstRun);
      assert.equal(r.summary.status, "completed");
      assert.equal(r.summary.vault.commit, seal.commit);
      assert.ok(r.summary.vault.path.endsWith(seal.vaultPath));
      assert.equal(r.summary.seal.root, seal.sealRoot);
      assert.deepEqual(
        r.summary.steps.map((st) => st.agent),
        s.job().stack.agents.map((a) => a.id),
      );
      assert.ok(r.summary.evaluation, "its evaluation, from codex_evaluation.json");
      assert.equal(r.summary.score, r.summary.evaluation.score);
      assert.equal(sealedOf(firstRun), 1);
      assert.equal(abortedOf(firstRun), 0);
      assert.ok(!b.lines.some((l) => l.startsWith("start ")), "the survivor never ran it");
    }
    const attempts = await s.queue.pool.query<{ run_id: string; outcome: string }>(
      "SELECT run_id, outcome FROM run_queue_attempts ORDER BY attempt",
    );
    assert.equal(attempts.rows[0]?.run_id, firstRun);
    assert.equal(attempts.rows[0]?.outcome, point === "run:completed" ? "aborted" : "sealed");
  });
}

test("20 runs across two worker processes, one killed mid-run: each job ends once, ledger and vault agree", {
  skip,
}, async (t) => {
  const s = await setup(t);
  const doomed = startWorker(t, s.url, "doomed", s.home, { charter: s.charterFile });
  const survivor = startWorker(t, s.url, "survivor", s.home, { charter: s.charterFile });
  await Promise.all([doomed, survivor].map((w) => w.waitFor(/^ready$/)));
  const results = Array.from({ length: 20 }, () =>
    s.runs.execute(s.job()).then(
      (summary) => ({ summary }),
      (error: unknown) => ({ error }),
    ),
  );
  // Mid-run: once one of its runs is in the ledger (RUN_STARTED), whatever it is doing then.
  const doomedRuns = () => doomed.lines.filter((l) => l.startsWith("start ")).map((l) => l.split(" ")[1]);
  await until("a run of the doomed worker to start", () => {
    const ids = new Set(s.entries("RUN_STARTED").map(s.runIdOf));
    return doomedRuns().some((id) => id !== undefined && ids.has(id));
  });
  doomed.child.kill("SIGKILL");
  const settled = await Promise.all(results);
  const sealed = s.entries("RUN_SEALED").map(s.runIdOf);
  const aborted = s.entries("RUN_ABORTED").map(s.runIdOf);
  const started = new Set(s.entries("RUN_STARTED").map(s.runIdOf));
  // Every job returns its run's result: a run the dead worker had sealed too, read back from its seal.
  for (const r of settled) {
    assert.ok("summary" in r, String("error" in r && r.error));
    assert.equal(r.summary.status, "completed");
    assert.equal(sealed.filter((id) => id === r.summary.runId).length, 1);
  }
  const attempts = await s.queue.pool.query<{ job_id: string; run_id: string }>(
    "SELECT job_id, run_id FROM run_queue_attempts ORDER BY job_id, attempt",
  );
  const jobs = new Map<string, string[]>();
  for (const a of attempts.rows) jobs.set(a.job_id, [...(jobs.get(a.job_id) ?? []), a.run_id]);
  assert.equal(jobs.size, 20);
  for (const [job, runIds] of jobs) {
    // Never twice to completion: at most one sealed run per job, and every started run settled once.
    assert.equal(runIds.filter((id) => sealed.includes(id)).length, 1, `job ${job}: ${runIds.join(", ")}`);
    for (const id of runIds.filter((id) => started.has(id))) {
      const ends = sealed.filter((x) => x === id).length + aborted.filter((x) => x === id).length;
      assert.equal(ends, 1, `run ${id} of job ${job} settled ${ends} times`);
    }
  }
  const vault = await s.app.vault();
  const report = await vault.verify();
  assert.ok(report.ok, JSON.stringify(report.runs.filter((r) => !r.ok)));
  assert.equal(report.runs.length, sealed.length, "one sealed folder per RUN_SEALED");
});

test("a charter schedule fires once per tick across two worker processes", { skip }, async (t) => {
  const s = await setup(
    t,
    'runs:\n  schedules:\n    - { stack: marketing_ops, cron: "* * * * *", timezone: UTC }\n',
  );
  const workers = [
    startWorker(t, s.url, "w1", s.home, { charter: s.charterFile }),
    startWorker(t, s.url, "w2", s.home, { charter: s.charterFile }),
  ];
  await Promise.all(workers.map((w) => w.waitFor(/^ready$/)));
  const charter = loadCharter(s.charterFile);
  await s.queue.setSchedules(charter.runs.schedules, s.charterFile);
  // Twice, as every replica does at start: still one schedule.
  await s.queue.setSchedules(charter.runs.schedules, s.charterFile);
  assert.equal((await s.queue.boss.getSchedules(RUN_QUEUE)).length, 1);
  const done = async () =>
    (await s.queue.boss.findJobs(RUN_QUEUE, {})).filter((j) => j.state === "completed").length > 0;
  await until("the scheduled run to complete", done, 150_000);
  await s.queue.setSchedules([], s.charterFile);
  await until("no scheduled run in flight", async () =>
    (await s.queue.boss.findJobs(RUN_QUEUE, {})).every((j) => ["completed", "failed"].includes(j.state)),
  );
  const jobs = await s.queue.boss.findJobs(RUN_QUEUE, {});
  const minutes = new Set(jobs.map((j) => Math.floor(j.createdOn.getTime() / 60_000)));
  assert.equal(jobs.length, minutes.size, "one job per tick");
  const started = workers.flatMap((w) => w.lines.filter((l) => l.startsWith("start ")));
  assert.equal(started.length, jobs.length, "each scheduled job ran once");
  const sealed = s.entries("RUN_SEALED").length;
  assert.equal(sealed, jobs.length);
});

test("a PostgreSQL that cannot be reached is a CodexError naming DATABASE_URL, without the password", async () => {
  const err = await PgRunQueue.open({ url: "postgres://maos:s3cret-pw@127.0.0.1:1/maos", replica: "x" }).then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CodexError);
  assert.match(err.message, /postgres:\/\/maos@127\.0\.0\.1:1\/maos/);
  assert.match(`${err.message} ${err.hint}`, /DATABASE_URL/);
  assert.doesNotMatch(`${err.message} ${err.hint}`, /s3cret-pw/);
});
