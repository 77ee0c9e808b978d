/**
 * The JSON an evaluator asks a judge for: one score in [0, 1] with a rationale per criterion, plus lessons
 * for the wisdom log. Written for OpenAI's strict Structured Outputs (every object closed, every property
 * required), which Anthropic's tool input_schema also accepts.
 */
export const JUDGE_SCHEMA_NAME = "codex_judgement";

export const judgeSchema: Record<string, unknown> = {
  type: "object",
  additionalProperties: false,
  required: ["criteria", "lessons"],
  properties: {
    criteria: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "score", "rationale"],
        properties: {
          id: { type: "string" },
          score: { type: "number", minimum: 0, maximum: 1 },
          rationale: { type: "string" },
        },
      },
    },
    lessons: { type: "array", items: { type: "string" } },
  },
};

export interface Judgement {
  criteria: { id: string; score: number; rationale: string }[];
  lessons: string[];
}
