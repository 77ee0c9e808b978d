import path from "node:path";
import type { App } from "../src/app/App.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { Reply, ReplyPart } from "../src/core/Reply.ts";
import { shortLine } from "../src/core/shortLine.ts";
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
export function listStacks(app: Pick<App, "stacksDir">): StacksList {
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

export function stacksReply(list: StacksList): Reply {
  const parts: ReplyPart[] = [{ kind: "header", text: `Stacks (${list.stacks.length})` }];
  for (const s of list.stacks) {
    const inputs = s.inputs.map((i) =>
      i.required
        ? `\`${i.name}=…\` (required)`
        : `\`${i.name}\` (default: ${i.default === undefined ? "none" : shortLine(i.default)})`,
    );
    parts.push({
      kind: "text",
      text: [
        `*${s.name}*: ${s.goal}`,
        `agents: ${s.agents.map((a) => a.id).join(" → ")}`,
        `inputs: ${inputs.length > 0 ? inputs.join(", ") : "(none)"}`,
      ].join("\n"),
    });
  }
  if (list.stacks.length === 0) parts.push({ kind: "text", text: `no stacks in ${list.dir}` });
  for (const bad of list.invalid) parts.push({ kind: "text", text: `✖ invalid: ${bad.message}` });
  parts.push({
    kind: "context",
    text: `from ${list.dir} (MAOS_STACKS) · run one with /codex run <stack> key=value …`,
  });
  return {
    summary: `${list.stacks.length} stacks: ${list.stacks.map((s) => s.name).join(", ")}`,
    parts,
    ephemeral: true,
  };
}
