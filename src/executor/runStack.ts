import { randomUUID } from "node:crypto";
import os from "node:os";
import { actorIdentity } from "../core/Actor.ts";
import { type CodexError, isCodexError } from "../core/CodexError.ts";
import { pausePoint } from "../core/pausePoint.ts";
import { runContext } from "../core/runContext.ts";
import { scrubValues } from "../core/scrubValues.ts";
import { utcIso } from "../core/timestamps.ts";
import { type Evaluation, evaluateRun } from "../evaluator/evaluateRun.ts";
import { evaluationSpec } from "../evaluator/evaluationSpec.ts";
import { screenInputs } from "../governance/screenInputs.ts";
import { executionOrder, resolveInputs } from "../stacks/index.ts";
import type { ProgressListener } from "./RunProgress.ts";
import { asRunError, type RunScope } from "./runScope.ts";
import { type RunOutputs, runStep, skippedStep } from "./runStep.ts";
import type { RunDeps, RunRequest, RunSummary } from "./runTypes.ts";
import { type RunOutcome, sealRunFolder } from "./sealRunFolder.ts";
import { recordWisdom, topLessons } from "./wisdom.ts";

export type { MemoryUse, RunDeps, RunRequest, RunSummary, StepSummary } from "./runTypes.ts";

/**
 * Runs one stack under the charter: agents in dependency order (runStep), guardrails on every output,
 * the evaluator, the wisdom log, then the sealed vault commit (sealRunFolder). Every step is a ledger
 * entry threaded by the run's correlation id; a failed run is sealed too, because failures are evidence.
 */
export async function runStack(
  req: RunRequest,
  deps: RunDeps,
  onProgress: ProgressListener = () => {},
): Promise<RunSummary> {
  const { stack, actor } = req;
  const screened = await screenRunInputs(req, deps);
  const inputs = screened.inputs;
  // Inputs a run queue redacted before storing the job are named as if redacted here.
  const redacted = [...(req.inputsRedacted ?? []), ...screened.redacted];
  const runId = req.runId ?? randomUUID();
  const correlationId = randomUUID();
  req.onRunId?.(runId);
  /** A cancel asked for in this process (the signal) or in any other (state.db); checked between agents. */
  const cancelAsked = async (): Promise<{ by: string; via: string } | undefined> => {
    if (req.signal?.aborted) {
      const reason = req.signal.reason;
      return { by: typeof reason === "string" ? reason : "an in-process caller", via: "signal" };
    }
    return deps.cancelRequest?.(runId);
  };
  const startedAt = deps.clock.now();
  const t0 = deps.clock.monotonic();
  const order = executionOrder(stack);
  const scrub = (text: string) => scrubValues(text, deps.secrets);
  const ctx = { runId, correlationId, actor: actorIdentity(actor) };
  const runPrime = req.provider ? deps.providerFor(req.provider) : undefined;
  const scope: RunScope = {
    deps,
    stack,
    runId,
    correlationId,
    actor: ctx.actor,
    inputs,
    scrubbedInputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, scrub(v)])),
    order,
    byId: new Map(stack.agents.map((a) => [a.id, a])),
    lessons: [],
    runPrime,
    primeSpec: (runPrime ?? deps.hub.prime).spec,
    scrub,
    append: (eventType, payload, level = "info") =>
      // The scope's signature checks each caller's payload against the catalogue; TypeScript cannot
      // follow the generic spread of runId back into LedgerEvents[T], hence the one widening here.
      deps.ledger.append({
        eventType: eventType as string,
        level,
        actor: ctx.actor,
        correlationId,
        payload: { runId, ...payload },
      }),
    onProgress,
  };

  return runContext.run(ctx, async () => {
    await scope.append("RUN_STARTED", {
      stack: stack.name,
      pid: process.pid,
      host: os.hostname(),
      stackFile: stack.file,
      stackHash: stack.hash,
      charterHash: deps.charter.hash,
      inputs: scope.scrubbedInputs,
      ...(redacted.length > 0 ? { inputsRedacted: redacted } : {}),
      agents: order,
      providers: { prime: scope.primeSpec, backup: deps.hub.backup?.spec ?? null },
    });
    await pausePoint("run:started");
    onProgress({ type: "started", runId, correlationId, stack: stack.name, agents: order });

    scope.lessons = topLessons(deps.ledger, stack.name);
    const produced: RunOutputs = { outputs: {}, files: {}, memoryUsed: new Map(), steps: [] };
    const { steps } = produced;
    let failure: CodexError | undefined;
    let cancelled: { by: string; via: string } | undefined;

    for (const [index, agentId] of order.entries()) {
      const agent = scope.byId.get(agentId);
      if (!agent) continue;
      cancelled ??= failure ? undefined : await cancelAsked();
      if (failure || cancelled) {
        steps.push(skippedStep(agent));
        continue;
      }
      ({ failure } = await runStep(scope, produced, agent, index));
    }

    cancelled ??= failure ? undefined : await cancelAsked();
    let evaluation: Evaluation | undefined;
    if (!failure && !cancelled) ({ evaluation, failure } = await evaluate(scope, produced.outputs));

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
    const outcome: RunOutcome = {
      runId,
      correlationId,
      stack: stack.name,
      status,
      score: evaluation?.score ?? 0,
      pass: evaluation?.pass ?? false,
      steps,
      evaluation,
      lessonsApplied: scope.lessons,
      memoryUsed: [...produced.memoryUsed.values()],
      startedAt: utcIso(startedAt),
      finishedAt: utcIso(finishedAt),
      ms: Math.round(deps.clock.monotonic() - t0),
      ...(failure ? { error: { code: failure.code, message: scrub(failure.message) } } : {}),
      ...(cancelled ? { cancelled } : {}),
    };
    await recordRunEnd(scope, outcome, failure);

    await pausePoint("run:completed");
    const sealed = await sealRunFolder(scope, { outcome, files: produced.files, startedAt, finishedAt });
    const head = deps.ledger.head();
    return {
      ...outcome,
      vault: { path: sealed.dir, commit: sealed.commit, pushed: sealed.pushed },
      seal: { root: sealed.seal.root },
      ledger: { size: deps.ledger.size(), head: head.hash },
    };
  });
}

