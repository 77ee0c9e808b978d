import type { CodexError } from "../core/CodexError.ts";
import { loadStackFile } from "./loadStackFile.ts";
import { scanStacks } from "./scanStacks.ts";
import type { Stack } from "./stackSchema.ts";

/**
 * Loads and validates every `*.yaml` / `*.yml` in `dir` (the caller resolves MAOS_STACKS, default
 * ./stacks), in file-name order; a bad file's error is collected, a duplicate persona is an error on the
 * second file (scanStacks).
 */
export function loadStacks(dir: string): { stacks: Stack[]; errors: CodexError[] } {
  return scanStacks(dir, loadStackFile);
}
