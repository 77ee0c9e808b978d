import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import { CodexError } from "../core/CodexError.ts";
import { pausePoint } from "../core/pausePoint.ts";
import type { Tick } from "../core/TickScheduler.ts";
import { utcIso } from "../core/timestamps.ts";
import type { LedgerEntry } from "../ledger/Ledger.ts";
import type { EvidencePublisher } from "../relays/EvidencePublisher.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";
import type { AutonomyMetrics } from "./AutonomyMetrics.ts";
import type { ConfigHashes } from "./configHashes.ts";
import type { DriftBand, DriftResult } from "./drift.ts";
import { driftBandAlert } from "./driftAlerts.ts";
import type { IncidentView } from "./IncidentService.ts";
import type { LoopLeases } from "./loopLease.ts";
import type { SrrActions } from "./srrActions.ts";
import type { SrrState, TriggerHit } from "./stopResetRealign.ts";
import { type RelayStatus, Telemetry, type TelemetryReading } from "./Telemetry.ts";
import { scanTriggers } from "./triggerScan.ts";

/** `governance`: a heartbeat run at once to apply SRR to a violation just recorded (a refused egress). */
export type HeartbeatSource = "schedule" | "relay" | "activation" | "governance";

export interface HeartbeatResult {
  status: "ok";
  seq: number;
  at: string;
  atCt: string;
  source: HeartbeatSource;
  srr: SrrState;
  drift: { score: number; band: DriftBand; components: DriftResult["components"] };
  signals: TelemetryReading;
  /** Where the heartbeat went: the ledger always; Slack only on a change of band. */
  relays: { ledger: number; metrics: "updated"; signals: string };
  /** The incident this heartbeat opened, when it tripped STOP–RESET–REALIGN. */
  incident?: string;
}

export interface CycleContext {
  deps: AutonomyDeps;
  metrics: AutonomyMetrics;
  srr: SrrActions;
  leases: LoopLeases;
  loopCorrelation: string;
  publisher: () => EvidencePublisher;
  /** Called after every heartbeat of this process, not awaited (see HostOptions.afterBeat). */
  afterBeat: () => void;
  relayStatus: () => Promise<RelayStatus>;
  /** This process's relay port, when its relay server runs. */
  relayPort: () => number | null | undefined;
}

/** A tick for a heartbeat asked for now rather than scheduled. */
export function tickNow(now: Date): Tick {
  return { scheduledAt: now, firedAt: now, lateMs: 0, missedSlots: 0, late: false };
}

/**
 * One heartbeat cycle: telemetry, the HEARTBEAT entry, the lease, metrics, the drift band alert, the
 * SRR trigger scan and its consequences, and the closing checkpoint. The kernel serialises cycles.
 */
export class HeartbeatCycle {
  readonly #ctx: CycleContext;
  #telemetry: Telemetry | undefined;

  constructor(ctx: CycleContext) {
    this.#ctx = ctx;
  }

