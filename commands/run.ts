import { readFile } from "node:fs/promises";
import path from "node:path";
import type { App } from "../src/app/App.ts";
import { noteGuardrailBlock } from "../src/autonomy/guardrailBlocks.ts";
import { type Actor, actorIdentity } from "../src/core/Actor.ts";
import { CodexError } from "../src/core/CodexError.ts";
import { personName } from "../src/core/personName.ts";
import type { Reply, ReplyPart } from "../src/core/Reply.ts";
import type { RunControl } from "../src/executor/RunExecutor.ts";
import type { ProgressListener } from "../src/executor/RunProgress.ts";
import type { RunSummary, StepSummary } from "../src/executor/runTypes.ts";
import { findStack } from "../src/stacks/index.ts";
import type { Caller, CommandContext, Outcome } from "./CommandSpec.ts";
import { errorReply } from "./replies.ts";
import { completeInputs, type InputAsker } from "./runInputs.ts";
import { listStacks } from "./stacks.ts";

export interface RunArgs {
  stack: string;
  inputs: Record<string, string>;
  /** A provider spec that replaces the prime for this run (`--provider openai:gpt-4o-mini`). */
  provider?: string | undefined;
}

export type { RunControl } from "../src/executor/RunExecutor.ts";

/** What a run uses of the app. */
export type RunAppDeps = Pick<
  App,
  | "stacksDir"
  | "providerFor"
  | "runExecutor"
  | "recoverAbortedRuns"
  | "autonomy"
  | "charter"
  | "clock"
  | "ledger"
>;

/**
 * `run <stack> [key=value …]`: runs a stack under the charter, seals it and writes it to the ledger.
 * The checks, the reconciliation and the kernel's view (guardrail blocks) happen here, on the caller's
 * thread; the run itself goes to the app's executor (this thread, or the bot's run worker threads).
 */
export async function run(
  args: RunArgs,
  actor: Actor,
  app: RunAppDeps,
  onProgress?: ProgressListener,
  control: RunControl = {},
): Promise<RunSummary> {
  await assertRunsAllowed(app);
  const stack = findStack(app.stacksDir, args.stack);
  // Resolve the override before anything is written, so a bad spec is a usage error with no side effects.
  if (args.provider) app.providerFor(args.provider);
  await app.recoverAbortedRuns();
  const summary = await app
    .runExecutor()
    .execute({ stack, inputs: args.inputs, actor, provider: args.provider }, onProgress, control);
  if (summary.error?.code === "GUARDRAIL_VIOLATION") await noteGuardrailBlock(app, actorIdentity(actor));
  return summary;
}

/**
 * Completes a run's inputs before it starts: asks a person for what is missing when the adapter can
 * (checked after the pause, so nobody fills in a form for a run that would be refused). Returns the
 * completed arguments, or the reply to show when the adapter asked elsewhere (a Slack form).
 */
export async function askForInputs(
  args: RunArgs,
  app: Pick<App, "autonomy" | "charter" | "stacksDir">,
  ask: InputAsker | undefined,
): Promise<{ args: RunArgs } | { reply: Reply }> {
  await assertRunsAllowed(app);
  const done = await completeInputs(args.stack, args.inputs, app, ask);
  return "reply" in done ? done : { args: { ...args, inputs: done.inputs } };
}

/** Throws REFUSED while STOP–RESET–REALIGN holds runs. */
async function assertRunsAllowed(app: Pick<App, "autonomy" | "charter">): Promise<void> {
  const srr = await app.autonomy().srr();
  if (srr.state === "HALTED" && app.charter().srr.blockRuns) {
    throw new CodexError(
      "REFUSED",
      `runs are paused: STOP–RESET–REALIGN halted the autonomy loop (${srr.reason ?? "see the open incidents"})`,
      {
        hint: `approve and resolve the open incidents (/codex incident list), then /codex resume; or set srr.block_runs: false in ${app.charter().file}`,
      },
    );
  }
}

/**
 * A run for every adapter: asks for missing inputs when the adapter can, runs, and reads each agent's
 * sealed output back for the reply. A chat form (Slack) may defer: its reply is returned, nothing ran.
 */
export async function runOutcome(
  input: RunArgs,
  ctx: Caller<keyof RunAppDeps> &
    Pick<CommandContext, "askInputs" | "formInputs" | "onProgress"> &
    RunControl,
): Promise<Outcome<RunSummary | null>> {
  const asked = await askForInputs(
    { ...input, inputs: { ...ctx.formInputs, ...input.inputs } },
    ctx.app,
    ctx.askInputs,
  );
  if ("reply" in asked) return { ok: true, data: null, reply: asked.reply };
  const control = {
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.onRunId ? { onRunId: ctx.onRunId } : {}),
  };
  const summary = await run(asked.args, ctx.actor, ctx.app, ctx.onProgress, control);
  return {
    ok: summary.status === "completed",
    data: summary,
    reply: runReply(summary, await readOutputs(summary)),
  };
}

/** On chat, an unknown stack is answered with the stacks there are, one step from a working command. */
export function unknownStackReply(message: string, app: Pick<App, "stacksDir">): Reply {
  const list = listStacks(app);
  const lines = list.stacks.map(
    (s) =>
      `• \`${s.name}\`: ${s.goal}${
        s.inputs.some((i) => i.required && i.default === undefined)
          ? ` (needs ${s.inputs
              .filter((i) => i.required && i.default === undefined)
              .map((i) => `${i.name}=…`)
              .join(" ")})`
          : ""
      }`,
  );
  return errorReply(message, [
    { kind: "text", text: lines.length > 0 ? `*Stacks*\n${lines.join("\n")}` : `no stacks in ${list.dir}` },
    { kind: "context", text: "usage: /codex run <stack> [key=value …]" },
  ]);
}

