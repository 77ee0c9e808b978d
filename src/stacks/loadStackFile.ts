import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { CodexError } from "../core/CodexError.ts";
import { problemsError } from "../core/problems.ts";
import { readCapped } from "../core/readCapped.ts";
import { YamlSource } from "../core/YamlSource.ts";
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
  // A run re-reads its stack file (an edit takes effect at the next run), but the same bytes need not
  // be parsed and validated again: the YAML parse was a 20–30 ms stretch of the event loop per run.
  const key = `${file}\0${createHash("sha256").update(bytes).digest("hex")}`;
  const known = parsed.get(key);
  if (known) return structuredClone(known);
  const stack = validateStackBytes(bytes, file);
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value as string);
  parsed.set(key, stack);
  return structuredClone(stack);
}

/** Valid stacks by file and content hash; errors are never kept (each read reports afresh). */
const parsed = new Map<string, Stack>();
const PARSED_MAX = 64;

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
