import { type Actor, actorIdentity } from "../core/Actor.ts";
import { CodexError } from "../core/CodexError.ts";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import type { StateApi } from "../state/StateApi.ts";

/** A run as its ledger thread tells it. */
export interface RunRef {
  runId: string;
  correlationId: string;
  stack: string;
  /** actorIdentity() of whoever started it. */
  startedBy: string;
  /** `source:id` of whoever started it (the identity without the email). */
  startedByKey: string;
  /** The run's terminal entry type, when it has one. */
  ended: string | undefined;
}

/** How far back a run id is looked for: runs older than this many starts are long over. */
const SCAN = 500;
const TERMINAL = new Set(["RUN_COMPLETED", "RUN_FAILED", "RUN_ABORTED", "RUN_CANCELLED"]);

/** `source:id` of an actor or of an actorIdentity() string (the email dropped). */
export function identityKey(actorOrIdentity: Actor | string): string {
  const identity = typeof actorOrIdentity === "string" ? actorOrIdentity : actorIdentity(actorOrIdentity);
  return identity.replace(/ <[^>]*>$/, "");
}

/** Finds a run by its id, or by an unambiguous prefix of at least 8 characters. */
export function findRun(ledger: LedgerHandle, id: string): RunRef {
  const wanted = id.trim().toLowerCase();
  if (wanted.length < 8) {
    throw new CodexError("USAGE", `"${id}" is too short to name a run`, {
      hint: "give the run id (or its first 8 characters) shown on the run's message or by maos status",
    });
  }
  const matches = ledger.query({ eventType: "RUN_STARTED", newestFirst: true, limit: SCAN }).filter((e) => {
    const runId = (e.payload as { runId?: unknown }).runId;
    return typeof runId === "string" && runId.toLowerCase().startsWith(wanted);
  });
  const started = matches[0];
  if (!started) {
    throw new CodexError("NOT_FOUND", `there is no run ${id}`, {
      hint: "run ids are shown on the run's Slack message, by `maos run` and in `maos status`",
    });
  }
  if (matches.length > 1) {
    throw new CodexError("USAGE", `"${id}" matches ${matches.length} runs; give more of the run id`);
  }
  const p = started.payload as { runId: string; stack?: unknown };
  const ended = ledger.byCorrelation(started.correlationId).find((e) => TERMINAL.has(e.eventType));
  return {
    runId: p.runId,
    correlationId: started.correlationId,
    stack: typeof p.stack === "string" ? p.stack : "?",
    startedBy: started.actorIdentity,
    startedByKey: identityKey(started.actorIdentity),
    ended: ended?.eventType,
  };
}

/**
 * Files a cancel request for a running run in state.db, where the process running it looks between
 * agents (any process may ask: the CLI, the Slack bot, an MCP client). Permission is the caller's to
 * check (commands/cancel.ts).
 */
export async function requestCancel(
  deps: { state: StateApi },
  run: RunRef,
  actor: Actor,
  via: string,
): Promise<{ first: boolean }> {
  if (run.ended) {
    throw new CodexError(
      "REFUSED",
      `run ${run.runId} (${run.stack}) is already over (${run.ended.replace("RUN_", "").toLowerCase()})`,
      {
        hint: "only a running run can be cancelled; see the last runs with /codex status",
      },
    );
  }
  // Only state.db is written here: the run's own process ledgers the cancel (RUN_CANCELLED, with who
  // asked) when it stops, so a CLI in another process never appends to a ledger another process holds.
  const first = await deps.state.requestCancel(run.runId, actorIdentity(actor), via);
  return { first };
}
