import path from "node:path";
import type { AttemptRecord } from "../agents/AttemptRecord.ts";
import { buildRequest } from "../agents/buildRequest.ts";
import type { DraftContext, Provider } from "../agents/Provider.ts";
import { CodexError, isCodexError } from "../core/CodexError.ts";
import { pausePoint } from "../core/pausePoint.ts";
import { checkGuardrails, mergeGuardrails, redactSecrets } from "../governance/guardrails.ts";
import { dependenciesOf, renderTemplate, type Stack, templateRefs } from "../stacks/index.ts";
import { GuardedStream } from "./GuardedStream.ts";
import { asRunError, type RunScope, sumTokens } from "./runScope.ts";
import type { MemoryUse, StepSummary } from "./runTypes.ts";

type Agent = Stack["agents"][number];

/** What the steps so far produced; each step reads its upstream outputs here and adds its own. */
export interface RunOutputs {
  /** Each agent's output (scrubbed), by agent id. */
  outputs: Record<string, string>;
  /** The run folder's files so far, by name. */
  files: Record<string, string>;
  /** The memory put in the agents' prompts, by `seq:vaultPath`. */
  memoryUsed: Map<string, MemoryUse>;
  /** Each step's summary, in execution order. */
  steps: StepSummary[];
}

/**
 * One agent step: its prompt (the instructions, upstream outputs, lessons, relevant memory), the call
 * through the Agent Hub, the guardrails on its output (streamed a line at a time when markdown), its
 * file, and its ledger entry and progress events.
 */
export async function runStep(
  scope: RunScope,
  produced: RunOutputs,
  agent: Agent,
  index: number,
): Promise<{ failure?: CodexError }> {
  const { deps, stack, order, byId, inputs, scrub, append, onProgress } = scope;
  const { outputs, files } = produced;
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
    lessons: scope.lessons,
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
    ? await deps.recall(
        [stack.goal, agent.role, ...Object.values(scope.scrubbedInputs)].join(" "),
        stack.name,
      )
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
      const use = produced.memoryUsed.get(key) ?? {
        seq: m.seq,
        kind: m.kind,
        vaultPath: m.vaultPath,
        agents: [],
      };
      use.agents.push(agent.id);
      produced.memoryUsed.set(key, use);
    }
  }
  request.context = draftCtx;
  if (agent.output.format === "json") {
    request.jsonSchema = { name: `${agent.id}_output`, schema: agent.output.schema };
  }

  const prime = agentPrime(agent, scope);
  const rules = mergeGuardrails(deps.charter.guardrails, agent.guardrails);
  const file = `${agent.id}.${agent.output.format === "json" ? "json" : "md"}`;
  // Markdown outputs stream as they are produced, a line at a time through the guardrails.
  const stream =
    agent.output.format === "markdown"
      ? new GuardedStream(rules, scrub, (text) => onProgress({ type: "output", agent: agent.id, file, text }))
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
    let failure: CodexError | undefined;
    if (violations.length > 0) {
      // The charter working, not the system failing: the run fails, the requester is told why,
      // drift counts it; only repeated blocks by one actor become a violation (guardrailBlocks.ts).
      await append(
        "GUARDRAIL_BLOCKED",
        {
          agent: agent.id,
          rule: "guardrails",
          requester: scope.actor,
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
    produced.steps.push(step);
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
    return failure ? { failure } : {};
  } catch (err) {
    endStream(false, `${agent.id} failed, so this text is incomplete; the run's result says why`);
    const failure = asRunError(err);
    const attempts = attemptsOf(err);
    const ms = Math.round(deps.clock.monotonic() - stepStart);
    const last = attempts.at(-1);
    produced.steps.push({
      agent: agent.id,
      role: agent.role,
      status: "failed",
      provider: last?.provider ?? prime?.spec ?? scope.primeSpec,
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
    return { failure };
  }
}

/** A step that never ran (an earlier one failed, or the run was cancelled). */
export function skippedStep(agent: Agent): StepSummary {
  return {
    agent: agent.id,
    role: agent.role,
    status: "skipped",
    provider: "",
    model: "",
    attempts: 0,
    tokens: { input: 0, output: 0 },
    ms: 0,
  };
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

/** The agent's own provider or model, else the run's `--provider`, else the hub's prime (undefined). */
function agentPrime(agent: Agent, scope: RunScope): Provider | undefined {
  const { deps, runPrime } = scope;
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

function attemptsOf(err: unknown): AttemptRecord[] {
  if (!isCodexError(err)) return [];
  const details = err.details as { attempts?: AttemptRecord[] } | undefined;
  return Array.isArray(details?.attempts) ? details.attempts : [];
}
