import type { Charter } from "../governance/charter.ts";
import type { DriftBand, DriftComponent, DriftResult } from "../ledger/events.ts";

export type { DriftBand };

export const DRIFT_COMPONENTS = [
  "heartbeat",
  "provider_errors",
  "score_shortfall",
  "governance",
  "unsealed_changes",
  "evidence",
] as const;
export type DriftComponentName = (typeof DRIFT_COMPONENTS)[number];

/** What the drift score is computed from; Telemetry measures it from the ledger, the vault and the clock. */
export interface DriftInput {
  /** Over the last `window` heartbeats, this one included (`counted` of them exist so far). */
  heartbeat: { window: number; counted: number; missedSlots: number; lateTicks: number };
  /** AGENT_ATTEMPT entries in the window. */
  providers: { attempts: number; failed: number };
  /** Runs finished in the window: the scores of completed ones, and how many failed. */
  runs: { scores: number[]; failed: number };
  /**
   * GOVERNANCE_VIOLATION and IDENTITY_MISMATCH entries in the window, and GUARDRAIL_BLOCKED runs (the
   * charter working on one member's run: each counts BLOCK_WEIGHT of a violation).
   */
  governance: { violations: number; blocks?: number };
  /** Config files (charter, stacks, manifest) against the last MVP seal; `sealed` false before the first. */
  unsealed: { sealed: boolean; files: number; changed: number };
  /** Evidence posts in the window: delivered and failed. */
  evidence: { delivered: number; failed: number };
  /** Ledger and vault verification; either failing scores 100 at once. */
  custody: { ledgerOk: boolean; vaultOk: boolean; reason?: string };
}

// What a heartbeat records of the score: one definition, in the ledger's event catalogue.
export type { DriftComponent, DriftResult };

/** Two governance violations in the window saturate the governance component. */
export const VIOLATIONS_TO_SATURATE = 2;
/** A guardrail-blocked run counts half a violation: blocks alone make drift yellow at most, never red. */
export const BLOCK_WEIGHT = 0.5;
/** A late tick counts half a missed slot. */
export const LATE_TICK_WEIGHT = 0.5;

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
const round1 = (x: number) => Math.round(x * 10) / 10;

/** 0–green_max green, up to yellow_max yellow, above it red. */
export function bandOf(score: number, bands: Charter["drift"]["bands"]): DriftBand {
  if (score <= bands.greenMax) return "green";
  if (score <= bands.yellowMax) return "yellow";
  return "red";
}

/**
 * The drift score, 0..100: a weighted sum of component fractions, the weights from the charter
 * (summing to 100). A ledger or vault verification failure scores 100 at once. See the README's
 * "Drift score" section for the formula; this function is the only implementation of it.
 */
export function scoreDrift(input: DriftInput, charter: Pick<Charter, "drift" | "evaluator">): DriftResult {
  const w = charter.drift.weights;
  const target = charter.evaluator.targetScore;
  const hb = input.heartbeat;
  const shortfalls = [
    ...input.runs.scores.map((s) => (target > 0 ? clamp01((target - s) / target) : 0)),
    ...Array.from({ length: input.runs.failed }, () => 1),
  ];
  const evidenceTotal = input.evidence.delivered + input.evidence.failed;
  const changed = input.unsealed.sealed ? input.unsealed.changed : 0;

  const raw: Omit<DriftComponent, "points" | "share">[] = [
    {
      name: "heartbeat",
      weight: w.heartbeat,
      fraction: clamp01((hb.missedSlots + LATE_TICK_WEIGHT * hb.lateTicks) / Math.max(1, hb.window)),
      detail: `${hb.missedSlots} missed, ${hb.lateTicks} late in the last ${hb.counted} heartbeats (window ${hb.window})`,
    },
    {
      name: "provider_errors",
      weight: w.providerErrors,
      fraction: input.providers.attempts > 0 ? clamp01(input.providers.failed / input.providers.attempts) : 0,
      detail: `${input.providers.failed} of ${input.providers.attempts} provider attempts failed`,
    },
    {
      name: "score_shortfall",
      weight: w.scoreShortfall,
      fraction:
        shortfalls.length > 0 ? clamp01(shortfalls.reduce((a, b) => a + b, 0) / shortfalls.length) : 0,
      detail:
        shortfalls.length > 0
          ? `${shortfalls.length} runs against target ${target} (${input.runs.failed} failed)`
          : "no runs in the window",
    },
    {
      name: "governance",
      weight: w.governance,
      fraction: clamp01(
        (input.governance.violations + BLOCK_WEIGHT * (input.governance.blocks ?? 0)) /
          VIOLATIONS_TO_SATURATE,
      ),
      detail: `${input.governance.violations} violations${input.governance.blocks ? `, ${input.governance.blocks} guardrail-blocked runs` : ""} in the window`,
    },
    {
      name: "unsealed_changes",
      weight: w.unsealedChanges,
      fraction: input.unsealed.files > 0 ? clamp01(changed / input.unsealed.files) : 0,
      detail: input.unsealed.sealed
        ? `${changed} of ${input.unsealed.files} config files changed since the last seal`
        : "no MVP seal yet: nothing to drift from",
    },
    {
      name: "evidence",
      weight: w.evidence,
      fraction: evidenceTotal > 0 ? clamp01(input.evidence.failed / evidenceTotal) : 0,
      detail:
        evidenceTotal > 0
          ? `${input.evidence.failed} of ${evidenceTotal} evidence deliveries dead-lettered (maos relay redrive sends them again)`
          : "no evidence delivered or dead-lettered in the window",
    },
  ];

  const custodyFailure = !input.custody.ledgerOk || !input.custody.vaultOk;
  if (custodyFailure) {
    raw.push({
      name: "custody",
      weight: 100,
      fraction: 1,
      detail: `custody break: ${input.custody.reason ?? (input.custody.ledgerOk ? "the vault" : "the ledger")} failed verification`,
    });
  }
  const withPoints = raw.map((c) => ({ ...c, points: c.weight * c.fraction }));
  const sum = withPoints.reduce((a, c) => a + c.points, 0);
  const score = custodyFailure ? 100 : round1(Math.min(100, sum));
  const components: DriftComponent[] = withPoints.map((c) => ({
    ...c,
    fraction: Math.round(c.fraction * 1000) / 1000,
    points: round1(c.points),
    share: sum > 0 ? Math.round((c.points / sum) * 1000) / 1000 : 0,
  }));
  return { score, band: bandOf(score, charter.drift.bands), components, custodyFailure };
}

/** The components that contribute, largest first: what an alert names. */
export function topComponents(result: DriftResult, n = 3): DriftComponent[] {
  return result.components
    .filter((c) => c.points > 0)
    .sort((a, b) => b.points - a.points)
    .slice(0, n);
}
