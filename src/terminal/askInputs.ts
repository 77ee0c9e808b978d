import type { Interface } from "node:readline";
import type { InputAnswer, InputAsker, InputQuestion } from "../../commands/runInputs.ts";

/** A default shown in a prompt: its first line, cut short, so a pasted CSV does not flood the terminal. */
function shownDefault(value: string): string {
  const lines = value.trim().split("\n");
  const first = lines[0] ?? "";
  const cut = first.length > 60 ? `${first.slice(0, 57)}…` : first;
  return lines.length > 1 ? `${cut} … (${lines.length} lines)` : cut;
}

/** One question on `rl`; undefined when the input ends first (Ctrl-D, Ctrl-C, a closed pipe). */
export function question(rl: Interface, prompt: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onClose = () => resolve(undefined);
    rl.once("close", onClose);
    rl.question(prompt, (answer) => {
      rl.off("close", onClose);
      resolve(answer);
    });
  });
}

/**
 * Questions on an interface nothing else reads: every line is kept until a question takes it, so answers
 * typed ahead or pasted at once are not lost (rl.question drops lines that arrive between questions).
 */
export function lineQuestions(
  rl: Interface,
  output: NodeJS.WritableStream,
): (prompt: string) => Promise<string | undefined> {
  const lines: string[] = [];
  let closed = false;
  let waiting: ((line: string | undefined) => void) | undefined;
  const take = (line: string | undefined) => {
    const w = waiting;
    waiting = undefined;
    w?.(line);
  };
  rl.on("line", (line) => (waiting ? take(line) : lines.push(line)));
  rl.once("close", () => {
    closed = true;
    take(undefined);
  });
  return (prompt) => {
    rl.setPrompt(prompt);
    rl.prompt();
    const next = lines.shift();
    if (next !== undefined || closed) {
      // A typed-ahead answer: show it after its prompt, as if typed now.
      if (next !== undefined) output.write(`${next}\n`);
      return Promise.resolve(next);
    }
    return new Promise((resolve) => {
      waiting = resolve;
    });
  };
}

/**
 * Asks for a stack's inputs on a terminal, one line each: the description first, then a prompt that
 * shows the default (Enter keeps it). A required input is asked again until it has a value; ending the
 * input cancels the run. Used by the shell and the CLI, each with its own readline interface.
 */
export function terminalAsker(
  ask: (prompt: string) => Promise<string | undefined>,
  write: (text: string) => void,
): InputAsker {
  return async (req): Promise<InputAnswer> => {
    const required = req.questions.filter((q) => q.required);
    write(
      `${req.stack} needs ${required.map((q) => q.name).join(", ")}, which ${required.length === 1 ? "has" : "have"} no default. ` +
        "Type each value and press Enter; Enter alone keeps a [default]; Ctrl-C cancels.",
    );
    const values: Record<string, string> = {};
    for (const q of req.questions) {
      const answer = await askOne(q, ask, write);
      if (answer === undefined) return { kind: "cancelled" };
      if (answer !== "") values[q.name] = answer;
    }
    return { kind: "values", values };
  };
}

async function askOne(
  q: InputQuestion,
  ask: (prompt: string) => Promise<string | undefined>,
  write: (text: string) => void,
): Promise<string | undefined> {
  write(
    `${q.name}${q.required ? " (required)" : ""}: ${q.description ?? "no description in the stack file"}`,
  );
  const prompt = q.default !== undefined ? `  ${q.name} [${shownDefault(q.default)}]> ` : `  ${q.name}> `;
  for (;;) {
    const answer = await ask(prompt);
    if (answer === undefined) return undefined;
    const value = answer.trim();
    if (value !== "" || !q.required) return value;
    write(`  ${q.name} has no default, so it needs a value (Ctrl-C cancels the run).`);
  }
}
