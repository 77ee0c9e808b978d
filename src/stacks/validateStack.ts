import { createHash } from "node:crypto";
import { closestMatch } from "../core/closestMatch.ts";
import { cronProblem } from "../core/cronProblem.ts";
import { problemsError, type YamlProblem } from "../core/problems.ts";
import { YamlSource } from "../core/YamlSource.ts";
import { zodProblems } from "../core/zodProblems.ts";
import { findCycle } from "./executionOrder.ts";
import { STACK_KEYS, type Stack, type StackSpec, stackSchema } from "./stackSchema.ts";
import { templateRefs } from "./template.ts";

const TEMPLATE_FORMS = "{{input.NAME}}, {{input}}, {{agents.ID.output}}, {{goal}} or {{persona}}";

function hint(file: string): string {
  return `fix the fields listed in ${file} (see stacks/marketing_ops.yaml for a complete example), then run \`maos stacks validate ${file}\``;
}

function listOrNone(names: readonly string[]): string {
  return names.length > 0 ? names.join(", ") : "(none)";
}

/** Reports the second and later uses of the same id, at the duplicate. */
function duplicates(
  source: YamlSource,
  ids: readonly string[],
  pathOf: (i: number) => PropertyKey[],
  what: string,
): YamlProblem[] {
  const firstAt = new Map<string, number>();
  const problems: YamlProblem[] = [];
  ids.forEach((id, i) => {
    const first = firstAt.get(id);
    if (first === undefined) firstAt.set(id, i);
    else
      problems.push(source.problem(pathOf(i), `duplicate ${what} "${id}" (first defined at index ${first})`));
  });
  return problems;
}

/** The checks zod cannot express: unique ids, dependencies that exist and do not loop, and templates. */
function crossChecks(source: YamlSource, spec: StackSpec): YamlProblem[] {
  const agentIds = spec.agents.map((a) => a.id);
  const inputNames = spec.inputs.map((i) => i.name);
  const problems: YamlProblem[] = [
    ...duplicates(source, agentIds, (i) => ["agents", i, "agent"], "agent id"),
    ...duplicates(source, inputNames, (i) => ["inputs", i, "name"], "input name"),
    ...(spec.evaluator.isDefault
      ? []
      : duplicates(
          source,
          spec.evaluator.criteria.map((c) => c.id),
          (i) => ["evaluator", "criteria", i, "id"],
          "criterion id",
        )),
  ];

  const unknownAgent = (id: string): string => {
    const guess = closestMatch(id, agentIds);
    return `"${id}", which is not an agent in this stack${guess ? ` (did you mean "${guess}"?)` : ""}; known agents: ${listOrNone(agentIds)}`;
  };

  spec.agents.forEach((agent, i) => {
    agent.dependsOn.forEach((dep, j) => {
      if (!agentIds.includes(dep)) {
        problems.push(source.problem(["agents", i, "depends_on", j], `depends on ${unknownAgent(dep)}`));
      }
    });
    const path = ["agents", i, "instructions"];
    for (const ref of templateRefs(agent.instructions ?? "")) {
      if (ref.kind === "unknown") {
        problems.push(
          source.textProblem(path, ref.raw, `unknown template reference ${ref.raw}; use ${TEMPLATE_FORMS}`),
        );
      } else if (ref.kind === "input" && !inputNames.includes(ref.name)) {
        const guess = closestMatch(ref.name, inputNames);
        problems.push(
          source.textProblem(
            path,
            ref.raw,
            `${ref.raw} refers to an input "${ref.name}" the stack does not declare${guess ? ` (did you mean "${guess}"?)` : ""}; declared inputs: ${listOrNone(inputNames)} (add it under inputs:)`,
          ),
        );
      } else if (ref.kind === "agent_output" && !agentIds.includes(ref.agent)) {
        problems.push(source.textProblem(path, ref.raw, `${ref.raw} refers to ${unknownAgent(ref.agent)}`));
      }
    }
  });

  const cycle = findCycle(spec);
  if (cycle) {
    const first = cycle[0] ?? "";
    const index = agentIds.indexOf(first);
    const explicit = spec.agents[index]?.dependsOn.includes(cycle[1] ?? "") ?? false;
    problems.push(
      source.problem(
        ["agents", index, explicit ? "depends_on" : "instructions"],
        `dependency cycle: ${cycle.join(" → ")} (each agent waits for the next, so none can start; remove one link)`,
      ),
    );
  }

  if (spec.schedule) {
    const why = cronProblem(spec.schedule.cron, spec.schedule.timezone);
    if (why) problems.push(source.problem(["schedule", "cron"], why));
    for (const name of Object.keys(spec.schedule.inputs)) {
      if (!inputNames.includes(name)) {
        problems.push(
          source.problem(
            ["schedule", "inputs", name],
            `no input "${name}" in this stack (${listOrNone(inputNames)})`,
          ),
        );
      }
    }
  }

  const checks = spec.evaluator.checks;
  if (checks.minChars !== undefined && checks.maxChars !== undefined && checks.minChars > checks.maxChars) {
    problems.push(
      source.problem(
        ["evaluator", "checks", "min_chars"],
        `min_chars ${checks.minChars} is larger than max_chars ${checks.maxChars}; no output could pass`,
      ),
    );
  }
  return problems;
}

/** Validates a stack file's bytes; throws CodexError("STACK_INVALID") listing every problem. */
export function validateStackBytes(bytes: Uint8Array, file: string): Stack {
  const h = hint(file);
  const tooBig = YamlSource.sizeProblem(bytes.byteLength, file);
  if (tooBig) throw problemsError("STACK_INVALID", [tooBig], h);
  const source = YamlSource.parse(Buffer.from(bytes).toString("utf8"), file, "STACK_INVALID", h);
  const parsed = stackSchema.safeParse(source.data);
  if (!parsed.success) {
    const knownKeys = (path: ReadonlyArray<PropertyKey>) =>
      STACK_KEYS[path.filter((p) => typeof p !== "number").join(".")] ?? [];
    throw problemsError("STACK_INVALID", zodProblems(parsed.error.issues, source, knownKeys), h);
  }
  const problems = crossChecks(source, parsed.data);
  if (problems.length > 0) throw problemsError("STACK_INVALID", problems, h);
  return { ...parsed.data, file, hash: createHash("sha256").update(bytes).digest("hex") };
}

/** Validates stack YAML given as text (tests, `maos stacks validate` on stdin). */
export function validateStackText(text: string, fileName: string): Stack {
  return validateStackBytes(Buffer.from(text, "utf8"), fileName);
}
