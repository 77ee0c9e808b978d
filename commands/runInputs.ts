import type { App } from "../src/app/App.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { Reply } from "../src/core/Reply.ts";
import {
  checkInputNames,
  findStack,
  missingInputs,
  missingInputsError,
  type Stack,
} from "../src/stacks/index.ts";

/** One input an adapter asks for: `required` ones must be answered, the others show their default. */
export interface InputQuestion {
  name: string;
  description: string | undefined;
  default: string | undefined;
  required: boolean;
}

export interface InputRequest {
  stack: string;
  goal: string;
  /** Every input the caller did not type, in the stack's order. */
  questions: InputQuestion[];
  /** What the caller typed; kept as given. */
  given: Record<string, string>;
}

/**
 * An adapter's answer: the values typed at a prompt, nothing (the person gave up: Ctrl-C, Ctrl-D), or
 * "asked elsewhere" (Slack opened a form; its submission starts the run later) with the reply to show now.
 */
export type InputAnswer =
  | { kind: "values"; values: Record<string, string> }
  | { kind: "cancelled" }
  | { kind: "deferred"; reply: Reply };

/** How an adapter asks a person for inputs: a terminal prompt, a Slack modal. */
export type InputAsker = (request: InputRequest) => Promise<InputAnswer>;

/** The questions for a stack: every input not given, each flagged required when nothing would fill it. */
export function inputQuestions(stack: Stack, given: Record<string, string>): InputQuestion[] {
  const missing = new Set(missingInputs(stack, given).map((i) => i.name));
  return stack.inputs
    .filter((i) => given[i.name] === undefined)
    .map((i) => ({
      name: i.name,
      description: i.description,
      default: i.default,
      required: missing.has(i.name),
    }));
}

/**
 * Before a run starts: when the stack has a required input that was neither given nor defaulted and the
 * adapter can ask a person, asks. Returns the completed inputs, or the reply to show when the adapter
 * asked elsewhere. Without an asker the inputs are returned as given and the run names what is missing.
 */
export async function completeInputs(
  stackName: string,
  given: Record<string, string>,
  app: Pick<App, "stacksDir">,
  ask: InputAsker | undefined,
): Promise<{ inputs: Record<string, string> } | { reply: Reply }> {
  const stack = findStack(app.stacksDir, stackName);
  checkInputNames(stack, given);
  if (!ask || missingInputs(stack, given).length === 0) return { inputs: given };
  const answer = await ask({
    stack: stack.name,
    goal: stack.goal,
    questions: inputQuestions(stack, given),
    given,
  });
  if (answer.kind === "deferred") return { reply: answer.reply };
  if (answer.kind === "cancelled") {
    throw new CodexError(
      "USAGE",
      `run of ${stack.name} cancelled: its inputs were not given, so nothing ran`,
    );
  }
  const values = Object.fromEntries(Object.entries(answer.values).filter(([, v]) => v.trim() !== ""));
  const inputs = { ...values, ...given };
  checkInputNames(stack, inputs);
  const still = missingInputs(stack, inputs);
  if (still.length > 0) throw missingInputsError(stack, still);
  return { inputs };
}