/**
 * The run's inputs with their defaults, screened: a credential typed as an input is refused (or
 * redacted, per charter) before anything is written; the refusal (INPUT_REFUSED) names the inputs and
 * patterns, never the value.
 */
async function screenRunInputs(req: RunRequest, deps: RunDeps): Promise<ReturnType<typeof screenInputs>> {
  const { stack } = req;
  try {
    return screenInputs(
      resolveInputs(stack, req.inputs),
      { ...deps.charter.guardrails, file: deps.charter.file },
      deps.secrets,
    );
  } catch (err) {
    if (isCodexError(err) && err.code === "INPUT_REFUSED") {
      await deps.ledger.append({
        eventType: "INPUT_REFUSED",
        level: "warn",
        actor: actorIdentity(req.actor),
        correlationId: randomUUID(),
        // screenInputs refuses with details { inputs: [{ input, patterns }] }.
        payload: {
          stack: stack.name,
          ...(err.details as { inputs: { input: string; patterns: string[] }[] }),
        },
      });
    }
    throw err;
  }
}

/** The evaluator on the whole deliverable (EVALUATION_COMPLETED), or why it could not score it. */
async function evaluate(
  scope: RunScope,
  outputs: Record<string, string>,
): Promise<{ evaluation?: Evaluation; failure?: CodexError }> {
  const { deps, stack, scrub, append, onProgress } = scope;
  onProgress({ type: "evaluating" });
  try {
    const evaluation = await evaluateRun(
      {
        persona: stack.persona,
        goal: stack.goal,
        outputs: scope.order.map((id) => ({
          agent: id,
          role: scope.byId.get(id)?.role ?? "",
          output: outputs[id] ?? "",
        })),
        spec: evaluationSpec(stack.evaluator, deps.charter),
        lessonsIn: scope.lessons,
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
    return { evaluation };
  } catch (err) {
    const failure = asRunError(err);
    await append("EVALUATION_FAILED", { code: failure.code, error: scrub(failure.message) }, "error");
    return { failure };
  }
}

/**
 * RUN_COMPLETED, RUN_FAILED or RUN_CANCELLED, then the "finished" progress event. A cancelled run's
 * entry (who, how, which agents never ran) is written as the one who cancelled; the others as the
 * run's requester. Sealing follows either way.
 */
async function recordRunEnd(
  scope: RunScope,
  outcome: RunOutcome,
  failure: CodexError | undefined,
): Promise<void> {
  const { ledger } = scope.deps;
  const { cancelled } = outcome;
  const base = { runId: scope.runId, score: outcome.score, pass: outcome.pass };
  const error = failure ? { error: { code: failure.code, message: scope.scrub(failure.message) } } : {};
  const level = failure ? "error" : cancelled ? "warn" : "info";
  const end = {
    level,
    actor: cancelled ? cancelled.by : scope.actor,
    correlationId: scope.correlationId,
  } as const;
  if (cancelled) {
    await ledger.append({
      ...end,
      eventType: "RUN_CANCELLED",
      payload: {
        ...base,
        status: "cancelled",
        ...error,
        cancelledBy: cancelled.by,
        via: cancelled.via,
        skipped: outcome.steps.filter((st) => st.status === "skipped").map((st) => st.agent),
      },
    });
  } else if (failure) {
    await ledger.append({
      ...end,
      eventType: "RUN_FAILED",
      payload: { ...base, status: "failed", ...error },
    });
  } else {
    await ledger.append({ ...end, eventType: "RUN_COMPLETED", payload: { ...base, status: "completed" } });
  }
  scope.onProgress({
    type: "finished",
    status: outcome.status,
    ...(outcome.error ? { error: outcome.error.message } : {}),
    ...(cancelled ? { cancelledBy: cancelled.by } : {}),
  });
}
