import { statSync } from "node:fs";
import { CodexError } from "../core/CodexError.ts";
import { problemsError } from "../core/problems.ts";
import { readCapped, YamlSource } from "../core/YamlSource.ts";
import type { Stack } from "./stackSchema.ts";
import { validateStackBytes } from "./validateStack.ts";

/** Reads and validates one stack file; throws CodexError STACK_NOT_FOUND or STACK_INVALID. */
export function loadStackFile(file: string): Stack {
  let bytes: Uint8Array;
  try {
    bytes = readCapped(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new CodexError("STACK_NOT_FOUND", `stack file ${file} does not exist`, {
        hint: "check the path, or set MAOS_STACKS to the folder that holds your stack files",
        cause: err,
      });
    }
    throw new CodexError("STACK_INVALID", `stack file ${file} could not be read (${code ?? String(err)})`, {
      hint: "make sure it is a readable regular file",
      cause: err,
    });
  }
  // readCapped stops one byte past the cap; report the real size so the message is not misleading.
  const tooBig = YamlSource.sizeProblem(Math.max(bytes.byteLength, sizeOf(file)), file);
  if (tooBig) throw problemsError("STACK_INVALID", [tooBig], `shrink ${file} below the cap`);
  return validateStackBytes(bytes, file);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
