import type { Provider } from "../agents/Provider.ts";
import { CodexError, isCodexError } from "../core/CodexError.ts";
import type { EventType, LedgerEvents } from "../ledger/events.ts";
import type { Stack } from "../stacks/index.ts";
import type { ProgressListener } from "./RunProgress.ts";
import type { RunDeps } from "./runTypes.ts";

/** What every part of one run shares: its ids, its stack and inputs, and how it writes and reports. */
export interface RunScope {
  deps: RunDeps;
  stack: Stack;
  runId: string;
  correlationId: string;
  /** The requester's ledger identity. */
  actor: string;
  /** The screened inputs, as the agents see them. */
  inputs: Record<string, string>;
  /** The inputs with every secret value scrubbed, as the ledger and the vault see them. */
  scrubbedInputs: Record<string, string>;
  /** Agent ids in execution order. */
  order: string[];
  byId: ReadonlyMap<string, Stack["agents"][number]>;
  /** The lessons every agent and the judge are given. */
  lessons: string[];
  /** `--provider`'s prime for every step, when given. */
  runPrime: Provider | undefined;
  primeSpec: string;
  scrub(text: string): string;
  /** A ledger entry threaded by the run's correlation id, as the requester, its payload led by runId. */
  append<T extends RunEventType>(
    eventType: T,
    payload: WithoutRunId<LedgerEvents[T]>,
    level?: "info" | "warn" | "error",
  ): Promise<unknown>;
  onProgress: ProgressListener;
}

/** The event types a run writes through its scope: those whose payload leads with the run's id. */
export type RunEventType = {
  [T in EventType]: LedgerEvents[T] extends { runId: string } ? T : never;
}[EventType];

/** A payload without its runId (the scope adds it), member by member when the payload is a union. */
type WithoutRunId<P> = P extends unknown ? Omit<P, "runId"> : never;

export function sumTokens(items: readonly { tokens: { input: number; output: number } }[]): {
  input: number;
  output: number;
} {
  return items.reduce(
    (acc, i) => ({ input: acc.input + i.tokens.input, output: acc.output + i.tokens.output }),
    {
      input: 0,
      output: 0,
    },
  );
}

export function asRunError(err: unknown): CodexError {
  if (isCodexError(err)) return err;
  return new CodexError(
    "RUN_FAILED",
    `the run stopped on an unexpected error: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
    },
  );
}
