import os from "node:os";
import type { Ledger } from "../ledger/Ledger.ts";

const TERMINAL = ["RUN_COMPLETED", "RUN_FAILED", "RUN_ABORTED", "RUN_CANCELLED"] as const;
const LOOKBACK = 10_000;

/**
 * A run killed half-way leaves RUN_STARTED without an end. At the next start each such run gets a
 * RUN_ABORTED entry with its correlation id. A run still owned by a live process on this host is left
 * alone, so a CLI run beside the bot is never marked by mistake.
 */
export function markAbortedRuns(ledger: Ledger, isAlive: (pid: number) => boolean = processAlive): string[] {
  const ended = new Set<string>();
  for (const type of TERMINAL) {
    for (const e of ledger.query({ eventType: type, newestFirst: true, limit: LOOKBACK }))
      ended.add(e.correlationId);
  }
  const aborted: string[] = [];
  for (const started of ledger.query({ eventType: "RUN_STARTED", newestFirst: true, limit: LOOKBACK })) {
    if (ended.has(started.correlationId)) continue;
    const p = started.payload as { runId?: string; stack?: string; pid?: number; host?: string };
    if (p.host === os.hostname() && typeof p.pid === "number" && p.pid !== process.pid && isAlive(p.pid))
      continue;
    if (p.host === os.hostname() && p.pid === process.pid) continue;
    ledger.appendSync({
      eventType: "RUN_ABORTED",
      level: "warn",
      actor: "system:maos-codex",
      correlationId: started.correlationId,
      payload: {
        runId: p.runId ?? null,
        stack: p.stack ?? null,
        startedSeq: started.seq,
        startedAtUtc: started.timestampUtc,
        reason: "the process running it stopped before the run finished",
      },
    });
    aborted.push(started.correlationId);
  }
  return aborted;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
