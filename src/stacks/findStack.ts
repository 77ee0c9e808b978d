import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { CodexError } from "../core/CodexError.ts";
import { loadStackFile } from "./loadStackFile.ts";
import { loadStacks } from "./loadStacks.ts";
import type { Stack } from "./stackSchema.ts";

/** `marketing_ops`, `marketing_ops.yaml`, `marketing_ops_stack.yaml`, `stacks/marketing_ops_stack.yml` → `marketing_ops`. */
export function stackBaseName(name: string): string {
  return basename(name)
    .replace(/\.ya?ml$/i, "")
    .replace(/_stack$/, "");
}

/**
 * Finds a stack by persona name, accepting the seed's `NAME_stack.yaml` file naming too. A matching
 * file that is invalid throws its STACK_INVALID error; no match throws STACK_NOT_FOUND listing what
 * is available.
 */
export function findStack(dir: string, name: string): Stack {
  const base = stackBaseName(name);
  for (const candidate of [`${base}.yaml`, `${base}.yml`, `${base}_stack.yaml`, `${base}_stack.yml`]) {
    const file = join(dir, candidate);
    if (existsSync(file)) return loadStackFile(file);
  }
  // The persona need not match the file name: fall back to scanning the folder.
  const { stacks, errors } = loadStacks(dir);
  const found = stacks.find((s) => s.name === base);
  if (found) return found;
  const available = stacks.map((s) => s.name).sort();
  const broken =
    errors.length > 0 ? ` (${errors.length} stack file(s) are invalid: run \`maos stacks validate\`)` : "";
  throw new CodexError(
    "STACK_NOT_FOUND",
    `no stack named "${base}" in ${dir}; available: ${available.length > 0 ? available.join(", ") : "(none)"}${broken}`,
    { hint: "pick one of the available stacks, or set MAOS_STACKS to the folder that holds yours" },
  );
}
