import { type Charter, effectivePassThreshold } from "../governance/charter.ts";
import type { StackEvaluator } from "../stacks/index.ts";
import type { EvaluatorSpec } from "./evaluateRun.ts";

/**
 * The rubric a run is scored against: the stack's criteria and checks, and its pass threshold raised to
 * the charter's floor when the charter asks for more.
 */
export function evaluationSpec(
  evaluator: StackEvaluator,
  charter: Pick<Charter, "evaluator">,
): EvaluatorSpec {
  const { checks } = evaluator;
  return {
    criteria: evaluator.criteria,
    threshold: effectivePassThreshold(charter, evaluator.passThreshold),
    checks: {
      requiredSections: checks.requiredSections,
      bannedPhrases: checks.bannedPhrases,
      ...(checks.minChars === undefined ? {} : { minChars: checks.minChars }),
      ...(checks.maxChars === undefined ? {} : { maxChars: checks.maxChars }),
    },
  };
}
