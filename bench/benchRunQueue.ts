// The run queue's latency from ack to a worker starting the run (QueueRuns.execute → the worker's local
// executor called), p99 over sequential runs on an idle queue, against the in-thread executor's start
// latency measured the same way in the same run. The local executor is a stub that returns at once,
// so only the queue is measured (send, NOTIFY wake-up, claim, attempt row).
import path from "node:path";
import { PgRunQueue } from "../src/executor/queue/PgRunQueue.ts";
import { QueueRuns } from "../src/executor/queue/QueueRuns.ts";
import { workRunQueue } from "../src/executor/queue/workRunQueue.ts";
import type { RunExecutor, RunJob } from "../src/executor/RunExecutor.ts";
import type { RunSummary } from "../src/executor/runTypes.ts";
import { parseCharter } from "../src/governance/charter.ts";
import { findStack } from "../src/stacks/index.ts";

export interface QueueLatency {
  runs: number;
  p50Ms: number;
  p99Ms: number;
  /** The in-thread executor: execute → the run function called. */
  threadP99Ms: number;
}

function p(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

export async function benchRunQueue(url: string, runs = 200): Promise<QueueLatency> {
  let startedAt = 0;
  const stub: RunExecutor = {
    kind: "stub",
    async execute(job) {
      startedAt = performance.now();
      return { runId: job.runId ?? "", status: "completed" } as RunSummary;
    },
    start() {},
    async close() {},
  };
  const stack = findStack(path.resolve(import.meta.dirname, "../stacks"), "marketing_ops");
  const job: RunJob = { stack, inputs: {}, actor: { source: "cli", id: "local:bench" } };
  const charter = parseCharter(new Uint8Array(), "bench-charter.yml");

  // The baseline: this thread's executor shape (execute → run), measured the same way.
  const inThread: RunExecutor = { ...stub, execute: (j, o, c) => stub.execute(j, o, c) };
  const thread: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await inThread.execute(job);
    thread.push(startedAt - t0);
  }

  const queue = await PgRunQueue.open({ url, replica: "bench" });
  const worker = await workRunQueue(queue, stub, { runState: () => "unknown", abortRun: () => {} });
  const executor = new QueueRuns(queue, { charter, secrets: [], requestCancel: () => {} });
  const lat: number[] = [];
  try {
    for (let i = 0; i < runs + 10; i++) {
      const t0 = performance.now();
      await executor.execute(job);
      if (i >= 10) lat.push(startedAt - t0); // the first ten warm the pools and caches
    }
  } finally {
    await worker.stop();
    await queue.close();
  }
  lat.sort((a, b) => a - b);
  thread.sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 100) / 100;
  return { runs, p50Ms: r(p(lat, 0.5)), p99Ms: r(p(lat, 0.99)), threadP99Ms: r(p(thread, 0.99)) };
}
