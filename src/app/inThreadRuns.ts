import type { RunExecutor } from "../executor/RunExecutor.ts";
import { runStack } from "../executor/runStack.ts";
import type { App } from "./App.ts";

/**
 * Runs on the caller's own thread: the CLI (`maos run` is its process's only work), the shell, and tests
 * that drive the app with an injected clock. The bot uses the run worker instead (WorkerRuns).
 */
export function inThreadRuns(app: Pick<App, "runDeps">): RunExecutor {
  return {
    kind: "thread",
    async execute(job, onProgress, control = {}) {
      return runStack({ ...job, ...control }, await app.runDeps(), onProgress);
    },
    start() {},
    async close() {},
  };
}
