import type { App } from "../src/app/createApp.ts";
import type { Actor } from "../src/core/Actor.ts";
import type { ProgressListener } from "../src/executor/RunProgress.ts";
import { type RunSummary, runStack } from "../src/executor/runStack.ts";
import { findStack } from "../src/stacks/index.ts";

export interface RunArgs {
  stack: string;
  inputs: Record<string, string>;
  /** A provider spec that replaces the prime for this run (`--provider openai:gpt-4o-mini`). */
  provider?: string | undefined;
}

/** `run <stack> [key=value …]`: runs a stack under the charter, seals it and writes it to the ledger. */
export async function run(
  args: RunArgs,
  actor: Actor,
  app: App,
  onProgress?: ProgressListener,
): Promise<RunSummary> {
  const stack = findStack(app.stacksDir, args.stack);
  // Resolve the override before anything is written, so a bad spec is a usage error with no side effects.
  if (args.provider) app.providerFor(args.provider);
  const deps = await app.runDeps();
  await app.recoverAbortedRuns();
  return runStack({ stack, inputs: args.inputs, actor, provider: args.provider }, deps, onProgress);
}