/** Each completed step's sealed output, read back from its vault folder. */
async function readOutputs(summary: RunSummary): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const step of summary.steps) {
    if (!step.file) continue;
    try {
      out[step.agent] = await readFile(path.join(summary.vault.path, step.file), "utf8");
    } catch {
      // A missing file shows as "no output" rather than failing a run that did seal.
    }
  }
  return out;
}

/**
 * A run's result for every adapter: score and verdict, each agent's output once (a document), the provider per step (offline marked), the seal root, vault commit and ledger head.
 */
export function runReply(s: RunSummary, outputs: Record<string, string>): Reply {
  const verdict = s.evaluation
    ? s.pass
      ? `PASS (threshold ${s.evaluation.threshold})`
      : `below the bar (threshold ${s.evaluation.threshold})`
    : "not scored";
  const title =
    s.status === "cancelled"
      ? `${s.stack}: cancelled by ${s.cancelled ? personName(s.cancelled.by) : "?"}, not scored`
      : `${s.stack}: ${s.status}, score ${s.score.toFixed(2)}, ${s.evaluation ? (s.pass ? "pass" : "below the bar") : "not scored"}`;
  const parts: ReplyPart[] = [{ kind: "header", text: title }];
  if (s.cancelled) {
    const skipped = s.steps.filter((st) => st.status === "skipped").map((st) => st.agent);
    parts.push({
      kind: "text",
      text: `*Cancelled* (${s.cancelled.via}) before ${skipped.length > 0 ? skipped.join(", ") : "evaluation"}; what the agents produced is sealed below.`,
    });
  }
  if (s.error) parts.push({ kind: "text", text: `*Run failed*: ${s.error.code}: ${s.error.message}` });
  parts.push({
    kind: "fields",
    fields: [
      { label: "Score", value: s.score.toFixed(2) },
      { label: "Verdict", value: verdict },
      { label: "Seal root", value: `\`${s.seal.root}\`` },
      { label: "Vault commit", value: `\`${s.vault.commit}\`` },
      { label: "Ledger head", value: `\`${s.ledger.head}\` (${s.ledger.size} entries)` },
      { label: "Run id", value: `\`${s.runId}\`` },
    ],
  });
  parts.push({
    kind: "text",
    text: `*Providers*\n${s.steps.map(stepLine).join("\n")}`,
  });
  if (s.evaluation) {
    const failed = s.evaluation.checks.filter((c) => !c.passed);
    const lines = s.evaluation.criteria.map((c) => `• ${c.id}: ${c.score.toFixed(2)} × ${c.weight}`);
    if (failed.length > 0) lines.push(...failed.map((c) => `• failed check: ${c.detail}`));
    parts.push({ kind: "text", text: `*Evaluation*\n${lines.join("\n")}` });
  }
  // Each agent's output once, as a document: a terminal prints it in full; Slack shows it in the
  // message, or an excerpt and the file when it is too long for one (replyToBlocks).
  for (const step of s.steps) {
    const output = outputs[step.agent];
    if (output === undefined) continue;
    if (step.status === "failed") {
      // An output the guardrails blocked is evidence in the vault, never shown: not even here.
      parts.push({
        kind: "context",
        text: `${step.agent}'s output is not shown: ${step.error ?? "its step failed"}. It is sealed in the vault as evidence.`,
      });
      continue;
    }
    // Once: the whole output as a document (Slack: a markdown block, or a file past 12,000 characters).
    parts.push({ kind: "divider" });
    parts.push({
      kind: "document",
      title: `${step.agent} (${step.role})`,
      filename: step.file ?? `${step.agent}.md`,
      text: output,
    });
  }
  parts.push({
    kind: "context",
    // The vault folder's name, never the server's filesystem path (this line is posted in Slack).
    text: `sealed in vault folder ${path.basename(s.vault.path)}${s.vault.pushed === false ? " (push failed; the local commit is kept)" : ""} · ${s.ms} ms${lessonNote(s)}`,
  });
  return {
    summary: `${title}; seal ${s.seal.root.slice(0, 12)}, commit ${s.vault.commit.slice(0, 12)}`,
    parts,
    ...(s.status === "failed" ? { isError: true } : {}),
  };
}

/** How many of the lessons from earlier runs show in this run's copy (not how many were handed over). */
function lessonNote(s: RunSummary): string {
  if (s.lessonsApplied.length === 0) return "";
  const checks = s.evaluation?.lessonChecks;
  if (!checks) return ` · ${s.lessonsApplied.length} lessons from earlier runs given (not judged)`;
  const applied = checks.filter((c) => c.status === "applied").length;
  return ` · ${applied} of ${checks.length} lessons from earlier runs applied in the copy`;
}

function stepLine(st: StepSummary): string {
  const mark = st.status === "completed" ? "✔" : st.status === "failed" ? "✖" : "·";
  const provider = st.status === "skipped" ? "skipped" : st.provider || "none";
  // The offline provider writes deterministic drafts; say so, so nobody mistakes them for a model's work.
  const shown = provider === "offline" ? "`offline` (no model called)" : `\`${provider}\``;
  const attempts = st.attempts > 1 ? `, ${st.attempts} attempts` : "";
  return `${mark} ${st.agent}: ${shown}${attempts}${st.error ? `, ${st.error}` : ""}`;
}
