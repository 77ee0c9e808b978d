import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The run an async call chain belongs to. The Agent Hub is shared by concurrent runs, so its attempt
 * callback reads the correlation id from here to thread each attempt into the right run in the ledger.
 */
export interface RunContext {
  runId: string;
  correlationId: string;
  actor: string;
}

export const runContext = new AsyncLocalStorage<RunContext>();
