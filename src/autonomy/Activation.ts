import { randomUUID } from "node:crypto";
import { type Actor, actorIdentity } from "../core/Actor.ts";
import { personName } from "../core/personName.ts";
import type { Reply } from "../core/Reply.ts";
import { chicagoIso, compactUtc, utcIso } from "../core/timestamps.ts";
import { payloadOf, type ActivationRecord as RecordedActivation } from "../ledger/events.ts";
import { evidenceRecords } from "../relays/evidenceRecord.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";
import type { AutonomyKernel, HeartbeatResult } from "./AutonomyKernel.ts";
import { corePack, secretsLoaded, signalsNote } from "./activationChecks.ts";

export interface ActivationStep {
  n: number;
  name: string;
  ok: boolean;
  detail: string;
}

export interface ChecklistItem {
  item: string;
  ok: boolean;
  detail: string;
}

/** The activation log record (the seed's layer 8). */
export interface ActivationRecord {
  run_id: string;
  correlation_id: string;
  environment: string;
  seal_version: string | null;
  evidence_links: { ledger: number[]; vault?: string; slack?: string };
  governance_status: string;
  /** Empty when no heartbeat could be written (the shape the ledger catalogue records). */
  telemetry_summary: RecordedActivation["telemetry_summary"];
  autonomy_loop: { running: boolean; where: string; verified_at: string };
  actor: string;
  roles: string[];
  started_at: string;
  steps: ActivationStep[];
  checklist: ChecklistItem[];
}

export interface ActivationResult {
  status: "ACTIVE" | "NOT ACTIVE";
  runId: string;
  correlationId: string;
  steps: ActivationStep[];
  checklist: ChecklistItem[];
  record: ActivationRecord;
  recordFile: string;
  recordCommit: string | null;
  seq: number;
}

/** What activation reads beside the kernel. */
export type ActivationDeps = Pick<
  AutonomyDeps,
  "env" | "clock" | "stacksDir" | "charter" | "state" | "ledger" | "ledgerKey" | "vault" | "hub"
>;

/**
 * The seed's MVP activation checklist, in its order: each check's name and the item it reports.
 * Activation records the checks in this order (the vault record is written before `record`).
 */
export const CHECKS = {
  corePack: "Core Pack v1 installed",
  secrets: "Secrets loaded",
  mcp: "MCP online",
  heartbeat: "Heartbeat emitted",
  agents: "Agents activated",
  loop: "Autonomy loop running",
  telemetry: "Telemetry emitting",
  ledger: "Ledger writing",
  drift: "Drift < 10",
  governance: "Governance enforced",
  seal: "Seal created",
  evidence: "Evidence logged",
  record: "Activation log stored",
} as const;

export type CheckName = keyof typeof CHECKS;

/** The checklist's items, in order. */
export const CHECKLIST = Object.values(CHECKS);

/**
 * `/codex activate`: the seed's canonical boot order (core pack, secrets, relay server, heartbeat,
 * agents, autonomy loop, report), then its 13-item checklist. The system is ACTIVE only when every
 * item passes; each item says why it passed or failed. The activation record is committed to the
 * vault and written to the ledger either way.
 */
