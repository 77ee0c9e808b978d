import { z } from "zod";
import { cronProblem } from "../core/cronProblem.ts";
import type { YamlProblem } from "../core/problems.ts";
import { CHICAGO } from "../core/timestamps.ts";
import type { YamlSource } from "../core/YamlSource.ts";

export { cronProblem };

/**
 * The charter's `runs:` section: how many runs of a stack may execute at once across every replica,
 * and the stacks run on a schedule. Both take effect on the run queue (DATABASE_URL set); a single
 * process on SQLite runs what it is asked, as before.
 */

const STACK = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const stackName = z.string().regex(STACK, { error: "expected a stack name such as marketing_ops" });

const scheduleShape = {
  stack: stackName,
  cron: z.string().min(1),
  timezone: z.string().min(1).default(CHICAGO),
  inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
};

export const runsShape = {
  /** At most N runs of the named stack at once, across all replicas; a run over the limit waits. */
  per_stack: z.record(stackName, z.int().min(1)).default({}),
  /** The same for every stack not named in per_stack; unset: no limit. */
  per_stack_default: z.int().min(1).optional(),
  schedules: z.array(z.strictObject(scheduleShape)).default([]),
};

export const RUNS_KEYS = {
  runs: Object.keys(runsShape),
  "runs.schedules": Object.keys(scheduleShape),
} as const;

export interface RunSchedule {
  stack: string;
  /** Five fields (minute hour day month weekday), read in `timezone`. */
  cron: string;
  timezone: string;
  inputs: Record<string, string>;
}

export interface RunsSettings {
  perStack: Record<string, number>;
  perStackDefault: number | undefined;
  schedules: RunSchedule[];
}

type RunsYaml = z.output<z.ZodObject<typeof runsShape>>;

export function toRunsSettings(r: RunsYaml): RunsSettings {
  return {
    perStack: r.per_stack,
    perStackDefault: r.per_stack_default,
    schedules: r.schedules.map((s) => ({
      stack: s.stack,
      cron: s.cron.trim(),
      timezone: s.timezone,
      inputs: Object.fromEntries(Object.entries(s.inputs).map(([k, v]) => [k, String(v)])),
    })),
  };
}

/** The checks zod cannot make: each schedule's cron and time zone. */
export function runsProblems(source: YamlSource, runs: RunsSettings): YamlProblem[] {
  const problems: YamlProblem[] = [];
  runs.schedules.forEach((s, i) => {
    const why = cronProblem(s.cron, s.timezone);
    if (why) problems.push(source.problem(["runs", "schedules", i, "cron"], why));
  });
  return problems;
}
