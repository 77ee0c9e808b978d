import type { CheckResult } from "./deterministicChecks.ts";

export interface CriterionScore {
  id: string;
  description: string;
  weight: number;
  score: number;
  rationale: string;
}

export interface Verdict {
  score: number;
  pass: boolean;
  threshold: number;
  judgeScore: number;
  checkFactor: number;
}

/**
 * The score is computed here, never taken from a model:
 *   judgeScore  = Σ(weight·score) / Σ(weight)            (criteria scored 0..1 by the judge)
 *   checkFactor = passed deterministic checks / all checks (1 when there are none)
 *   score       = judgeScore · checkFactor
 *   pass        = score ≥ threshold and every deterministic check passed
 * The threshold is the stricter of the charter's and the stack's.
 */
export function scoreRun(criteria: CriterionScore[], checks: CheckResult[], threshold: number): Verdict {
  const totalWeight = criteria.reduce((sum, c) => sum + c.weight, 0);
  const judgeScore =
    totalWeight > 0 ? criteria.reduce((sum, c) => sum + c.weight * clamp01(c.score), 0) / totalWeight : 0;
  const passedChecks = checks.filter((c) => c.passed).length;
  const checkFactor = checks.length === 0 ? 1 : passedChecks / checks.length;
  const score = round4(judgeScore * checkFactor);
  return {
    score,
    pass: score >= threshold && passedChecks === checks.length,
    threshold,
    judgeScore: round4(judgeScore),
    checkFactor: round4(checkFactor),
  };
}

export const SCORE_FORMULA =
  "score = (Σ weight·criterion score / Σ weight) × (passed checks / all checks); pass = score ≥ threshold and no check failed";

function clamp01(n: number): number {
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
