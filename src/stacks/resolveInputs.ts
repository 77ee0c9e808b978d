import { CodexError } from "../core/CodexError.ts";
import { closestMatch } from "../core/closestMatch.ts";
import type { StackInput, StackSpec } from "./stackSchema.ts";

/** Throws USAGE for an input the stack does not declare, with the nearest declared name. */
export function checkInputNames(stack: StackSpec, given: Record<string, string>): void {
  const declared = stack.inputs.map((i) => i.name);
  for (const name of Object.keys(given)) {
    if (declared.includes(name)) continue;
    const guess = closestMatch(name, declared);
    throw new CodexError(
      "USAGE",
      `stack ${stack.name} has no input "${name}"${guess ? ` (did you mean "${guess}"?)` : ""}; its inputs: ${declared.length > 0 ? declared.join(", ") : "(none)"}`,
      { hint: "pass inputs as --input NAME=VALUE using one of the names listed" },
    );
  }
}

/** Required inputs that were not given and have no default: what a run must ask for before it starts. */
export function missingInputs(stack: StackSpec, given: Record<string, string>): StackInput[] {
  return stack.inputs.filter((i) => i.required && i.default === undefined && given[i.name] === undefined);
}

/**
 * The USAGE error for inputs nobody supplied: it names each with its description, so a script's log
 * (or a chat reply) says what to pass without opening the stack file.
 */
export function missingInputsError(
  stack: StackSpec & { file?: string },
  missing: readonly StackInput[],
): CodexError {
  const lines = missing.map((m) => `  ${m.name}: ${m.description ?? "(no description in the stack file)"}`);
  return new CodexError(
    "USAGE",
    `stack ${stack.name} needs ${missing.length === 1 ? "an input" : `${missing.length} inputs`} with no default:\n${lines.join("\n")}`,
    {
      hint: `pass ${missing.map((m) => `--input ${m.name}=VALUE`).join(" ")} (in chat: ${missing.map((m) => `${m.name}=VALUE`).join(" ")}), run it on a terminal to be asked, or give the input a default in ${stack.file ?? "the stack file"}`,
      details: { missing: missing.map((m) => ({ name: m.name, description: m.description ?? null })) },
    },
  );
}

/**
 * The values a run's templates see: what the caller gave, else each input's default, in the stack's
 * declared order (the order `{{input}}` lists them in). Optional inputs with neither are left out.
 * Throws USAGE for an undeclared input or a required one that is missing.
 */
export function resolveInputs(stack: StackSpec, given: Record<string, string>): Record<string, string> {
  checkInputNames(stack, given);
  const missing = missingInputs(stack, given);
  if (missing.length > 0) throw missingInputsError(stack, missing);
  const values: Record<string, string> = {};
  for (const input of stack.inputs) {
    const value = given[input.name] ?? input.default;
    if (value !== undefined) values[input.name] = value;
  }
  return values;
}
