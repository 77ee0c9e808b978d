import type { AttemptRecord } from "../agents/AttemptRecord.ts";
import { runContext } from "../core/runContext.ts";
import type { App } from "./App.ts";

/** Every provider attempt is a ledger entry, threaded into the run that made it. */
export async function recordAttempt(app: App, a: AttemptRecord): Promise<void> {
  const run = runContext.getStore();
  await app.ledger().append({
    eventType: "AGENT_ATTEMPT",
    level: a.outcome === "ok" ? "info" : "warn",
    actor: run?.actor ?? "system:maos-codex",
    correlationId: run?.correlationId ?? "system",
    payload: { runId: run?.runId ?? null, ...a },
  });
}
