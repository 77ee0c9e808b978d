import { actorIdentity } from "../src/core/Actor.ts";
import { isCodexError } from "../src/core/CodexError.ts";
import { findRun, identityKey, type RunRef, requestCancel } from "../src/executor/requestCancel.ts";
import type { Caller } from "./CommandSpec.ts";
import type { Outcome } from "./governed.ts";
import { checkPermission, recordRefusal, unstaffedNote } from "./permissions.ts";
import { errorReply, orList } from "./replies.ts";

export interface CancelData {
  cancelled: boolean;
  runId?: string;
  stack?: string;
  /** False when a cancel was already on file (asked twice). */
  first?: boolean;
  reason?: string;
}

/**
 * Cancels a running run for any adapter (Slack's `/codex cancel` and Cancel button, `maos cancel`, the
 * MCP adapter): the one who started it may, and so may the roles of `permissions.cancel` (operators by
 * default). The request reaches the run's process through state.db; the run stops before its next
 * agent and is sealed as cancelled. A refusal is a GOVERNANCE_REFUSAL ledger entry.
 */
export async function cancelOutcome(
  ctx: Caller<"ledger" | "state" | "charter" | "extraRoles">,
  id: string,
): Promise<Outcome<CancelData>> {
  const { app, actor } = ctx;
  let run: RunRef;
  try {
    run = findRun(app.ledger(), id);
  } catch (err) {
    if (!isCodexError(err) || (err.code !== "NOT_FOUND" && err.code !== "USAGE")) throw err;
    return refused(err.message, err.hint);
  }
  const own = run.startedByKey === identityKey(actor);
  if (!own) {
    const { allowed, needed } = checkPermission(app, actor, "cancel");
    if (!allowed) {
      await recordRefusal(app.ledger(), actorIdentity(actor), {
        command: "cancel",
        runId: run.runId,
        needed,
        via: actor.source,
      });
      return refused(
        `cancel refused: run ${run.runId} was started by ${run.startedByKey}; cancelling someone else's run needs the ${orList(needed) || "(no)"} role.${unstaffedNote(app, needed)}`,
        `roles are set in ${app.charter().file} (permissions.cancel); the refusal is recorded in the ledger`,
      );
    }
  }
  try {
    const { first } = await requestCancel({ state: app.state() }, run, actor, actor.source);
    const text = first
      ? `⏹ Cancel requested for run \`${run.runId}\` (${run.stack}): it stops before its next agent and is sealed as cancelled.`
      : `Run \`${run.runId}\` (${run.stack}) is already being cancelled.`;
    return {
      ok: true,
      data: { cancelled: true, runId: run.runId, stack: run.stack, first },
      reply: { summary: text.replaceAll("`", ""), parts: [{ kind: "text", text }] },
    };
  } catch (err) {
    if (!isCodexError(err) || err.code !== "REFUSED") throw err;
    return refused(err.message, err.hint, run);
  }
}

function refused(message: string, hint: string | undefined, run?: RunRef): Outcome<CancelData> {
  return {
    ok: false,
    data: {
      cancelled: false,
      ...(run ? { runId: run.runId, stack: run.stack } : {}),
      reason: message,
    },
    reply: errorReply(message, hint ? [{ kind: "context", text: hint }] : []),
  };
}
