import { CodexError } from "../core/CodexError.ts";
import { closestMatch } from "./closestMatch.ts";
import type { StackSpec } from "./stackSchema.ts";

/**
 * The values a run's templates see: what the caller gave, else each input's default, in the stack's
 * declared order (the order `{{input}}` lists them in). Optional inputs with neither are left out.
 * Throws USAGE for an undeclared input or a required one that is missing.
 */
export function resolveInputs(stack: StackSpec, given: Record<string, string>): Record<string, string> {
  const declared = stack.inputs.map((i) => i.name);
  for (const name of Object.keys(given)) {
    if (!declared.includes(name)) {
      const guess = closestMatch(name, declared);
      throw new CodexError(
        "USAGE",
        `stack ${stack.name} has no input "${name}"${guess ? ` (did you mean "${guess}"?)` : ""}; its inputs: ${declared.length > 0 ? declared.join(", ") : "(none)"}`,
        { hint: "pass inputs as --input NAME=VALUE using one of the names listed" },
      );
    }
  }
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const input of stack.inputs) {
    const value = given[input.name] ?? input.default;
    if (value !== undefined) values[input.name] = value;
    else if (input.required) missing.push(input.name);
  }
  if (missing.length > 0) {
    throw new CodexError("USAGE", `stack ${stack.name} needs input(s): ${missing.join(", ")}`, {
      hint: missing.map((m) => `--input ${m}=VALUE`).join(" "),
    });
  }
  return values;
}
