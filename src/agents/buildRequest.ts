import { JUDGE_SCHEMA_NAME, judgeSchema } from "./judgeSchema.ts";
import type { DraftContext, GenerateRequest } from "./Provider.ts";

/**
 * The system and user prompts for one agent step, the same for every provider. A judge step also gets
 * the judge schema, so OpenAI and Anthropic return schema-forced JSON and the offline provider its
 * heuristic scores. The executor may build its own requests; this is the shared default.
 */
export function buildRequest(ctx: DraftContext, opts: { maxTokens?: number } = {}): GenerateRequest {
  const maxTokens = opts.maxTokens === undefined ? {} : { maxTokens: opts.maxTokens };
  const inputs = Object.entries(ctx.inputs)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `- ${k}: ${v}`);
  const lessons = ctx.lessons.map((l) => `- ${l}`);

  if (ctx.task === "judge") {
    const criteria = (ctx.criteria ?? []).map((c) => `- ${c.id} (weight ${c.weight}): ${c.description}`);
    const system = [
      `You are ${ctx.agentId}, the evaluator of the ${ctx.persona} stack. Your role: ${ctx.role}.`,
      "Score the submitted work against each criterion from 0 (absent) to 1 (fully met).",
      "Give a short rationale per criterion that names what you saw, and up to five lessons the next run should apply.",
      "Answer only through the requested JSON schema.",
    ].join("\n");
    const prompt = [
      `Goal of the run: ${ctx.goal}`,
      "",
      "Criteria:",
      ...criteria,
      ...(ctx.requiredSections?.length ? ["", `Required sections: ${ctx.requiredSections.join(", ")}`] : []),
      "",
      "Work to judge:",
      "<<<",
      ctx.subject ?? "",
      ">>>",
    ].join("\n");
    return {
      system,
      prompt,
      jsonSchema: { name: JUDGE_SCHEMA_NAME, schema: judgeSchema },
      ...maxTokens,
      context: ctx,
    };
  }

  const system = [
    `You are ${ctx.agentId} in the ${ctx.persona} stack. Your role: ${ctx.role}.`,
    "Write in markdown for an operations team: concrete, specific, no filler. Do not invent facts the inputs do not give;",
    "where a fact is missing, say what is needed.",
    ...(ctx.requiredSections?.length
      ? [
          `Your answer must contain these "## " headings, spelled exactly: ${ctx.requiredSections.join("; ")}.`,
        ]
      : []),
  ].join("\n");
  const prompt = [
    `Goal: ${ctx.goal}`,
    "",
    "Inputs:",
    ...(inputs.length ? inputs : ["- (none)"]),
    ...ctx.upstream.flatMap((u) => ["", `Output of ${u.agent} (${u.role}):`, "<<<", u.output, ">>>"]),
    ...(lessons.length ? ["", "Lessons from earlier runs (apply them):", ...lessons] : []),
  ].join("\n");
  return { system, prompt, ...maxTokens, context: ctx };
}