export async function activate(
  app: ActivationDeps,
  kernel: AutonomyKernel,
  actor: Actor,
  roles: string[],
): Promise<ActivationResult> {
  const runId = randomUUID();
  const correlationId = randomUUID();
  const ledger = app.ledger();
  const startedAt = app.clock.now();
  const started = await kernel.publisher.publish(
    {
      kind: "activation",
      title: "MAOS activation started",
      reply: {
        summary: "MAOS activation started",
        parts: [
          { kind: "header", text: "⚙️ MAOS activation started" },
          { kind: "context", text: `run ${runId} · by ${personName(actor)} · ${chicagoIso(startedAt)}` },
        ],
      },
      markdown: `# MAOS activation started\n\nRun \`${runId}\` by ${actorIdentity(actor)} at ${chicagoIso(startedAt)}.\n`,
      correlationId,
      governanceStatus: (await kernel.srr()).state,
      occurredAt: startedAt,
      channel: "evidence",
    },
    {
      eventType: "ACTIVATION_STARTED",
      level: "info",
      actor: actorIdentity(actor),
      correlationId,
      payload: { runId, roles, mode: kernel.host.mode },
    },
  );

  const steps: ActivationStep[] = [];
  const step = (name: string, ok: boolean, detail: string): ActivationStep => {
    const done = { n: steps.length + 1, name, ok, detail };
    steps.push(done);
    return done;
  };

  // 1. The core pack.
  const core = await corePack(app);
  step("Verify the core pack", core.ok, core.detail);

  // 2. Secrets.
  const secrets = secretsLoaded(app);
  step("Load secrets", secrets.ok, secrets.detail);

  // 3. The relay server.
  let relay = await kernel.probeRelay();
  if (!relay.online && kernel.host.startRelay) {
    try {
      const { port } = await kernel.host.startRelay();
      const probed = await kernel.probeRelay();
      relay = {
        ...probed,
        detail: `started by activation in this process on port ${port}; ${probed.detail}`,
      };
    } catch (err) {
      relay = {
        online: false,
        uptimeSeconds: null,
        detail: `could not start: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }
  step("Relay server online", relay.online, relay.detail);

  // 4. A heartbeat.
  let beat: HeartbeatResult | undefined;
  try {
    beat = await kernel.heartbeat("activation");
    step(
      "Emit a heartbeat",
      true,
      `ledger seq ${beat.seq}, drift ${beat.drift.score} (${beat.drift.band})${beat.incident ? `; it tripped STOP–RESET–REALIGN (${beat.incident})` : ""}`,
    );
  } catch (err) {
    step("Emit a heartbeat", false, err instanceof Error ? err.message : String(err));
  }

  // 5. Agents.
  const probes = await app.hub().probe();
  const agentsOk = probes.every((p) => p.ok);
  const activation = await ledger.append({
    eventType: "AGENT_ACTIVATION",
    level: agentsOk ? "info" : "warn",
    actor: actorIdentity(actor),
    correlationId,
    payload: {
      providers: probes,
      governanceHooks: "charter guardrails check every agent output before it is sealed",
    },
  });
  const agentsStep = step(
    "Activate agents",
    agentsOk,
    `${probes.map((p) => `${p.provider} ${p.ok ? "answered its probe" : `did not answer (${p.error})`}`).join("; ")} (ledger seq ${activation.seq})`,
  );

  // 6. The autonomy loop.
  // Step 4 has just emitted a heartbeat: the loop's first scheduled one follows an interval later.
  const startedHere = await kernel.startLoop({ beatNow: beat === undefined });
  const loop = await kernel.loopStatus();
  const loopStep = step(
    "Start the autonomy loop",
    loop.running,
    loop.running
      ? `${startedHere && loop.where === "this process" ? "running in this process" : `running in ${loop.where}`}, a heartbeat every ${loop.intervalSeconds} s${loop.nextHeartbeatAt ? `, next at ${loop.nextHeartbeatAt}` : ""}`
      : loop.where,
  );

  // 7. Report: the checklist.
  const charter = app.charter();
  const checklist: ChecklistItem[] = [];
  const check = (name: CheckName, ok: boolean, detail: string) => {
    checklist.push({ item: CHECKS[name], ok, detail });
  };
  check("corePack", core.ok, core.detail);
  check("secrets", secrets.ok, secrets.detail);
  check("mcp", relay.online, relay.detail);
  check(
    "heartbeat",
    beat !== undefined,
    beat ? `heartbeat at ledger seq ${beat.seq}` : "no heartbeat could be written",
  );
  check("agents", agentsOk, agentsStep.detail);
  check("loop", loop.running, loopStep.detail);
  const metricsText = await kernel.metrics.text();
  const faults = beat?.signals.faults ?? ["no heartbeat"];
  check(
    "telemetry",
    beat !== undefined && faults.length === 0 && metricsText.includes("maos_drift_score"),
    faults.length === 0
      ? "every signal measured; /metrics, /status and the heartbeat ledger entry carry them"
      : `faults: ${faults.join("; ")}`,
  );
  const ledgerOk = beat?.signals.ledger.ok === true;
  check(
    "ledger",
    ledgerOk,
    ledgerOk
      ? `appends at seq ${started.seq}…${activation.seq}; the chain verifies (${beat?.signals.ledger.size} entries, ${beat?.signals.ledger.checkpoints} checkpoints)`
      : `the ledger fails verification${beat?.signals.ledger.firstBad ? ` at seq ${beat.signals.ledger.firstBad.seq}` : ""}`,
  );
  const greenMax = charter.drift.bands.greenMax;
  check(
    "drift",
    beat !== undefined && beat.drift.score < greenMax,
    beat ? `drift ${beat.drift.score} (must be under ${greenMax})` : "no heartbeat, no drift score",
  );
  const governance = await kernel.governanceCheck();
  check("governance", governance.ok, governance.detail);
  const seal = await kernel.seals.latest();
  check(
    "seal",
    seal !== undefined,
    seal
      ? `MVP_${seal.version} sealed ${seal.sealedAt} (vault commit ${seal.commit.slice(0, 12)})`
      : `no MVP seal yet: after ${3} green heartbeats run /codex seal v0, then activate again`,
  );
  // Delivered to Slack if it already was; else queued in the evidence outbox; else only noted. The
  // ACTIVATION_STARTED entry records which, having been written with the evidence.
  const posted = ledger
    .byCorrelation(correlationId)
    .find(
      (e) =>
        e.eventType === "EVIDENCE_POSTED" &&
        payloadOf(e, "EVIDENCE_POSTED").ledgerSeq === started.seq &&
        (payloadOf(e, "EVIDENCE_POSTED").sink ?? "slack") === "slack",
    );
  const recorded = evidenceRecords(started)[0];
  const evidenceWhere = posted
    ? `activation start posted to Slack ${String(payloadOf(posted, "EVIDENCE_POSTED").channel)} (ts ${String(payloadOf(posted, "EVIDENCE_POSTED").ts)}), ledger seq ${posted.seq}`
    : recorded && recorded.sinks.length > 0
      ? `activation start queued in the evidence outbox for ${recorded.sinks.join(", ")} (ledger seq ${started.seq}; delivered with retries, see /codex status)`
      : recorded
        ? `activation start noted in the ledger (seq ${started.seq}): ${recorded.reason ?? ""}`
        : `the activation-start entry (seq ${started.seq}) records no evidence: the configured publisher did not record it`;
  check(
    "evidence",
    posted !== undefined || recorded !== undefined,
    `${evidenceWhere}${await signalsNote(app)}`,
  );

  const recordFile = `activations/${compactUtc(startedAt)}-${runId.slice(0, 8)}.json`;
  const record: ActivationRecord = {
    run_id: runId,
    correlation_id: correlationId,
    environment: ledger.environment,
    seal_version: seal ? `MVP_${seal.version}` : null,
    evidence_links: {
      ledger: [started.seq, ...(beat ? [beat.seq] : []), activation.seq, ...(posted ? [posted.seq] : [])],
      vault: recordFile,
      ...(posted
        ? {
            slack: `${String(payloadOf(posted, "EVIDENCE_POSTED").channel)}/${String(payloadOf(posted, "EVIDENCE_POSTED").ts)}`,
          }
        : {}),
    },
    governance_status: governance.ok ? "enforced" : `not enforced: ${governance.detail}`,
    telemetry_summary: beat
      ? {
          drift: beat.drift.score,
          band: beat.drift.band,
          load: beat.signals.load.index,
          agents: beat.signals.agents.status,
          ledger: beat.signals.ledger.ok ? "verifies" : "broken",
          sealAligned: beat.signals.sealAlignment.aligned,
          relay: beat.signals.relay.online ? "online" : "offline",
          faults: beat.signals.faults,
        }
      : {},
    autonomy_loop: { running: loop.running, where: loop.where, verified_at: utcIso(app.clock.now()) },
    actor: actorIdentity(actor),
    roles,
    started_at: utcIso(startedAt),
    steps,
    checklist: [...checklist],
  };
  let recordCommit: string | null = null;
  try {
    recordCommit = await (await app.vault()).commitFiles(
      { [recordFile]: `${JSON.stringify(record, null, 2)}\n` },
      `Activation ${runId.slice(0, 8)}: ${checklist.every((c) => c.ok) ? "all checks so far pass" : "checks failing"}`,
    );
    check(
      "record",
      true,
      `${recordFile} committed to the vault (${recordCommit.slice(0, 12)}) and written to the ledger`,
    );
  } catch (err) {
    check(
      "record",
      false,
      `the record could not be committed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  step("Report", true, `${checklist.filter((c) => c.ok).length} of ${checklist.length} checks pass`);

  const status = checklist.every((c) => c.ok) ? "ACTIVE" : "NOT ACTIVE";
  // The evidence is written with ACTIVATION_COMPLETED, so it cannot quote that entry's seq; sinks show it.
  const outcome: Omit<ActivationResult, "seq"> = {
    status,
    runId,
    correlationId,
    steps,
    checklist,
    record: { ...record, checklist },
    recordFile,
    recordCommit,
  };
  const completed = await kernel.publisher.publish(
    {
      kind: "activation",
      title:
        status === "ACTIVE" ? "MAOS activation succeeded: ACTIVE" : "MAOS activation finished: NOT ACTIVE",
      reply: activationReply(outcome),
      markdown: activationMarkdown(outcome),
      correlationId,
      ...(seal ? { sealVersion: `MVP_${seal.version}` } : {}),
      ...(beat ? { drift: beat.drift.score } : {}),
      governanceStatus: record.governance_status,
      ...(recordCommit ? { vaultCommit: recordCommit } : {}),
      occurredAt: app.clock.now(),
      channel: "evidence",
    },
    {
      eventType: "ACTIVATION_COMPLETED",
      level: status === "ACTIVE" ? "info" : "warn",
      actor: actorIdentity(actor),
      correlationId,
      ...(seal ? { sealVersion: `MVP_${seal.version}` } : {}),
      payload: { status, roles, record: { ...record, checklist }, recordCommit },
    },
  );
  return { ...outcome, seq: completed.seq };
}

/** The activation as a Reply; `seq` (ACTIVATION_COMPLETED) is quoted once it is known. */
export function activationReply(r: Omit<ActivationResult, "seq"> & { seq?: number }): Reply {
  const active = r.status === "ACTIVE";
  return {
    summary: `activation: ${r.status} (${r.checklist.filter((c) => c.ok).length}/${r.checklist.length} checks pass)`,
    ...(active ? {} : { isError: true }),
    parts: [
      { kind: "header", text: `MAOS activation: ${r.status}` },
      {
        kind: "text",
        text: `*Boot order*\n${r.steps.map((s) => `${s.ok ? "✅" : "❌"} ${s.n}. ${s.name}: ${s.detail}`).join("\n")}`,
      },
      {
        kind: "text",
        text: `*MVP activation checklist*\n${r.checklist.map((c) => `${c.ok ? "✅" : "❌"} ${c.item}: ${c.detail}`).join("\n")}`,
      },
      {
        kind: "context",
        text: `run ${r.runId} · correlation ${r.correlationId} · record ${r.recordFile}${r.recordCommit ? ` (commit ${r.recordCommit.slice(0, 12)})` : ""}${r.seq === undefined ? "" : ` · ledger seq ${r.seq}`}`,
      },
    ],
  };
}

function activationMarkdown(r: Omit<ActivationResult, "seq">): string {
  return `# MAOS activation: ${r.status}

Run \`${r.runId}\`, correlation \`${r.correlationId}\`, environment ${r.record.environment}, seal ${r.record.seal_version ?? "none"}.

## Boot order

${r.steps.map((s) => `${s.n}. ${s.ok ? "✅" : "❌"} ${s.name}: ${s.detail}`).join("\n")}

## MVP activation checklist

${r.checklist.map((c) => `- ${c.ok ? "✅" : "❌"} ${c.item}: ${c.detail}`).join("\n")}

Governance: ${r.record.governance_status}. Autonomy loop: ${r.record.autonomy_loop.running ? "running" : "not running"} (${r.record.autonomy_loop.where}).
Ledger links: ${r.record.evidence_links.ledger.join(", ")}. Vault: ${r.recordFile}.
`;
}
