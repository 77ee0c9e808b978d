import { randomUUID } from "node:crypto";
import { type Actor, actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import { CodexError } from "../core/CodexError.ts";
import { personName } from "../core/personName.ts";
import { chicagoIso, utcIso } from "../core/timestamps.ts";
import type { SrrTrigger } from "../governance/charter.ts";
import type { EvidencePublisher } from "../relays/EvidencePublisher.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";
import type { AutonomyMetrics } from "./AutonomyMetrics.ts";
import { configHashes } from "./configHashes.ts";
import type { DriftResult } from "./drift.ts";
import { link } from "./entryFields.ts";
import type { IncidentService, IncidentView } from "./IncidentService.ts";
import {
  haltSummary,
  INITIAL_SRR,
  type PendingHalt,
  resumeBlockers,
  resumePrecheck,
  type SrrEffect,
  type SrrEvent,
  type SrrRecord,
  srrStep,
  type TriggerHit,
} from "./stopResetRealign.ts";
import type { TelemetryReading } from "./Telemetry.ts";

const SRR_KEY = "srr";

export interface SrrContext {
  deps: Pick<AutonomyDeps, "env" | "stacksDir" | "clock" | "log" | "state" | "ledger">;
  metrics: AutonomyMetrics;
  incidents: IncidentService;
  publisher: () => EvidencePublisher;
  loopCorrelation: string;
  /** Measures the signals without writing a heartbeat. */
  measure: () => Promise<TelemetryReading>;
}

/**
 * STOP–RESET–REALIGN's I/O: reads the state machine's record from state.db, steps it
 * (stopResetRealign.ts), writes it back and carries out its effects (ledger entries, incidents,
 * metrics). The callers serialise these with the heartbeat cycles.
 */
export class SrrActions {
  readonly #ctx: SrrContext;

  constructor(ctx: SrrContext) {
    this.#ctx = ctx;
  }

  async read(): Promise<SrrRecord> {
    return (await this.#ctx.deps.state().getValue<SrrRecord>(SRR_KEY)) ?? { ...INITIAL_SRR };
  }

  async #step(event: SrrEvent): Promise<SrrEffect[]> {
    const { state, effects } = srrStep(await this.read(), event);
    await this.#write(state);
    return effects;
  }

  async #write(state: SrrRecord): Promise<void> {
    await this.#ctx.deps.state().setValue(SRR_KEY, state satisfies SrrRecord);
  }

  async #openCount(): Promise<number> {
    return (await this.#ctx.deps.state().listIncidents({ status: "open" })).length;
  }

  /** After a heartbeat with these hits: halt, record a halt that waited, or check the frozen configs. */
  async afterHeartbeat(
    hits: TriggerHit[],
    drift: DriftResult,
    haltOn: readonly SrrTrigger[],
  ): Promise<IncidentView | undefined> {
    const [effect] = srrStep(await this.read(), { type: "heartbeat", hits, haltOn }).effects;
    if (effect?.type === "halt") return this.halt(effect.hits, SYSTEM_ACTOR, drift);
    if (effect?.type === "recordHalt") return this.#recordHalt(effect.pending, effect.late);
    if (effect?.type === "checkFrozen") return this.checkFrozen();
    return undefined;
  }

  /** The heartbeat could not be written: these hits halt a RUNNING loop when the charter says so. */
  async afterUnwritable(
    hits: TriggerHit[],
    drift: DriftResult,
    haltOn: readonly SrrTrigger[],
  ): Promise<void> {
    const [effect] = srrStep(await this.read(), { type: "unwritable", hits, haltOn }).effects;
    if (effect?.type === "halt") await this.halt(effect.hits, SYSTEM_ACTOR, drift);
  }

  /**
   * STOP–RESET–REALIGN: pause the loop's work, log, freeze configs, open the incident. The state is
   * written first (runs are refused from now on); when the ledger cannot take the record, the halt
   * waits in state.db for the first heartbeat that can write (#recordHalt) and no incident is returned.
   */
  async halt(
    hits: TriggerHit[],
    actor: Actor,
    drift: DriftResult | undefined,
  ): Promise<IncidentView | undefined> {
    const { deps, metrics } = this.#ctx;
    const pending: PendingHalt = { hits, actor, ...(drift ? { drift } : {}) };
    const fault = deps.ledger().writeFault();
    const [effect] = await this.#step({
      type: "halt",
      pending,
      at: utcIso(deps.clock.now()),
      correlationId: randomUUID(),
      frozen: configHashes(deps),
      ...(fault ? { writeFault: fault.message } : {}),
    });
    metrics.setGovernance(true, await this.#openCount());
    if (effect?.type !== "recordHalt") {
      await this.#logUnrecorded(effect?.type === "logUnrecorded" ? effect.writeError : "");
      return undefined;
    }
    try {
      return await this.#recordHalt(effect.pending, false);
    } catch (err) {
      const later = deps.ledger().writeFault();
      if (!later) throw err;
      await this.#step({ type: "recordFailed", pending, writeError: later.message });
      await this.#logUnrecorded(later.message);
      return undefined;
    }
  }

  async #logUnrecorded(writeError: string): Promise<void> {
    this.#ctx.deps.log.error(
      { reason: (await this.read()).reason, writeError },
      "STOP–RESET–REALIGN halted the loop; the ledger cannot record it yet (the first heartbeat that can write will)",
    );
  }

  /** Writes SRR_HALTED for the halt in force (late when it waited for the ledger) and opens its incident. */
  async #recordHalt(pending: NonNullable<SrrRecord["unrecorded"]>, late: boolean): Promise<IncidentView> {
    const { deps, metrics, incidents } = this.#ctx;
    const srr = await this.read();
    const correlationId = srr.correlationId ?? randomUUID();
    const { hits, actor, drift } = pending;
    const halted = await deps.ledger().append({
      eventType: "SRR_HALTED",
      level: "critical",
      actor: actorIdentity(actor),
      correlationId,
      payload: {
        triggers: hits.map((h) => ({ trigger: h.trigger, reason: h.reason })),
        frozen: srr.frozen ?? {},
        ...(drift ? { drift: drift.score, band: drift.band } : {}),
        ...(late ? { late: true, haltedAt: srr.since, writeError: pending.writeError } : {}),
        actions: [
          "autonomy loop paused (heartbeats go on)",
          "incident logged",
          "configs frozen",
          "incident report opened",
        ],
      },
    });
    await this.#step({ type: "haltRecorded", haltSeq: halted.seq });
    const incident = await incidents.open({
      trigger: hits[0]?.trigger ?? "manual",
      summary: `STOP–RESET–REALIGN: ${srr.reason ?? haltSummary(hits)}`,
      reasons: hits.map((h) => h.reason),
      ...(drift ? { drift } : {}),
      evidence: [...hits.flatMap((h) => h.evidence), link(halted)],
      ...(srr.frozen ? { frozen: srr.frozen } : {}),
      actor,
      correlationId,
    });
    metrics.setGovernance(true, await this.#openCount());
    return incident;
  }

  /** While frozen, any config change is a governance violation with an incident of its own. */
  async checkFrozen(): Promise<IncidentView | undefined> {
    const { deps, metrics, incidents } = this.#ctx;
    const srr = await this.read();
    if (srr.state !== "HALTED" || !srr.frozen) return undefined;
    const { state, effects } = srrStep(srr, { type: "configRead", current: configHashes(deps) });
    const [effect] = effects;
    if (effect?.type !== "reportConfigChange") return undefined;
    const files = effect.changes.map((c) => `${c.file} ${c.change}`).join(", ");
    const violation = await deps.ledger().append({
      eventType: "GOVERNANCE_VIOLATION",
      level: "error",
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: srr.correlationId ?? this.#ctx.loopCorrelation,
      payload: { rule: "config_changed_while_frozen", changes: effect.changes, frozenSince: srr.since },
    });
    // Written once the violation is recorded: a failed write reports the change again next time.
    await this.#write(state);
    const incident = await incidents.open({
      trigger: "governance_violation",
      summary: `config changed while frozen: ${files}`,
      reasons: [
        `while STOP–RESET–REALIGN had configs frozen (since ${chicagoIso(new Date(srr.since ?? 0))}), ${files}`,
      ],
      evidence: [link(violation)],
      frozen: effect.frozen,
      actor: SYSTEM_ACTOR,
      correlationId: randomUUID(),
    });
    metrics.setGovernance(true, await this.#openCount());
    return incident;
  }

  /** `/codex stop`: STOP–RESET–REALIGN by hand. */
  async stop(actor: Actor, reason: string, roles: string[]): Promise<IncidentView> {
    const { deps } = this.#ctx;
    const [refusal] = srrStep(await this.read(), { type: "stop" }).effects;
    if (refusal?.type === "refuse") {
      throw new CodexError("REFUSED", refusal.message, {
        hint: "see the open incidents with /codex incident list",
      });
    }
    const stopped = await deps.ledger().append({
      eventType: "SRR_STOPPED",
      level: "warn",
      actor: actorIdentity(actor),
      correlationId: randomUUID(),
      payload: { reason, roles },
    });
    const incident = await this.halt(
      [
        {
          trigger: "manual",
          reason: `stopped by hand by ${personName(actor)}: ${reason}`,
          evidence: [link(stopped)],
        },
      ],
      actor,
      undefined,
    );
    if (incident) return incident;
    throw new CodexError(
      "LEDGER_BROKEN",
      `the loop is HALTED, but the ledger could not record the halt: ${deps.ledger().writeFault()?.message ?? "its writes fail"}`,
      { hint: "the first heartbeat that can write records it and opens the incident; see /health" },
    );
  }

  /** Why resume would be refused now; empty when it may proceed. Opens an incident for a frozen-config change. */
  async resumeBlockers(): Promise<string[]> {
    const early = resumePrecheck(await this.read());
    if (early) return early;
    await this.checkFrozen();
    const { incidents } = this.#ctx;
    const open = (await incidents.list("open", 100)).reverse();
    const reading = await this.#ctx.measure();
    return resumeBlockers({
      open: open.map((i) => ({
        id: i.id,
        approved: i.approved,
        ...(i.approvalId ? { approvalId: i.approvalId } : {}),
        ...(i.approval ? { approvalStatus: i.approval.status } : {}),
      })),
      approverRoles: open.some((i) => !i.approved) ? incidents.approverRoles() : [],
      ledger: {
        ok: reading.ledger.ok,
        ...(reading.ledger.firstBad ? { firstBadSeq: reading.ledger.firstBad.seq } : {}),
      },
      vault: { ok: reading.vault.ok, ...(reading.vault.problem ? { problem: reading.vault.problem } : {}) },
      drift: { score: reading.drift.score, band: reading.drift.band },
    });
  }

  /** `/codex resume`: only when every incident of the halt is approved and resolved and custody holds. */
  async resume(actor: Actor, roles: string[]): Promise<{ seq: number; incidents: string[] }> {
    const { deps, metrics, incidents } = this.#ctx;
    const srr = await this.read();
    const reasons = await this.resumeBlockers();
    if (reasons.length > 0) {
      await deps.ledger().append({
        eventType: "SRR_RESUME_REFUSED",
        level: "warn",
        actor: actorIdentity(actor),
        correlationId: srr.correlationId ?? randomUUID(),
        payload: { reasons, roles },
      });
      throw new CodexError("REFUSED", `resume refused: ${reasons.join("; ")}`, {
        hint: "every open incident needs an approval and a resolution note first (/codex incident list)",
        details: { reasons },
      });
    }
    const mine = (await deps.state().listIncidents({ limit: 100 })).filter(
      (i) => i.openedAt >= (srr.since ?? ""),
    );
    // SRR_RESUMED carries an update for the thread of every incident of the halt.
    const entry = await this.#ctx.publisher().publish(
      mine.map((i) =>
        incidents.threadUpdate(
          i,
          "Autonomy resumed",
          `▶️ The autonomy loop is RUNNING again: resumed by ${personName(actor)}.`,
        ),
      ),
      {
        eventType: "SRR_RESUMED",
        level: "info",
        actor: actorIdentity(actor),
        correlationId: srr.correlationId ?? randomUUID(),
        payload: { roles, haltedSince: srr.since, incidents: mine.map((i) => i.id) },
      },
    );
    await this.#step({ type: "resume", at: utcIso(deps.clock.now()) });
    metrics.setGovernance(false, await this.#openCount());
    return { seq: entry.seq, incidents: mine.map((i) => i.id) };
  }
}