  /** Measures the signals for this tick (the telemetry sampler starts on first use). */
  async measure(tick: Tick): Promise<TelemetryReading> {
    const { deps } = this.#ctx;
    this.#telemetry ??= new Telemetry(deps);
    const seal = await deps.state().latestSeal<{ hashes: ConfigHashes }>();
    return this.#telemetry.measure({
      tick,
      srr: (await this.#ctx.srr.read()).state,
      openIncidents: (await deps.state().listIncidents({ status: "open" })).length,
      relay: await this.#ctx.relayStatus(),
      seal: seal ? { version: seal.version, hashes: seal.record.hashes } : undefined,
    });
  }

  async close(): Promise<void> {
    const telemetry = this.#telemetry;
    this.#telemetry = undefined;
    await telemetry?.close();
  }

  async run(source: HeartbeatSource, given?: Tick): Promise<HeartbeatResult> {
    const { deps, metrics, srr } = this.#ctx;
    const now = deps.clock.now();
    const tick = given ?? tickNow(now);
    const reading = await this.measure(tick);
    const srrBefore = (await srr.read()).state;
    let entry: LedgerEntry;
    try {
      entry = await deps.ledger().append({
        eventType: "HEARTBEAT",
        level: reading.drift.band === "green" && reading.faults.length === 0 ? "info" : "warn",
        actor: actorIdentity(SYSTEM_ACTOR),
        correlationId: this.#ctx.loopCorrelation,
        payload: { source, srr: srrBefore, ...reading },
      });
    } catch (err) {
      if (!deps.ledger().writeFault()) throw err;
      return this.#unwritable(tick, err);
    }
    await pausePoint("heartbeat:recorded");
    if (tick.missedSlots > 0 || tick.late) {
      await deps.ledger().append({
        eventType: "HEARTBEAT_LATE",
        level: "warn",
        actor: actorIdentity(SYSTEM_ACTOR),
        correlationId: this.#ctx.loopCorrelation,
        payload: { heartbeatSeq: entry.seq, ...reading.tick },
      });
    }
    await this.#ctx.leases.noteBeat(utcIso(now), this.#ctx.relayPort());
    metrics.update(reading);

    const signals = await driftBandAlert(
      {
        deps,
        publisher: this.#ctx.publisher(),
        correlationId: this.#ctx.loopCorrelation,
        srr: async () => (await srr.read()).state,
      },
      reading,
      entry,
    );
    const hits = await scanTriggers(deps, reading, entry);
    // Cycles never interleave with stop or resume, so the state is still srrBefore here.
    const incident: IncidentView | undefined = await srr.afterHeartbeat(
      hits,
      reading.drift,
      deps.charter().srr.haltOn,
    );
    // A ledger or vault that failed custody is not signed over: its checkpoints would vouch for the break.
    if (reading.ledger.ok && reading.vault.ok) await this.#anchor();
    this.#ctx.afterBeat();
    return {
      status: "ok",
      seq: entry.seq,
      at: entry.timestampUtc,
      atCt: entry.timestampCt,
      source,
      srr: (await srr.read()).state,
      drift: { score: reading.drift.score, band: reading.drift.band, components: reading.drift.components },
      signals: reading,
      relays: { ledger: entry.seq, metrics: "updated", signals },
      ...(incident ? { incident: incident.id } : {}),
    };
  }

  /** A scheduled tick found the previous heartbeat still running. */
  async skipped(tick: Tick): Promise<void> {
    const { deps } = this.#ctx;
    this.#ctx.metrics.skipped();
    deps.log.warn({ scheduledAt: tick.scheduledAt }, "heartbeat skipped: the previous one is still running");
    await deps.ledger().append({
      eventType: "HEARTBEAT_SKIPPED",
      level: "warn",
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: this.#ctx.loopCorrelation,
      payload: {
        scheduledAt: utcIso(tick.scheduledAt),
        firedAt: utcIso(tick.firedAt),
        reason: "previous heartbeat still running",
      },
    });
  }

  /**
   * Every heartbeat ends covered: a signed checkpoint over every entry so far, kept in state.db and the
   * vault (committed at once when a sealed run is not yet anchored by a committed checkpoint). While a
   * seal holds the vault, the vault's copy waits for the next heartbeat instead of this one waiting.
   */
  async #anchor(): Promise<void> {
    try {
      await this.#ctx.deps.anchor({ commitIfSealUnanchored: true, ifVaultFree: true });
    } catch (err) {
      this.#ctx.deps.log.warn({ err }, "heartbeat: could not anchor the ledger checkpoint");
    }
  }

  /**
   * The heartbeat could not be written: the ledger's writes fail. That is a telemetry fault and a
   * custody break at once: the reading is taken again (it now carries the write error), metrics show
   * it, and SRR halts (recorded in state.db now, in the ledger by the first heartbeat that can write).
   * Throws the write error, so /heartbeat and the scheduler report it rather than a heartbeat.
   */
  async #unwritable(tick: Tick, err: unknown): Promise<never> {
    const { deps, srr } = this.#ctx;
    const reading = await this.measure(tick);
    this.#ctx.metrics.update(reading);
    const reasons: TriggerHit[] = [
      { trigger: "telemetry_fault", reason: `telemetry fault: ${reading.faults.join("; ")}`, evidence: [] },
      {
        trigger: "custody_break",
        reason: `custody break: the ledger cannot be written (${deps.ledger().writeFault()?.message ?? String(err)})`,
        evidence: [],
      },
    ];
    await srr.afterUnwritable(reasons, reading.drift, deps.charter().srr.haltOn);
    const cause = err as { message?: string; hint?: string };
    throw new CodexError(
      "LEDGER_BROKEN",
      `the heartbeat could not be written: ${cause.message ?? String(err)}`,
      {
        hint: `${cause.hint ?? "check the ledger file"}. STOP–RESET–REALIGN has the loop ${(await srr.read()).state}; /health answers 503 until a write succeeds`,
        cause: err,
      },
    );
  }
}
