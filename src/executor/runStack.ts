import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import type { AgentHub } from "../agents/AgentHub.ts";
import type { AttemptRecord } from "../agents/AttemptRecord.ts";
import { buildRequest } from "../agents/buildRequest.ts";
import type { DraftContext, Provider } from "../agents/Provider.ts";
import { type Actor, actorIdentity } from "../core/Actor.ts";
import { CodexError, isCodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { pausePoint } from "../core/pausePoint.ts";
import { runContext } from "../core/runContext.ts";
import { scrubValues } from "../core/scrubValues.ts";
import { chicagoIso, utcIso } from "../core/timestamps.ts";
import { type Evaluation, evaluateRun } from "../evaluator/evaluateRun.ts";
import { type Charter, effectivePassThreshold } from "../governance/charter.ts";
import { checkGuardrails, mergeGuardrails, redactSecrets } from "../governance/guardrails.ts";
import { screenInputs } from "../governance/screenInputs.ts";
import type { Checkpoint, Ledger } from "../ledger/Ledger.ts";
import type { MemoryHit } from "../memory/MemoryIndex.ts";
import {
  dependenciesOf,
  executionOrder,
  renderTemplate,
  resolveInputs,
  type Stack,
  templateRefs,
} from "../stacks/index.ts";
import { type SealedRun, VAULT_CHECKPOINT_FILE, type Vault } from "../vault/Vault.ts";
import { digestReport } from "./digestReport.ts";
import { GuardedStream } from "./GuardedStream.ts";
import type { ProgressListener } from "./RunProgress.ts";
import { recordWisdom, topLessons } from "./wisdom.ts";

export interface RunDeps {
  ledger: Ledger;
  hub: AgentHub;
  vault: Vault;
  charter: Charter;
  clock: Clock;
  /** Builds (or reuses) the provider for a per-agent or --provider override. */
  providerFor(spec: string): Provider;
  /** Exact values (API keys, tokens) that must never be written anywhere. */
  secrets: readonly string[];
  /** Told of each checkpoint the run signs (the app keeps the newest outside ledger.db). */
  onCheckpoint?: (cp: Checkpoint) => void;
  /** A cancel request on file for the run (state.db: `maos cancel`, `/codex cancel` from any process). */
  cancelRequest?: (runId: string) => { by: string; via: string } | undefined;
  /** The most relevant memory for a task (Memory Pack v1), each item with its ledger seq. */
  recall?: (query: string, stack: string) => Promise<MemoryHit[]>;
}

/** What memory a run put in its agents' prompts: the digest and run.json list it. */
export interface MemoryUse {
  seq: number;
  kind: string;
  vaultPath: string | null;
  agents: string[];
}

export interface RunRequest {
  stack: Stack;
  inputs: Record<string, string>;
  actor: Actor;
  /** `--provider SPEC`: the prime for every step of this run. */
  provider?: string | undefined;
  /**
   * Aborting it cancels the run between agents (an in-process handle, e.g. the MCP adapter's); its
   * `reason`, when a string, names who cancelled.
   */
  signal?: AbortSignal | undefined;
  /** Called with the run id as soon as it exists, so the caller can offer a way to cancel it. */
  onRunId?: ((runId: string) => void) | undefined;
}

export interface StepSummary {
  agent: string;
  role: string;
  status: "completed" | "failed" | "skipped";
  provider: string;
  model: string;
  attempts: number;
  tokens: { input: number; output: number };
  ms: number;
  file?: string;
  error?: string;
}

/** The result every adapter renders; its fields are the contract's `maos run --json`. */
export interface RunSummary {
  runId: string;
  correlationId: string;
  stack: string;
  status: "completed" | "failed" | "cancelled";
  score: number;
  pass: boolean;
  steps: StepSummary[];
  evaluation: Evaluation | undefined;
  lessonsApplied: string[];
  memoryUsed: readonly MemoryUse[];
  vault: { path: string; commit: string; pushed: boolean | "no-remote" };
  seal: { root: string };
  ledger: { size: number; head: string };
  startedAt: string;
  finishedAt: string;
  ms: number;
  error?: { code: string; message: string };
  /** Who cancelled the run and how (status "cancelled"). */
  cancelled?: { by: string; via: string };
}

/**
 * Runs one stack under the charter: agents in dependency order, guardrails on every output, the
 * evaluator, the wisdom log, then the sealed vault commit. Every step is a ledger entry threaded by
 * the run's correlation id; a failed run is sealed too, because failures are evidence.
 */
export async function runStack(
  req: RunRequest,
  deps: RunDeps,
  onProgress: ProgressListener = () => {},
): Promise<RunSummary> {
  const { stack, actor } = req;
  // A credential typed as an input is refused (or redacted, per charter) before anything is written;
  // the refusal names the inputs and patterns, never the value.
  let screened: ReturnType<typeof screenInputs>;
  try {
    screened = screenInputs(
      resolveInputs(stack, req.inputs),
      { ...deps.charter.guardrails, file: deps.charter.file },
      deps.secrets,
    );
  } catch (err) {
    if (isCodexError(err) && err.code === "INPUT_REFUSED") {
      await deps.ledger.append({
        eventType: "INPUT_REFUSED",
        level: "warn",
        actor: actorIdentity(actor),
        correlationId: randomUUID(),
        payload: { stack: stack.name, ...(err.details as object) },
      });
    }
    throw err;
  }
  const inputs = screened.inputs;
  const runId = randomUUID();
  const correlationId = randomUUID();
  req.onRunId?.(runId);
  /** A cancel asked for in this process (the signal) or in any other (state.db); checked between agents. */
  const cancelAsked = (): { by: string; via: string } | undefined => {
    if (req.signal?.aborted) {
      const reason = req.signal.reason;
      return { by: typeof reason === "string" ? reason : "an in-process caller", via: "signal" };
    }
    return deps.cancelRequest?.(runId);
  };
  const startedAt = deps.clock.now();
  const t0 = deps.clock.monotonic();
  const order = executionOrder(stack);
  const byId = new Map(stack.agents.map((a) => [a.id, a]));
  const scrub = (text: string) => scrubValues(text, deps.secrets);
  const scrubbedInputs = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, scrub(v)]));
  const ctx = { runId, correlationId, actor: actorIdentity(actor) };
  const append = (
    eventType: string,
    payload: Record<string, unknown>,
    level: "info" | "warn" | "error" = "info",
  ) =>
    deps.ledger.append({ eventType, level, actor: ctx.actor, correlationId, payload: { runId, ...payload } });

  const runPrime = req.provider ? deps.providerFor(req.provider) : undefined;
  const primeSpec = (runPrime ?? deps.hub.prime).spec;

  return runContext.run(ctx, async () => {
    await append("RUN_STARTED", {
      stack: stack.name,
      pid: process.pid,
      host: os.hostname(),
      stackFile: stack.file,
      stackHash: stack.hash,
      charterHash: deps.charter.hash,
      inputs: scrubbedInputs,
      ...(screened.redacted.length > 0 ? { inputsRedacted: screened.redacted } : {}),
      agents: order,
      providers: { prime: primeSpec, backup: deps.hub.backup?.spec ?? null },
    });
    await pausePoint("run:started");
    onProgress({ type: "started", runId, correlationId, stack: stack.name, agents: order });

    const lessons = topLessons(deps.ledger, stack.name);
    const outputs: Record<string, string> = {};
    const files: Record<string, string> = {};
    const steps: StepSummary[] = [];
    const memoryUsed = new Map<string, MemoryUse>();
    let failure: CodexError | undefined;
    let cancelled: { by: string; via: string } | undefined;

    for (const [index, agentId] of order.entries()) {
      const agent = byId.get(agentId);
      if (!agent) continue;
      cancelled ??= failure ? undefined : cancelAsked();
      if (failure || cancelled) {
        steps.push(skipped(agent.id, agent.role));
        continue;
      }
      onProgress({ type: "step", agent: agent.id, index, total: order.length, state: "running" });
      const stepStart = deps.clock.monotonic();
      const deps0 = dependenciesOf(agent);
      const upstreamIds = deps0.length > 0 ? deps0 : order.slice(0, index);
      const referenced = new Set(
        templateRefs(agent.instructions ?? "").flatMap((r) => (r.kind === "agent_output" ? [r.agent] : [])),
      );
      const draftCtx: DraftContext = {
        task: "draft",
        persona: stack.persona,
        goal: stack.goal,
        agentId: agent.id,
        role: agent.role,
        inputs,
        upstream: upstreamIds.map((id) => ({
          agent: id,
          role: byId.get(id)?.role ?? "",
          output: outputs[id] ?? "",
        })),
        lessons,
        ...(agent.output.format === "markdown" ? { requiredSections: agent.output.requiredSections } : {}),
      };
      const request = buildRequest({
        ...draftCtx,
        // The template already quotes the outputs it references; don't send them twice.
        upstream: draftCtx.upstream.filter((u) => !referenced.has(u.agent)),
      });
      if (agent.instructions) {
        const rendered = renderTemplate(agent.instructions, {
          goal: stack.goal,
          persona: stack.persona,
          inputs,
          outputs,
        });
        request.prompt = `${rendered}\n\n${request.prompt}`;
      }
      const memory = deps.recall
        ? await deps.recall([stack.goal, agent.role, ...Object.values(scrubbedInputs)].join(" "), stack.name)
        : [];
      if (memory.length > 0) {
        request.prompt += `\n\nRelevant memory from earlier runs (cite it by ledger seq when you use it):\n${memory
          .map(
            (m) =>
              `- [ledger seq ${m.seq}, ${m.kind}${m.vaultPath ? `, ${m.vaultPath}` : ""}] ${m.text.replace(/\s+/g, " ").slice(0, 400)}`,
          )
          .join("\n")}`;
        for (const m of memory) {
          const key = `${m.seq}:${m.vaultPath ?? ""}`;
          const use = memoryUsed.get(key) ?? { seq: m.seq, kind: m.kind, vaultPath: m.vaultPath, agents: [] };
          use.agents.push(agent.id);
          memoryUsed.set(key, use);
        }
      }
      request.context = draftCtx;
      if (agent.output.format === "json") {
        request.jsonSchema = { name: `${agent.id}_output`, schema: agent.output.schema };
      }

      const prime = agentPrime(agent, runPrime, deps);
      const rules = mergeGuardrails(deps.charter.guardrails, agent.guardrails);
      const file = `${agent.id}.${agent.output.format === "json" ? "json" : "md"}`;
      // Markdown outputs stream as they are produced, a line at a time through the guardrails.
      const stream =
        agent.output.format === "markdown"
          ? new GuardedStream(rules, scrub, (text) =>
              onProgress({ type: "output", agent: agent.id, file, text }),
            )
          : undefined;
      let streamEnded = false;
      /** Ends the agent's stream once; `why` says why it stopped short, when it did. */
      const endStream = (ok: boolean, why = "the rest is withheld by the charter's guardrails") => {
        if (!stream || streamEnded) return;
        streamEnded = true;
        const complete = stream.end(ok);
        onProgress({ type: "output-end", agent: agent.id, file, complete, ...(complete ? {} : { why }) });
      };
      if (stream) {
        request.onText = stream.push;
        request.onTextBroken = (reason) =>
          endStream(
            false,
            `the answer broke off (${scrub(reason)}), so this text is incomplete; ${agent.id} was asked again and the run's result has the outcome`,
          );
      }
      try {
        const result = await deps.hub.generate(request, { agent: agent.id, ...(prime ? { prime } : {}) });
        const output =
          agent.output.format === "json" ? JSON.stringify(result.json ?? null, null, 2) : result.text;
        const violations = checkGuardrails(output, rules);
        endStream(violations.length === 0);
        const ms = Math.round(deps.clock.monotonic() - stepStart);
        const step: StepSummary = {
          agent: agent.id,
          role: agent.role,
          status: "completed",
          provider: result.provider,
          model: result.model,
          attempts: result.attempts.length,
          tokens: result.tokens,
          ms,
        };
        if (violations.length > 0) {
          // The charter working, not the system failing: the run fails, the requester is told why,
          // drift counts it; only repeated blocks by one actor become a violation (guardrailBlocks.ts).
          await append(
            "GUARDRAIL_BLOCKED",
            {
              agent: agent.id,
              rule: "guardrails",
              requester: ctx.actor,
              violations: violations.map((v) => ({ ...v })),
            },
            "warn",
          );
          const names = violations.map(describeViolation).join("; ");
          failure = new CodexError(
            "GUARDRAIL_VIOLATION",
            `the charter's guardrails blocked ${agent.id}'s output (${names}), so the run failed (sealed as evidence). Inputs are echoed into outputs: rephrase the input that carries it, or ask an operator about the guardrails in ${path.basename(deps.charter.file)}`,
            { hint: `the guardrails are in ${deps.charter.file}; the agent's instructions in ${stack.file}` },
          );
          Object.assign(step, { status: "failed", error: `blocked by the guardrails (${names})` });
        }
        // What reaches the vault never carries a secret, even from a failed step.
        files[file] = scrub(redactSecrets(output, rules));
        outputs[agent.id] = files[file];
        step.file = file;
        steps.push(step);
        await pausePoint(`run:step-${index}`);
        await append(
          step.status === "completed" ? "AGENT_STEP_COMPLETED" : "AGENT_STEP_FAILED",
          {
            agent: agent.id,
            provider: step.provider,
            model: step.model,
            attempts: step.attempts,
            tokens: step.tokens,
            ms,
            chars: output.length,
            file,
          },
          step.status === "completed" ? "info" : "error",
        );
        onProgress({
          type: "step",
          agent: agent.id,
          index,
          total: order.length,
          state: step.status === "completed" ? "done" : "failed",
          provider: step.provider,
          ms,
          tokens: step.tokens,
          ...(step.error ? { error: step.error } : {}),
        });
      } catch (err) {
        endStream(false, `${agent.id} failed, so this text is incomplete; the run's result says why`);
        failure = asRunError(err);
        const attempts = attemptsOf(err);
        const ms = Math.round(deps.clock.monotonic() - stepStart);
        const last = attempts.at(-1);
        steps.push({
          agent: agent.id,
          role: agent.role,
          status: "failed",
          provider: last?.provider ?? prime?.spec ?? primeSpec,
          model: last?.model ?? "",
          attempts: attempts.length,
          tokens: sumTokens(attempts),
          ms,
          error: scrub(failure.message),
        });
        await append(
          "AGENT_STEP_FAILED",
          { agent: agent.id, code: failure.code, error: scrub(failure.message), ms },
          "error",
        );
        onProgress({
          type: "step",
          agent: agent.id,
          index,
          total: order.length,
          state: "failed",
          ms,
          error: failure.message,
        });
      }
    }

    cancelled ??= failure ? undefined : cancelAsked();
    let evaluation: Evaluation | undefined;
    if (!failure && !cancelled) {
      onProgress({ type: "evaluating" });
      try {
        evaluation = await evaluateRun(
          {
            persona: stack.persona,
            goal: stack.goal,
            outputs: order.map((id) => ({
              agent: id,
              role: byId.get(id)?.role ?? "",
              output: outputs[id] ?? "",
            })),
            spec: {
              criteria: stack.evaluator.criteria,
              threshold: effectivePassThreshold(deps.charter, stack.evaluator.passThreshold),
              checks: {
                requiredSections: stack.evaluator.checks.requiredSections,
                bannedPhrases: stack.evaluator.checks.bannedPhrases,
                ...(stack.evaluator.checks.minChars === undefined
                  ? {}
                  : { minChars: stack.evaluator.checks.minChars }),
                ...(stack.evaluator.checks.maxChars === undefined
                  ? {}
                  : { maxChars: stack.evaluator.checks.maxChars }),
              },
            },
            lessonsIn: lessons,
          },
          deps.hub,
        );
        evaluation.lessons = evaluation.lessons.map(scrub);
        await append("EVALUATION_COMPLETED", {
          score: evaluation.score,
          pass: evaluation.pass,
          threshold: evaluation.threshold,
          criteria: evaluation.criteria.map((c) => ({ id: c.id, weight: c.weight, score: c.score })),
          checksFailed: evaluation.checks.filter((c) => !c.passed).map((c) => c.id),
          judge: evaluation.judge,
        });
        onProgress({ type: "evaluated", score: evaluation.score, pass: evaluation.pass });
      } catch (err) {
        failure = asRunError(err);
        await append("EVALUATION_FAILED", { code: failure.code, error: scrub(failure.message) }, "error");
      }
    }

    const status = cancelled ? "cancelled" : failure ? "failed" : "completed";
    const finishedAt = deps.clock.now();
    if (evaluation) {
      await recordWisdom(deps, {
        runId,
        correlationId,
        actor: ctx.actor,
        stack: stack.name,
        evaluation,
        at: finishedAt,
      });
    }
    const summaryBase = {
      runId,
      correlationId,
      stack: stack.name,
      status,
      score: evaluation?.score ?? 0,
      pass: evaluation?.pass ?? false,
      steps,
      evaluation,
      lessonsApplied: lessons,
      memoryUsed: [...memoryUsed.values()],
      startedAt: utcIso(startedAt),
      finishedAt: utcIso(finishedAt),
      ms: Math.round(deps.clock.monotonic() - t0),
      ...(failure ? { error: { code: failure.code, message: scrub(failure.message) } } : {}),
      ...(cancelled ? { cancelled } : {}),
    } as const;
    // A cancelled run ends in RUN_CANCELLED (who, how, which agents never ran) and is sealed like any other.
    // RUN_CANCELLED is written as the one who cancelled; the other outcomes as the run's requester.
    const endActor = cancelled ? cancelled.by : ctx.actor;
    await deps.ledger.append({
      eventType: cancelled ? "RUN_CANCELLED" : failure ? "RUN_FAILED" : "RUN_COMPLETED",
      level: failure ? "error" : cancelled ? "warn" : "info",
      actor: endActor,
      correlationId,
      payload: {
        runId,
        status,
        score: summaryBase.score,
        pass: summaryBase.pass,
        ...(failure ? { error: summaryBase.error } : {}),
        ...(cancelled
          ? {
              cancelledBy: cancelled.by,
              via: cancelled.via,
              skipped: steps.filter((st) => st.status === "skipped").map((st) => st.agent),
            }
          : {}),
      },
    });
    onProgress({
      type: "finished",
      status,
      ...(summaryBase.error ? { error: summaryBase.error.message } : {}),
      ...(cancelled ? { cancelledBy: cancelled.by } : {}),
    });

    await pausePoint("run:completed");
    onProgress({ type: "sealing" });
    files["run.json"] = `${JSON.stringify(
      {
        runId,
        correlationId,
        stack: stack.name,
        stackFile: stack.file,
        stackHash: stack.hash,
        charterHash: deps.charter.hash,
        actor: ctx.actor,
        status,
        inputs: scrubbedInputs,
        providers: { prime: primeSpec, backup: deps.hub.backup?.spec ?? null },
        startedAtUtc: utcIso(startedAt),
        startedAtCt: chicagoIso(startedAt),
        finishedAtUtc: utcIso(finishedAt),
        finishedAtCt: chicagoIso(finishedAt),
        ms: summaryBase.ms,
        tokens: sumTokens(steps),
        steps,
        lessonsApplied: lessons,
        memoryUsed: summaryBase.memoryUsed,
        ...(summaryBase.error ? { error: summaryBase.error } : {}),
        ...(cancelled ? { cancelled } : {}),
      },
      null,
      2,
    )}\n`;
    if (evaluation) files["codex_evaluation.json"] = `${JSON.stringify(evaluation, null, 2)}\n`;
    files["codex_digest_report.md"] = scrub(
      digestReport({ ...summaryBase, stackGoal: stack.goal, finishedAt }),
    );

    const checkpoint = deps.ledger.checkpoint();
    let sealed: SealedRun;
    try {
      sealed = await deps.vault.sealRun({
        runId,
        stack: stack.name,
        startedAt,
        files,
        ledger: {
          size: checkpoint.size,
          head: deps.ledger.head().hash,
          root: checkpoint.root,
          checkpoint: checkpoint.note,
        },
      });
    } catch (err) {
      // Never left in limbo: a run whose seal failed is settled here, with the cause.
      const e = asRunError(err);
      await append("RUN_ABORTED", { reason: `its seal failed: ${scrub(e.message)}`, code: e.code }, "error");
      throw err;
    }
    await append("RUN_SEALED", {
      vaultPath: sealed.relPath,
      commit: sealed.commit,
      sealRoot: sealed.seal.root,
      files: sealed.seal.files.length,
      pushed: sealed.pushed,
      checkpointSize: checkpoint.size,
    });
    await pausePoint("run:sealed");
    // Attest the entries written after the sealed checkpoint too (RUN_SEALED among them), and stage that
    // checkpoint in the vault: the next commit (the next run's seal, or the next heartbeat) carries it.
    const final = deps.ledger.checkpoint();
    deps.onCheckpoint?.(final);
    await deps.vault.stageFiles({ [VAULT_CHECKPOINT_FILE]: final.note });
    onProgress({ type: "sealed", path: sealed.dir, commit: sealed.commit });

    const head = deps.ledger.head();
    return {
      ...summaryBase,
      vault: { path: sealed.dir, commit: sealed.commit, pushed: sealed.pushed },
      seal: { root: sealed.seal.root },
      ledger: { size: deps.ledger.size(), head: head.hash },
    };
  });
}

