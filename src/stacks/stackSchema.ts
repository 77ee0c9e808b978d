import { z } from "zod";

/**
 * The stack file format. YAML keys are snake_case; the parsed `Stack` is camelCase, the agent's
 * `agent:` key becomes `id`, and every optional field is filled in, so callers never re-default.
 */

/** Agent ids and input names appear in `{{…}}` references, so they may not contain dots or spaces. */
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const idString = (what: string) =>
  z.string().regex(ID, { error: `expected a ${what}: letters, digits, _ or -, no spaces or dots` });

/** `offline`, `openai:MODEL` or `anthropic:MODEL` (MODEL may itself hold colons, e.g. `llama3:8b`). */
export const PROVIDER_SPEC = /^(?:offline|(?:openai|anthropic):\S+)$/;

/** Agent count cap: stacks are read by people, and graph checks stay trivially cheap. */
export const MAX_AGENTS = 64;

const inputShape = {
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, {
    error: "expected an input name: a letter, then letters, digits, _ or -",
  }),
  description: z.string().optional(),
  required: z.boolean().default(false),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
};

const guardrailsShape = {
  blocked_terms: z.array(z.string().min(1)).default([]),
  max_chars: z.int().positive().optional(),
};

const markdownOutputShape = {
  format: z.literal("markdown"),
  required_sections: z.array(z.string().min(1)).default([]),
};

const jsonOutputShape = {
  format: z.literal("json"),
  schema: z.record(z.string(), z.unknown()),
};

const agentShape = {
  agent: idString("agent id"),
  role: z.string().min(1),
  instructions: z.string().min(1).optional(),
  depends_on: z.array(z.string()).default([]),
  provider: z
    .string()
    .regex(PROVIDER_SPEC, { error: "expected a provider spec: offline, openai:MODEL or anthropic:MODEL" })
    .optional(),
  model: z.string().min(1).optional(),
  guardrails: z.strictObject(guardrailsShape).optional(),
  output: z
    .discriminatedUnion("format", [z.strictObject(markdownOutputShape), z.strictObject(jsonOutputShape)])
    .optional(),
};

const criterionShape = {
  id: idString("criterion id"),
  description: z.string().min(1),
  weight: z.number().positive(),
};

const checksShape = {
  required_sections: z.array(z.string().min(1)).default([]),
  min_chars: z.int().nonnegative().optional(),
  max_chars: z.int().positive().optional(),
  banned_phrases: z.array(z.string().min(1)).default([]),
};

const evaluatorShape = {
  criteria: z.array(z.strictObject(criterionShape)).min(1),
  pass_threshold: z.number().min(0).max(1),
  checks: z.strictObject(checksShape).optional(),
};

/** A stack that runs by itself on a cron (the run queue, DATABASE_URL): five fields read in `timezone`. */
const scheduleShape = {
  cron: z.string().min(1),
  timezone: z.string().min(1).default("America/Chicago"),
  inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
};

const stackShape = {
  persona: idString("persona name"),
  goal: z.string().min(1),
  description: z.string().optional(),
  inputs: z.array(z.strictObject(inputShape)).default([]),
  agents: z.array(z.strictObject(agentShape)).min(1).max(MAX_AGENTS),
  evaluator: z.strictObject(evaluatorShape).optional(),
  schedule: z.strictObject(scheduleShape).optional(),
};

/** The keys each kind of mapping accepts, keyed by its path with list indexes dropped. */
export const STACK_KEYS: Record<string, readonly string[]> = {
  "": Object.keys(stackShape),
  inputs: Object.keys(inputShape),
  agents: Object.keys(agentShape),
  "agents.guardrails": Object.keys(guardrailsShape),
  "agents.output": [...new Set([...Object.keys(markdownOutputShape), ...Object.keys(jsonOutputShape)])],
  evaluator: Object.keys(evaluatorShape),
  "evaluator.criteria": Object.keys(criterionShape),
  "evaluator.checks": Object.keys(checksShape),
  schedule: Object.keys(scheduleShape),
};

/** A stack's own schedule: its cron, the zone it is read in, and the inputs each scheduled run gets. */
export interface StackSchedule {
  cron: string;
  timezone: string;
  inputs: Record<string, string>;
}

export interface StackInput {
  name: string;
  description: string | undefined;
  required: boolean;
  /** Defaults are kept as text, the form every input takes in a prompt. */
  default: string | undefined;
}

export interface AgentGuardrails {
  blockedTerms: string[];
  maxChars: number | undefined;
}

