/**
 * A replica's run-queue worker for the queue tests and bench: a real app on MAOS_HOME argv[4] (shared
 * by every worker of a test: one home, many processes), its in-thread executor, and workRunQueue on
 * DATABASE_URL argv[2] as replica argv[3], with the charter's per-stack caps. Heartbeat 10 s (pg-boss's
 * floor) and a 1 s monitor, so a killed worker's job is retried within ~11 s. Prints `ready`, then
 * `start <runId>` as each run starts. MAOS_TEST_PAUSE_AT holds a run at a named point. Runs until killed.
 */
import path from "node:path";
import { createApp } from "../../src/app/createApp.ts";
import { inThreadRuns } from "../../src/app/inThreadRuns.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import { systemClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { ledgerRunState } from "../../src/executor/queue/ledgerRunState.ts";
import { PgRunQueue } from "../../src/executor/queue/PgRunQueue.ts";
import { sealedRunSummary } from "../../src/executor/queue/sealedRunSummary.ts";
import { workRunQueue } from "../../src/executor/queue/workRunQueue.ts";
import type { RunExecutor } from "../../src/executor/RunExecutor.ts";
import { settleOpenRun } from "../../src/executor/reconcileRuns.ts";
import { findStack } from "../../src/stacks/index.ts";

const REPO = path.resolve(import.meta.dirname, "../..");
const [url, replica, home, charterFile] = process.argv.slice(2) as [string, string, string, string?];
const env = loadEnv(
  {
    MAOS_HOME: home,
    MAOS_STACKS: path.join(REPO, "stacks"),
    MAOS_CHARTER: charterFile ?? path.join(REPO, "charter.yml"),
  },
  REPO,
);
const app = createApp({ env, clock: systemClock, log: createLogger({ level: "silent" }) });
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const inThread = inThreadRuns(app);
const local: RunExecutor = {
  ...inThread,
  execute(job, onProgress, control) {
    say(`start ${job.runId} ${job.stack.name}`);
    return inThread.execute(job, onProgress, control);
  },
};
const queue = await PgRunQueue.open({
  url,
  replica,
  heartbeatSeconds: 10,
  monitorSeconds: 1,
  cronSeconds: 1,
});
await workRunQueue(queue, local, {
  concurrency: 4,
  limits: app.charter().runs,
  runState: (runId) => ledgerRunState(app.ledger(), runId),
  abortRun: (runId, reason) => settleOpenRun(app.ledger(), () => app.vault(), runId, reason),
  sealedSummary: (runId) => sealedRunSummary(app.ledger(), () => app.vault(), runId),
  loadStack: (name) => findStack(env.MAOS_STACKS, name),
});
say("ready");