/** One guardrail hit in words a requester can act on; secrets and PII are never quoted. */
function describeViolation(v: { kind: string; name: string; excerpt: string }): string {
  switch (v.kind) {
    case "blocked_term":
      return `blocked term "${v.name}"`;
    case "length":
      return `too long: ${v.excerpt}`;
    default:
      return `${v.kind === "pii" ? "personal data" : "a credential"} (${v.name})`;
  }
}

function agentPrime(
  agent: Stack["agents"][number],
  runPrime: Provider | undefined,
  deps: RunDeps,
): Provider | undefined {
  if (agent.provider) {
    const spec =
      agent.model && agent.provider !== "offline"
        ? `${agent.provider.split(":")[0]}:${agent.model}`
        : agent.provider;
    return deps.providerFor(spec);
  }
  const base = runPrime ?? deps.hub.prime;
  if (agent.model && base.kind !== "offline") return deps.providerFor(`${base.kind}:${agent.model}`);
  return runPrime;
}

function skipped(agent: string, role: string): StepSummary {
  return {
    agent,
    role,
    status: "skipped",
    provider: "",
    model: "",
    attempts: 0,
    tokens: { input: 0, output: 0 },
    ms: 0,
  };
}

function sumTokens(items: readonly { tokens: { input: number; output: number } }[]): {
  input: number;
  output: number;
} {
  return items.reduce(
    (acc, i) => ({ input: acc.input + i.tokens.input, output: acc.output + i.tokens.output }),
    {
      input: 0,
      output: 0,
    },
  );
}

function attemptsOf(err: unknown): AttemptRecord[] {
  if (!isCodexError(err)) return [];
  const details = err.details as { attempts?: AttemptRecord[] } | undefined;
  return Array.isArray(details?.attempts) ? details.attempts : [];
}

function asRunError(err: unknown): CodexError {
  if (isCodexError(err)) return err;
  return new CodexError(
    "RUN_FAILED",
    `the run stopped on an unexpected error: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
    },
  );
}
