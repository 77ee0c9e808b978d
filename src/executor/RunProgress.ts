/** What a run reports while it works: the CLI draws it on a TTY, Slack keeps a message up to date. */
export type RunProgress =
  | { type: "started"; runId: string; correlationId: string; stack: string; agents: string[] }
  | {
      type: "step";
      agent: string;
      index: number;
      total: number;
      state: "running" | "done" | "failed";
      provider?: string;
      ms?: number;
      tokens?: { input: number; output: number };
      error?: string;
    }
  | { type: "evaluating" }
  | { type: "evaluated"; score: number; pass: boolean }
  /** A piece of an agent's output as it is produced, already through the guardrails (GuardedStream). */
  | { type: "output"; agent: string; file: string; text: string }
  /**
   * The agent's stream is over; `complete` when all of its output was streamed, otherwise `why` it
   * stopped short (the guardrails, a connection that broke off, a failed step).
   */
  | { type: "output-end"; agent: string; file: string; complete: boolean; why?: string }
  /** The run's outcome, before it is sealed. */
  | { type: "finished"; status: "completed" | "failed" | "cancelled"; error?: string; cancelledBy?: string }
  | { type: "sealing" }
  | { type: "sealed"; path: string; commit: string };

export type ProgressListener = (event: RunProgress) => void;
