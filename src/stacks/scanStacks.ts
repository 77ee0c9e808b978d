import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CodexError, isCodexError } from "../core/CodexError.ts";

// The stacks folder's scan, apart from the loader it calls, so the listing's cache (stackListCache.ts)
// scans exactly as loadStacks does without loading the YAML parser and zod.

/** True for the file names the stacks folder is scanned for. */
export function isStackFileName(name: string): boolean {
  return /\.ya?ml$/i.test(name) && !name.startsWith(".");
}

/**
 * Loads every `*.yaml` / `*.yml` in `dir` with `load`, in file-name order. One bad file never hides the
 * good ones: its error is collected instead. Two files declaring the same persona are an error on the
 * second, since `maos run NAME` would be ambiguous. An error `load` marks with `passOn` is thrown on.
 */
export function scanStacks<T extends { name: string; file: string }>(
  dir: string,
  load: (file: string) => T,
  passOn: (err: unknown) => boolean = () => false,
): { stacks: T[]; errors: CodexError[] } {
  let names: string[];
  try {
    names = readdirSync(dir).filter(isStackFileName).sort();
  } catch (err) {
    const error = new CodexError("STACK_NOT_FOUND", `stacks folder ${dir} cannot be read`, {
      hint: "set MAOS_STACKS to the folder holding your stack YAML files (default ./stacks)",
      cause: err,
    });
    return { stacks: [], errors: [error] };
  }
  const stacks: T[] = [];
  const errors: CodexError[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const stack = load(file);
      const clash = stacks.find((s) => s.name === stack.name);
      if (clash) {
        errors.push(
          new CodexError(
            "STACK_INVALID",
            `${file}:1:1: persona: "${stack.name}" is already defined in ${clash.file}`,
            {
              hint: `give one of the two stacks a different persona, or remove ${file}`,
              details: [
                { file, line: 1, col: 1, path: "persona", message: `duplicate persona "${stack.name}"` },
              ],
            },
          ),
        );
        continue;
      }
      stacks.push(stack);
    } catch (err) {
      if (passOn(err)) throw err;
      errors.push(
        isCodexError(err)
          ? err
          : new CodexError("INTERNAL", `loading ${file} failed unexpectedly`, { cause: err }),
      );
    }
  }
  return { stacks, errors };
}
