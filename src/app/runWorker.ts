/**
 * A run worker thread (started by WorkerRuns, once, when the bot starts): it builds its own App on the
 * bot's MAOS_HOME and configuration (the ledger, state.db and the vault are safe for several writers on
 * one home) and runs stacks there, so their CPU (drafting, guardrail scans, evaluation, hashing, the
 * vault's git objects) never holds the event loop that acks Slack. Progress events and the summary go
 * back as plain data; a failure goes back as its CodexError's code, message and hint.
 */
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { secretValues } from "../config/loadEnv.ts";
import { createLogger } from "../core/logger.ts";
import { lowerThreadPriority } from "../core/threadPriority.ts";
import { runStack } from "../executor/runStack.ts";
import { createApp } from "./createApp.ts";
import { errorToWire, type FromWorker, type RunWorkerData, type ToWorker } from "./runWorkerWire.ts";

// Runs yield the CPU to the bot's own thread: an ack must not wait behind a run's drafting or hashing.
lowerThreadPriority();

const port = parentPort;
if (!port) throw new Error("runWorker.ts runs as a worker thread (see WorkerRuns)");
const { env, logLevel } = workerData as RunWorkerData;
const post = (m: FromWorker) => port.postMessage(m);

// Written to stderr from this thread, not relayed through the bot's event loop.
const stderr = {
  write(line: string) {
    writeSync(2, line);
    return true;
  },
} as unknown as NodeJS.WritableStream;
const log = createLogger({ level: logLevel, secrets: secretValues(env), destination: stderr }).child({
  thread: "runs",
});
const app = createApp({
  env,
  log,
  // STOP–RESET–REALIGN is the bot's kernel's to apply: this thread records, the bot reacts.
  egressRefused: async (refusal, seq) => post({ type: "egress-refused", refusal, seq }),
});
// DATABASE_URL: this thread's own connections to the shared ledger, state and outbox (a failure
// surfaces in the first run, as the run's error).
await app.connect();
const running = new Map<number, AbortController>();

port.on("message", (m: ToWorker) => {
  if (m.type === "run") void execute(m.id, m.job, m.cancelled);
  else if (m.type === "cancel") running.get(m.id)?.abort(m.reason);
  else if (m.type === "close") void close();
});

async function execute(
  id: number,
  job: Extract<ToWorker, { type: "run" }>["job"],
  cancelled?: string | true,
) {
  const controller = new AbortController();
  if (cancelled !== undefined) controller.abort(cancelled === true ? undefined : cancelled);
  running.set(id, controller);
  try {
    const summary = await runStack(
      { ...job, signal: controller.signal, onRunId: (runId) => post({ type: "runId", id, runId }) },
      await app.runDeps(),
      (event) => post({ type: "progress", id, event }),
    );
    post({ type: "done", id, summary });
  } catch (err) {
    post({ type: "failed", id, error: errorToWire(err) });
  } finally {
    running.delete(id);
  }
}

async function close(): Promise<void> {
  try {
    await app.close();
  } catch (err) {
    log.warn({ err }, "the run worker's app did not close cleanly");
  }
  post({ type: "closed" });
}

// Warm up before the first run: open the ledger, the vault and the providers (errors show at the run).
try {
  await app.runDeps();
} catch (err) {
  log.warn({ err }, "the run worker could not prepare its first run; each run will try again");
}
post({ type: "ready" });
