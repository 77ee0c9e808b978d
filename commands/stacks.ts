import path from "node:path";
import type { App } from "../src/app/App.ts";
import { CodexError } from "../src/core/CodexError.ts";
import { loadStackFile, loadStacks } from "../src/stacks/index.ts";
import { stackListing } from "../src/stacks/stackListing.ts";
import type { StacksList } from "./stacksReply.ts";

/** `stacks`: the stacks an operator can run, with their inputs. */
export function listStacks(app: Pick<App, "stacksDir">): StacksList {
  const { stacks, errors } = loadStacks(app.stacksDir);
  return {
    dir: app.stacksDir,
    stacks: stacks.map(stackListing),
    invalid: errors.map((e) => ({ code: e.code, message: e.message })),
  };
}

export interface ValidationResult {
  ok: boolean;
  results: { file: string; ok: boolean; name?: string; errors: string[] }[];
}

/** `stacks validate [FILE…]`: every stack in the folder when no file is given. */
export function validateStacks(files: string[], app: Pick<App, "stacksDir">): ValidationResult {
  if (files.length === 0) {
    const { stacks, errors } = loadStacks(app.stacksDir);
    const results = [
      ...stacks.map((s) => ({ file: s.file, ok: true, name: s.name, errors: [] })),
      ...errors.map((e) => ({ file: fileOf(e) ?? app.stacksDir, ok: false, errors: [e.message] })),
    ];
    return { ok: errors.length === 0 && stacks.length > 0, results };
  }
  const results = files.map((f) => {
    const file = path.resolve(f);
    try {
      const s = loadStackFile(file);
      return { file, ok: true, name: s.name, errors: [] };
    } catch (err) {
      if (!(err instanceof CodexError)) throw err;
      return { file, ok: false, errors: [err.message] };
    }
  });
  return { ok: results.every((r) => r.ok), results };
}

function fileOf(err: CodexError): string | undefined {
  const d = err.details as { file?: string }[] | { file?: string } | undefined;
  if (Array.isArray(d)) return d[0]?.file;
  return d?.file;
}
