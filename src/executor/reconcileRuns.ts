import os from "node:os";
import type { LedgerEntry } from "../ledger/Ledger.ts";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import { isRemoteUnreachable, type RunRecovery, type Vault } from "../vault/Vault.ts";

/** A run is settled once it has one of these; RUN_COMPLETED and RUN_FAILED are not enough (no seal yet). */
const SETTLED = ["RUN_SEALED", "RUN_ABORTED"] as const;
const LOOKBACK = 10_000;
const ACTOR = "system:maos-codex";

export interface Reconciliation {
  /** Correlation ids of runs marked RUN_ABORTED. */
  aborted: string[];
  /** Correlation ids of runs whose seal was recorded late (RUN_SEALED with late: true). */
  sealedLate: string[];
}

interface OpenRun {
  started: LedgerEntry;
  runId: string;
  stack: string;
}

/**
 * Settles every run a stopped process left without RUN_SEALED or RUN_ABORTED (killed, crashed, or its
 * seal failed). With the vault to itself (so two processes starting at once settle each run once):
 * - its folder is committed (the seal commit landed before the process died): RUN_SEALED, late;
 * - its folder is complete but was never committed: committed now, alone, then RUN_SEALED, late;
 * - otherwise: RUN_ABORTED, naming the ledger entries the run left as its evidence, and the files of an
 *   incomplete folder (removed from the vault's working tree, so no later seal commit sweeps them in).
 * A run still owned by a live process on this host is left alone: a CLI run beside the bot, or the
 * reverse. Costs a few ledger queries when nothing is open.
 */
export async function reconcileRuns(
  ledger: LedgerHandle,
  vault: () => Promise<Vault>,
  isAlive: (pid: number) => boolean = processAlive,
  opts: {
    thisHostOnly?: boolean;
    one?: OneRun;
    /** Replicas: brings the ledger mirror up to date, inside the vault lock, before the runs are read again. */
    refresh?: () => Promise<unknown>;
  } = {},
): Promise<Reconciliation> {
  const result: Reconciliation = { aborted: [], sealedLate: [] };
  const open = () => openRuns(ledger, isAlive, opts.thisHostOnly === true, opts.one);
  await opts.refresh?.();
  if (open().length === 0) return result;
  const v = await vault();
  try {
    await settle(ledger, v, open, result, opts.one, opts.refresh);
  } catch (err) {
    // A shared vault whose remote does not answer: what is not settled yet stays open for the next start.
    if (!isRemoteUnreachable(err)) throw err;
  }
  return result;
}

/**
 * One run to settle whatever its process (the run queue knows its replica died, on whatever host), and
 * why: the reason leads its RUN_ABORTED.
 */
export interface OneRun {
  runId: string;
  reason: string;
}

/** Settles one open run as a restart would (sealed late, or aborted), its RUN_ABORTED giving `reason`. */
export function settleOpenRun(
  ledger: LedgerHandle,
  vault: () => Promise<Vault>,
  runId: string,
  reason: string,
  refresh?: () => Promise<unknown>,
): Promise<Reconciliation> {
  return reconcileRuns(ledger, vault, processAlive, {
    one: { runId, reason },
    ...(refresh ? { refresh } : {}),
  });
}

async function settle(
  ledger: LedgerHandle,
  v: Vault,
  open: () => OpenRun[],
  result: Reconciliation,
  one?: OneRun,
  refresh?: () => Promise<unknown>,
): Promise<void> {
  await v.withLock(async () => {
    // Again, inside the lock: another process (or replica: the mirror is pulled first) may have settled
    // some meanwhile, a cut-off replica's run sealed as it came back among them.
    await refresh?.();
    for (const run of open()) {
      const recovery = await v.recoverRun(run.runId, run.stack);
      const thread = ledger.byCorrelation(run.started.correlationId);
      const last = thread.at(-1);
      const evidence = {
        startedSeq: run.started.seq,
        startedAtUtc: run.started.timestampUtc,
        lastEvent: last ? { seq: last.seq, eventType: last.eventType } : null,
        entries: thread.map((e) => ({ seq: e.seq, eventType: e.eventType })),
      };
      if (recovery.state === "committed" || recovery.state === "sealed-late") {
        await ledger.append({
          eventType: "RUN_SEALED",
          level: "warn",
          actor: ACTOR,
          correlationId: run.started.correlationId,
          payload: {
            runId: run.runId,
            late: true,
            reason:
              recovery.state === "committed"
                ? "the process stopped after its seal commit and before recording it"
                : "the process stopped after writing its complete run folder and before committing it; committed now",
            vaultPath: recovery.relPath,
            commit: recovery.commit,
            sealRoot: recovery.seal?.root ?? null,
            files: recovery.seal?.files.length ?? null,
            checkpointSize: recovery.seal?.ledger.size ?? null,
            pushed: false,
            ...evidence,
          },
        });
        result.sealedLate.push(run.started.correlationId);
      } else {
        await ledger.append({
          eventType: "RUN_ABORTED",
          level: "warn",
          actor: ACTOR,
          correlationId: run.started.correlationId,
          payload: {
            runId: run.runId,
            stack: run.stack,
            reason: one ? `${one.reason}; ${abortReason(last, recovery)}` : abortReason(last, recovery),
            ...evidence,
            ...(recovery.state === "incomplete"
              ? { incompleteFolder: { path: recovery.relPath, removedFiles: recovery.files } }
              : {}),
          },
        });
        result.aborted.push(run.started.correlationId);
      }
    }
  });
}

function abortReason(last: LedgerEntry | undefined, recovery: RunRecovery): string {
  const ended = last?.eventType === "RUN_COMPLETED" || last?.eventType === "RUN_FAILED";
  if (recovery.state === "incomplete") {
    return `the process running it stopped while writing its run folder${ended ? ` (after ${last?.eventType})` : ""}; the incomplete folder was removed, its files are listed here`;
  }
  return ended
    ? `the process running it stopped after ${last?.eventType}, before its run folder was written`
    : "the process running it stopped before the run finished";
}

/** Runs without RUN_SEALED or RUN_ABORTED whose process is gone, oldest first. */
function openRuns(
  ledger: LedgerHandle,
  isAlive: (pid: number) => boolean,
  thisHostOnly: boolean,
  one?: OneRun,
): OpenRun[] {
  const settled = new Set<string>();
  for (const type of SETTLED) {
    for (const e of ledger.query({ eventType: type, newestFirst: true, limit: LOOKBACK }))
      settled.add(e.correlationId);
  }
  const out: OpenRun[] = [];
  for (const started of ledger.query({ eventType: "RUN_STARTED", newestFirst: true, limit: LOOKBACK })) {
    if (settled.has(started.correlationId)) continue;
    const p = started.payload as { runId?: unknown; stack?: unknown; pid?: unknown; host?: unknown };
    if (one) {
      // The run queue names a run whose replica died, on whatever host: that run only, alive or not.
      if (p.runId !== one.runId) continue;
    } else {
      // Replicas sharing a ledger: another host's runs are its own (or the run queue's) to settle, as
      // liveness cannot be checked from here.
      if (thisHostOnly && p.host !== os.hostname()) continue;
      if (p.host === os.hostname() && typeof p.pid === "number") {
        if (p.pid === process.pid || isAlive(p.pid)) continue;
      }
    }
    out.push({
      started,
      runId: typeof p.runId === "string" ? p.runId : "",
      stack: typeof p.stack === "string" ? p.stack : "",
    });
  }
  return out.reverse();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
