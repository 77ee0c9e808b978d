import type { Clock } from "../core/clock.ts";
import { chicagoIso } from "../core/timestamps.ts";
import type { Evaluation } from "../evaluator/evaluateRun.ts";
import { type LessonRecord, rankLessons } from "../evaluator/rankLessons.ts";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import type { Vault } from "../vault/Vault.ts";

/** How many earlier runs' lessons are weighed, and how many reach the next run's prompts. */
const LOOKBACK_ENTRIES = 500;
const TOP_LESSONS = 5;

export const WISDOM_LOG = "codex_wisdom_log.md";

/** The ledger is the source of truth for lessons: the vault's markdown log is the human-readable copy. */
export function topLessons(ledger: LedgerHandle, stack: string, max = TOP_LESSONS): string[] {
  const records: LessonRecord[] = [];
  for (const entry of ledger.query({
    eventType: "WISDOM_RECORDED",
    newestFirst: true,
    limit: LOOKBACK_ENTRIES,
  })) {
    const p = entry.payload as { stack?: unknown; runId?: unknown; lessons?: unknown };
    if (p.stack !== stack || !Array.isArray(p.lessons)) continue;
    records.push({
      runId: String(p.runId),
      lessons: p.lessons.filter((l): l is string => typeof l === "string"),
    });
  }
  return rankLessons(records, max);
}

/** Stores a run's lessons in the ledger and appends them to the vault's wisdom log (committed with the seal). */
export async function recordWisdom(
  deps: { ledger: LedgerHandle; vault: Vault; clock: Clock },
  run: {
    runId: string;
    correlationId: string;
    actor: string;
    stack: string;
    evaluation: Evaluation;
    at: Date;
  },
): Promise<void> {
  const { evaluation } = run;
  await deps.ledger.append({
    eventType: "WISDOM_RECORDED",
    actor: run.actor,
    correlationId: run.correlationId,
    payload: { runId: run.runId, stack: run.stack, score: evaluation.score, lessons: evaluation.lessons },
  });
  const lines = [
    `## ${chicagoIso(run.at)} — ${run.stack}, run ${run.runId.slice(0, 8)}`,
    "",
    `Score ${evaluation.score.toFixed(2)} (${evaluation.pass ? "pass" : "below the bar"}, threshold ${evaluation.threshold}).`,
    "",
    ...(evaluation.lessons.length > 0 ? evaluation.lessons.map((l) => `- ${l}`) : ["- No new lessons."]),
    "",
  ];
  await deps.vault.appendFile(WISDOM_LOG, `${lines.join("\n")}\n`);
}
