import path from "node:path";
import type { App } from "../src/app/createApp.ts";
import { CodexError } from "../src/core/CodexError.ts";
import { loadStackFile, loadStacks, type Stack } from "../src/stacks/index.ts";

export interface StackListing {
  name: string;
  goal: string;
  description: string | undefined;
  file: string;
  agents: { id: string; role: string }[];
  inputs: { name: string; required: boolean; default: string | undefined; description: string | undefined }[];
}

export interface StacksList {
  dir: string;
  stacks: StackListing[];
  /** Files in the folder that did not load, so a broken stack is never silently missing. */
  invalid: { code: string; message: string }[];
}

/** `stacks`: the stacks an operator can run, with their inputs. */
export function listStacks(app: App): StacksList {
  const { stacks, errors } = loadStacks(app.stacksDir);
  return {
    dir: app.stacksDir,
    stacks: stacks.map(describe),
    invalid: errors.map((e) => ({ code: e.code, message: e.message })),
  };
}

export interface ValidationResult {
  ok: boolean;
  results: { file: string; ok: boolean; name?: string; errors: string[] }[];
}

/** `stacks validate [FILE…]`: every stack in the folder when no file is given. */
export function validateStacks(files: string[], app: App): ValidationResult {
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

function describe(s: Stack): StackListing {
  return {
    name: s.name,
    goal: s.goal,
    description: s.description,
    file: s.file,
    agents: s.agents.map((a) => ({ id: a.id, role: a.role })),
    inputs: s.inputs.map((i) => ({
      name: i.name,
      required: i.required,
      default: i.default,
      description: i.description,
    })),
  };
}

function fileOf(err: CodexError): string | undefined {
  const d = err.details as { file?: string }[] | { file?: string } | undefined;
  if (Array.isArray(d)) return d[0]?.file;
  return d?.file;
}
