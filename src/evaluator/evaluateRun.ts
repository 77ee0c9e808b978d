import { z } from "zod";
import type { AgentHub, HubResult } from "../agents/AgentHub.ts";
import { buildRequest } from "../agents/buildRequest.ts";
import { CodexError } from "../core/CodexError.ts";
import { type CheckResult, type CheckSpec, deterministicChecks } from "./deterministicChecks.ts";
import { judgedText } from "./judgedText.ts";
import { checkLessons, type LessonCheck } from "./lessonChecks.ts";
import { type CriterionScore, SCORE_FORMULA, scoreRun, type Verdict } from "./scoreRun.ts";

export interface EvaluatorSpec {
  criteria: { id: string; description: string; weight: number }[];
  threshold: number;
  checks: CheckSpec;
}

export interface Evaluation extends Verdict {
  formula: string;
  checks: CheckResult[];
  criteria: CriterionScore[];
  lessons: string[];
  /** Each lesson this run was given, read against its deliverable: applied in the copy, or not. */
  lessonChecks: LessonCheck[];
  judge: { provider: string; model: string; attempts: number; tokens: { input: number; output: number } };
}

export interface EvaluateInput {
  persona: string;
  goal: string;
  /** The deliverable: every agent's output, in execution order. */
  outputs: { agent: string; role: string; output: string }[];
  spec: EvaluatorSpec;
  lessonsIn: string[];
}

/** The judge's answer, checked again in code: the model only scores criteria, it never decides the verdict. */
const judgeAnswer = z.object({
  criteria: z.array(z.object({ id: z.string(), score: z.number(), rationale: z.string() })),
  lessons: z.array(z.string()).max(20),
});

/** Deterministic checks first, then the judge through the Agent Hub, then the verdict in code. */
export async function evaluateRun(input: EvaluateInput, hub: AgentHub): Promise<Evaluation> {
  // Only the agents' own copy is checked and scored: never the lesson lists or echoes the system appended.
  const judged = input.outputs.map((o) => ({ ...o, output: judgedText(o.output) }));
  const deliverable = judged.map((o) => o.output).join("\n\n");
  const checks = deterministicChecks(deliverable, input.spec.checks);
  const failed = checks.filter((c) => !c.passed).map((c) => `- ${c.detail}`);

  let result: HubResult;
  try {
    const request = buildRequest({
      task: "judge",
      persona: input.persona,
      goal: input.goal,
      agentId: "evaluator",
      role: "Score the run against the rubric",
      inputs: {},
      upstream: judged,
      lessons: input.lessonsIn,
      requiredSections: input.spec.checks.requiredSections,
      criteria: input.spec.criteria,
      subject: deliverable,
    });
    if (failed.length > 0) request.prompt += `\n\nDeterministic checks that failed:\n${failed.join("\n")}`;
    result = await hub.generate(request, { agent: "evaluator" });
  } catch (err) {
    throw new CodexError("RUN_FAILED", "the evaluator's judge did not answer", { cause: err, details: err });
  }

  const parsed = judgeAnswer.safeParse(result.json ?? safeJson(result.text));
  if (!parsed.success) {
    throw new CodexError(
      "RUN_FAILED",
      `the evaluator's judge (${result.provider}) returned JSON that does not fit the rubric`,
      {
        details: parsed.error.issues,
        hint: "use a model that supports schema-forced JSON output, or set MAOS_PRIME=offline",
      },
    );
  }
  const byId = new Map(parsed.data.criteria.map((c) => [c.id, c]));
  const criteria: CriterionScore[] = input.spec.criteria.map((c) => {
    const answer = byId.get(c.id);
    return {
      id: c.id,
      description: c.description,
      weight: c.weight,
      score: answer?.score ?? 0,
      rationale: answer?.rationale ?? "the judge did not score this criterion, so it counts as 0",
    };
  });
  const lessons = [
    ...checks.filter((c) => !c.passed).map((c) => `Fix: ${c.detail}.`),
    ...parsed.data.lessons.map((l) => l.trim()).filter((l) => l.length > 0),
  ].slice(0, 8);

  return {
    ...scoreRun(criteria, checks, input.spec.threshold),
    formula: SCORE_FORMULA,
    checks,
    criteria,
    lessons,
    lessonChecks: checkLessons(input.lessonsIn, deliverable),
    judge: {
      provider: result.provider,
      model: result.model,
      attempts: result.attempts.length,
      tokens: result.tokens,
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