export type AgentOutput =
  | { format: "markdown"; requiredSections: string[] }
  | { format: "json"; schema: Record<string, unknown> };

export interface StackAgent {
  /** The YAML `agent:` key. */
  id: string;
  role: string;
  /** Prompt template; undefined in the seed's minimal form (the runner builds one from role and goal). */
  instructions: string | undefined;
  /** Explicit `depends_on` only; executionOrder adds the implicit `{{agents.X.output}}` ones. */
  dependsOn: string[];
  provider: string | undefined;
  model: string | undefined;
  guardrails: AgentGuardrails;
  output: AgentOutput;
}

export interface EvaluatorCriterion {
  id: string;
  description: string;
  /** Relative weight; scores are normalised by the sum of weights. */
  weight: number;
}

export interface EvaluatorChecks {
  requiredSections: string[];
  minChars: number | undefined;
  maxChars: number | undefined;
  bannedPhrases: string[];
}

export interface StackEvaluator {
  criteria: EvaluatorCriterion[];
  passThreshold: number;
  checks: EvaluatorChecks;
  /** True when the stack had no `evaluator:` and DEFAULT_EVALUATOR applies. */
  isDefault: boolean;
}

/**
 * The rubric for stacks without an `evaluator:`: four criteria, goal alignment weighted highest
 * because a clear, complete answer to the wrong question is still a failed run.
 */
export const DEFAULT_EVALUATOR: StackEvaluator = Object.freeze({
  criteria: [
    {
      id: "clarity",
      description: "Clear, well organised and easy for the intended reader to act on",
      weight: 0.25,
    },
    {
      id: "completeness",
      description: "Covers everything the goal and each agent's role ask for",
      weight: 0.25,
    },
    { id: "goal_alignment", description: "Directly serves the stack's stated goal", weight: 0.3 },
    {
      id: "compliance",
      description: "Passes the charter's guardrails and makes no unsupported claims",
      weight: 0.2,
    },
  ],
  passThreshold: 0.7,
  checks: { requiredSections: [], minChars: undefined, maxChars: undefined, bannedPhrases: [] },
  isDefault: true,
});

/** A parsed stack before the loader adds where it came from. */
export interface StackSpec {
  /** The persona: the name `maos run` takes. */
  name: string;
  persona: string;
  goal: string;
  description: string | undefined;
  inputs: StackInput[];
  agents: StackAgent[];
  evaluator: StackEvaluator;
  /** `schedule:`, when the stack runs on a cron (the run queue sends it; see the charter's runs.schedules). */
  schedule?: StackSchedule | undefined;
}

/** A loaded stack. `hash` is the hex SHA-256 of the file's bytes, recorded with every run. */
export interface Stack extends StackSpec {
  file: string;
  hash: string;
}

/** Validates the YAML value and returns the camelCase StackSpec. */
export const stackSchema = z.strictObject(stackShape).transform(
  (s): StackSpec => ({
    name: s.persona,
    persona: s.persona,
    goal: s.goal,
    description: s.description,
    inputs: s.inputs.map((i) => ({
      name: i.name,
      description: i.description,
      required: i.required,
      default: i.default === undefined ? undefined : String(i.default),
    })),
    agents: s.agents.map((a) => ({
      id: a.agent,
      role: a.role,
      instructions: a.instructions,
      dependsOn: a.depends_on,
      provider: a.provider,
      model: a.model,
      guardrails: { blockedTerms: a.guardrails?.blocked_terms ?? [], maxChars: a.guardrails?.max_chars },
      output:
        a.output?.format === "json"
          ? { format: "json", schema: a.output.schema }
          : { format: "markdown", requiredSections: a.output?.required_sections ?? [] },
    })),
    evaluator: s.evaluator
      ? {
          criteria: s.evaluator.criteria,
          passThreshold: s.evaluator.pass_threshold,
          checks: {
            requiredSections: s.evaluator.checks?.required_sections ?? [],
            minChars: s.evaluator.checks?.min_chars,
            maxChars: s.evaluator.checks?.max_chars,
            bannedPhrases: s.evaluator.checks?.banned_phrases ?? [],
          },
          isDefault: false,
        }
      : structuredClone(DEFAULT_EVALUATOR),
    ...(s.schedule
      ? {
          schedule: {
            cron: s.schedule.cron.trim(),
            timezone: s.schedule.timezone,
            inputs: Object.fromEntries(Object.entries(s.schedule.inputs).map(([k, v]) => [k, String(v)])),
          },
        }
      : {}),
  }),
);
