import { randomUUID } from "node:crypto";
import os from "node:os";
import { replicaName } from "../config/replicaName.ts";
import { type Actor, actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import { SerialQueue } from "../core/SerialQueue.ts";
import { cronSchedule, intervalSchedule, type Tick, TickScheduler } from "../core/TickScheduler.ts";
import { utcIso } from "../core/timestamps.ts";
import type { Charter } from "../governance/charter.ts";
import type { LedgerEntry } from "../ledger/Ledger.ts";
import type { EvidencePublisher } from "../relays/EvidencePublisher.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";
import { AutonomyMetrics } from "./AutonomyMetrics.ts";
import { DailySnapshot } from "./DailySnapshot.ts";
import type { DriftBand } from "./drift.ts";
import { BAND_KEY } from "./driftAlerts.ts";
import { governanceCheck, selfApprovalNote } from "./governance.ts";
import { HeartbeatCycle, type HeartbeatResult, type HeartbeatSource, tickNow } from "./heartbeatCycle.ts";
import { IncidentService, type IncidentView } from "./IncidentService.ts";
import { LedgerNotePublisher } from "./LedgerNotePublisher.ts";
import { type HostMode, type HostRoles, type LoopLease, LoopLeases, type LoopStatus } from "./loopLease.ts";
import { probeMcp } from "./mcpProbe.ts";
import { recordRoleGrants } from "./recordRoleGrants.ts";
import { SealService } from "./SealService.ts";
import { SrrActions } from "./srrActions.ts";
import type { SrrRecord } from "./stopResetRealign.ts";
import type { RelayStatus, TelemetryReading } from "./Telemetry.ts";
import { autonomyHomeSummary, autonomyStateJson } from "./views/autonomyViews.ts";

export { GOVERNED_PERMISSIONS } from "./governance.ts";
export type { HeartbeatResult, HeartbeatSource } from "./heartbeatCycle.ts";
export type { HostMode, HostRoles, LoopLease, LoopStatus } from "./loopLease.ts";
export type { SrrRecord, SrrState, TriggerHit } from "./stopResetRealign.ts";

export interface HostOptions {
  mode: HostMode;
  publisher: EvidencePublisher;
  /** Slack is connected in this process (auth.test passed). */
  slackLive: boolean;
  /** Starts the relay server when activation finds none (the shell can; the CLI cannot). */
  startRelay?: () => Promise<{ port: number }>;
  /**
   * Called after every heartbeat of this process, not awaited: the host catches up with what other
   * processes changed in the shared state (Slack: incident messages after a CLI approval).
   */
  afterBeat?: () => void;
}

/** The fraction of the heartbeat interval a tick may be late before it counts as late. */
const LATE_FRACTION = 0.1;

/**
 * The autonomy kernel, a facade: it owns the schedules (heartbeats, the daily snapshot) and serialises
 * the heartbeat cycles (heartbeatCycle.ts) with STOP–RESET–REALIGN's actions (srrActions.ts, around the
 * pure stopResetRealign.ts); the loop lease (loopLease.ts), incidents, seals, snapshots and the views
 * (views/autonomyViews.ts) are parts of their own. State that must survive a restart lives in
 * state.db; everything else is derived from the ledger, so the CLI sees what the long-running process does.
 */
export class AutonomyKernel {
  readonly metrics = new AutonomyMetrics();
  readonly incidents: IncidentService;
  readonly seals: SealService;
  readonly snapshots: DailySnapshot;
  readonly #deps: AutonomyDeps;
  readonly #cycles = new SerialQueue();
  readonly #loopCorrelation = randomUUID();
  readonly #leases: LoopLeases;
  readonly #srr: SrrActions;
  readonly #beat: HeartbeatCycle;
  #host: HostOptions;
  #loop: TickScheduler | undefined;
  #snapshotLoop: TickScheduler | undefined;
  #relay: { port: number | null; startedAt: Date } | undefined;
  #loopStartedAt: Date | undefined;
  /** A heartbeat cycle is running here (a ledger write failure inside it is handled by it). */
  #inCycle = false;
  #unsubscribeFault: (() => void) | undefined;
  /** The first beat after a leader takeover: late by the beats missed during the handover (a drift signal). */
  #handoverTick: Tick | undefined;
  /** Replicas: this process's part in the leader election, ended on close. */
  #leadership: Leadership | undefined;

  constructor(deps: AutonomyDeps) {
    this.#deps = deps;
    this.#host = {
      mode: "cli",
      slackLive: false,
      publisher: new LedgerNotePublisher({ ledger: { append: (e) => deps.ledger().append(e) } }),
    };
    this.incidents = new IncidentService(deps, () => this.#host.publisher);
    this.seals = new SealService(deps, this);
    this.snapshots = new DailySnapshot(deps, this);
    this.#leases = new LoopLeases(deps, () => this.#loop?.running === true);
    this.#srr = new SrrActions({
      deps,
      metrics: this.metrics,
      incidents: this.incidents,
      publisher: () => this.#host.publisher,
      loopCorrelation: this.#loopCorrelation,
      measure: () => this.measure(),
    });
    this.#beat = new HeartbeatCycle({
      deps,
      metrics: this.metrics,
      srr: this.#srr,
      leases: this.#leases,
      loopCorrelation: this.#loopCorrelation,
      publisher: () => this.#host.publisher,
      afterBeat: () => this.#host.afterBeat?.(),
      relayStatus: () => this.relayStatus(),
      relayPort: () => this.#relay?.port,
    });
  }

  /** Says where the kernel runs and how evidence leaves it; main.ts calls this once per mode. */
  configure(host: Partial<HostOptions>): void {
    this.#host = { ...this.#host, ...host };
  }

  get host(): Readonly<HostOptions> {
    return this.#host;
  }

  get publisher(): EvidencePublisher {
    return this.#host.publisher;
  }

  get loopCorrelation(): string {
    return this.#loopCorrelation;
  }

  srr(): Promise<SrrRecord> {
    return this.#srr.read();
  }

  async lastBand(): Promise<DriftBand | undefined> {
    return this.#deps.state().getValue<DriftBand>(BAND_KEY);
  }

  /** The relay server of this process started listening (createRelayServer, Slack's HTTP receiver). */
  async noteRelayStart(port: number | null): Promise<void> {
    this.#relay = { port, startedAt: this.#deps.clock.now() };
    await this.#leases.noteRelayPort(port);
  }

  /** The relay as known without a network call: this process's, or the loop host's by its lease. */
  async relayStatus(): Promise<RelayStatus> {
    const now = this.#deps.clock.now();
    if (this.#relay) {
      return {
        online: true,
        uptimeSeconds: Math.max(0, Math.round((now.getTime() - this.#relay.startedAt.getTime()) / 1000)),
        detail: `this process${this.#relay.port === null ? "" : `, port ${this.#relay.port}`}`,
      };
    }
    const lease = await this.#leases.live();
    if (lease?.relayPort) {
      return {
        online: true,
        uptimeSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(lease.startedAt)) / 1000)),
        detail: `pid ${lease.pid} on ${lease.host}, port ${lease.relayPort} (per its last heartbeat)`,
      };
    }
    return {
      online: false,
      uptimeSeconds: null,
      detail: "no relay server runs in this process or beside a live loop",
    };
  }

  /**
   * relayStatus, confirmed over MCP: "MCP online" means /mcp answered `initialize` and `ping` (on
   * 127.0.0.1, as the built-in probe client), for this process's relay or the live loop's on this host.
   */
  async probeRelay(): Promise<RelayStatus> {
    const status = await this.relayStatus();
    const lease = await this.#leases.live();
    const port = this.#relay
      ? this.#relay.port
      : lease?.relayPort && lease.host === os.hostname()
        ? lease.relayPort
        : undefined;
    if (!status.online || port === undefined) return status;
    if (port === null) {
      return {
        online: false,
        uptimeSeconds: null,
        detail: `${status.detail}; its port is unknown, so /mcp cannot be probed`,
      };
    }
    const probe = await probeMcp(port, this.#deps.home);
    return probe.ok
      ? { ...status, detail: `${status.detail}; ${probe.detail}` }
      : { online: false, uptimeSeconds: null, detail: `${status.detail}; ${probe.detail}` };
  }

  async loopStatus(): Promise<LoopStatus> {
    const intervalSeconds = this.#deps.charter().schedules.heartbeatSeconds;
    if (this.#loop?.running) {
      const next = this.#loop.nextAt();
      return {
        running: true,
        where: "this process",
        startedAt: this.#loopStartedAt ? utcIso(this.#loopStartedAt) : undefined,
        lastBeatAt: (await this.#leases.read())?.lastBeatAt ?? null,
        ...(next ? { nextHeartbeatAt: utcIso(next) } : {}),
        intervalSeconds,
      } as LoopStatus;
    }
    const lease = await this.#leases.live();
    if (lease) {
      return {
        running: true,
        where: `${lease.replica ? `the leader replica ${lease.replica}: ` : ""}pid ${lease.pid} on ${lease.host} (${lease.mode})`,
        startedAt: lease.startedAt,
        lastBeatAt: lease.lastBeatAt,
        intervalSeconds: lease.intervalSeconds,
      };
    }
    return {
      running: false,
      where:
        this.#deps.env.DATABASE_URL && this.#host.mode !== "shell"
          ? "no replica leads the loop now (a replica takes over within 2 heartbeats of the last leader's end; if none does, check that a replica runs and that its log does not say PostgreSQL does not answer)"
          : this.#host.mode === "cli"
            ? "no loop is running (start it with npm start, headless or on Slack)"
            : "not started in this process (/codex activate starts it)",
      intervalSeconds,
    };
  }

  /**
   * The effective roles of the bot that hosts the loop in another process, while it is alive; undefined
   * when no loop runs or it runs here. Governed CLI commands are decided by these, not the CLI's own.
   */
  hostRoles(): Promise<HostRoles | undefined> {
    return this.#leases.hostRoles();
  }

  /** Slack is live here, or in the live loop host. */
  async slackLive(): Promise<boolean> {
    return this.#host.slackLive || (await this.#leases.live())?.slack === true;
  }

  /** When the next scheduled heartbeat is due in this process. */
  nextHeartbeatAt(): Date | undefined {
    return this.#loop?.nextAt();
  }

  /**
   * Starts the heartbeat and daily-snapshot schedules here; false where no loop can live (the CLI) or
   * where another live process holds the loop (loopStatus() then names it). One loop per MAOS_HOME: the
   * lease is checked and taken in one state.db write transaction, so two hosts starting at once cannot
   * both win. The first heartbeat is emitted at once, not one interval later (unless the caller has just
   * emitted one, as activation does), so /metrics and status have real signals from the start.
   */
  /**
   * `takeover`: this replica was elected leader (DATABASE_URL), so the lease is taken whoever held it,
   * and the first beat counts the beats missed since the last leader's last beat as late.
   */
  async startLoop(opts: { beatNow?: boolean; takeover?: boolean } = {}): Promise<boolean> {
    if (this.#loop) return true;
    if (this.#host.mode === "cli") return false;
    const deps = this.#deps;
    const charter = deps.charter();
    const lease: LoopLease = {
      pid: process.pid,
      host: os.hostname(),
      mode: this.#host.mode,
      startedAt: utcIso(deps.clock.now()),
      lastBeatAt: null,
      relayPort: this.#relay?.port ?? null,
      slack: this.#host.slackLive,
      intervalSeconds: charter.schedules.heartbeatSeconds,
      ...(deps.env.DATABASE_URL ? { replica: replicaName(deps.env) } : {}),
    };
    if (opts.takeover) {
      const previous = await this.#leases.read();
      this.#handoverTick = previous ? handoverTick(previous, deps.clock.now(), charter) : undefined;
    }
    if (!(await this.#leases.take(lease, { force: opts.takeover === true }))) return false;
    // Another startLoop of this process may have started the loop while the lease was being taken.
    if (this.#loop) return true;
    const intervalMs = charter.schedules.heartbeatSeconds * 1000;
    const beatNow = opts.beatNow ?? true;
    const loop = new TickScheduler({
      clock: deps.clock,
      next: intervalSchedule(charter.schedules.heartbeatSeconds),
      onTick: (tick) => this.#scheduledBeat(tick),
      onSkip: (tick) => this.#beat.skipped(tick),
      lateToleranceMs: intervalMs * LATE_FRACTION,
      maxSleepMs: intervalMs,
      fireImmediately: beatNow,
    });
    this.#loop = loop;
    this.#snapshotLoop = new TickScheduler({
      clock: deps.clock,
      next: cronSchedule(charter.schedules.dailySnapshot),
      onTick: async () => {
        try {
          await this.snapshots.take(SYSTEM_ACTOR, "schedule");
        } catch (err) {
          deps.log.error({ err }, "daily snapshot failed");
        }
      },
      lateToleranceMs: 60_000,
      // Short pieces, so a suspended machine still takes the snapshot soon after it wakes.
      maxSleepMs: 60_000,
    });
    this.#loopStartedAt = new Date(lease.startedAt);
    const roles = deps.effectiveRoles();
    await this.#leases.recordHostRoles(roles, lease.host);
    await recordRoleGrants(deps, roles);
    // A failed ledger write anywhere in this process is a telemetry fault at once, not at the next beat.
    this.#unsubscribeFault = deps.ledger().onWriteFault(() => this.#onLedgerFault());
    this.metrics.liveEntries(() => deps.ledger().sync().size());
    // Recorded before the first beat, so the ledger reads in order: the loop started, then it beat.
    await deps.ledger().append({
      eventType: "AUTONOMY_LOOP_STARTED",
      level: "info",
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: this.#loopCorrelation,
      payload: {
        mode: this.#host.mode,
        pid: process.pid,
        host: lease.host,
        heartbeatSeconds: charter.schedules.heartbeatSeconds,
        dailySnapshot: charter.schedules.dailySnapshot,
        timezone: charter.schedules.timezone,
        firstHeartbeatAt: utcIso(
          beatNow
            ? this.#loopStartedAt
            : intervalSchedule(charter.schedules.heartbeatSeconds)(this.#loopStartedAt),
        ),
        srr: (await this.srr()).state,
      },
    });
    if (this.#loop !== loop) return true; // stopped while the entry was being written
    loop.start();
    this.#snapshotLoop?.start();
    return true;
  }

  /** The live loop of another process, if one holds the lease. */
  loopHolder(): Promise<LoopLease | undefined> {
    return this.#leases.holder();
  }

  /**
   * What /health answers: failing while this process cannot write its ledger (the cause is SQLite's
   * error, naming the file), ok otherwise. A halt is not ill health: /status reports it.
   */
  health(): { ok: true } | { ok: false; since: string; problems: string[] } {
    const fault = this.#deps.ledger().writeFault();
    // Replicas: the leader election tries the database every quarter heartbeat, leading or not.
    const db = this.#leadership?.fault();
    if (!fault && !db) return { ok: true };
    const problems = [
      ...(db ? [`PostgreSQL (DATABASE_URL) does not answer: ${db.message}`] : []),
      ...(fault ? [`ledger writes fail: ${fault.brief ?? fault.message}`] : []),
    ];
    const since = [db?.at, fault?.at].filter((x): x is string => x !== undefined).sort()[0] as string;
    return { ok: false, since, problems };
  }

  #onLedgerFault(): void {
    this.metrics.ledgerWriteFailed();
    // A failure inside a cycle is that cycle's to handle; elsewhere (a run, a command), beat now.
    if (this.#inCycle || !this.#loop?.running) return;
    this.heartbeat("governance").catch((err: unknown) =>
      this.#deps.log.error({ err }, "heartbeat after a failed ledger write"),
    );
  }

  async stopLoop(): Promise<void> {
    this.#unsubscribeFault?.();
    this.#unsubscribeFault = undefined;
    const loop = this.#loop;
    if (!loop) return;
    this.#loop = undefined;
    await Promise.all([loop.stop(), this.#snapshotLoop?.stop()]);
    this.#snapshotLoop = undefined;
    try {
      await this.#leases.release();
    } catch (err) {
      // The loop has stopped; its lease goes stale by itself (and an elected leader takes it over).
      this.#deps.log.warn({ err }, "the autonomy loop stopped, but its lease could not be released");
    }
  }

  /** Resolves once no heartbeat, snapshot or SRR action is in progress here. */
  async idle(): Promise<void> {
    await this.#loop?.idle();
    await this.#snapshotLoop?.idle();
    await this.#cycles.run(async () => undefined);
  }

  /** Replicas: the leader election this process takes part in, ended when the kernel closes. */
  attachLeadership(leadership: Leadership): void {
    this.#leadership = leadership;
  }

  async close(): Promise<void> {
    await this.#leadership?.stop();
    this.#leadership = undefined;
    await this.stopLoop();
    await this.#beat.close();
  }

  /** One heartbeat cycle, now (GET /heartbeat, activation) or on schedule; cycles never interleave. */
  heartbeat(source: HeartbeatSource, tick?: Tick): Promise<HeartbeatResult> {
    return this.#cycles.run(async () => {
      this.#inCycle = true;
      try {
        return await this.#beat.run(source, tick);
      } finally {
        this.#inCycle = false;
      }
    });
  }

  /** Measures the signals without writing a heartbeat (resume checks, seal conditions). */
  async measure(): Promise<TelemetryReading> {
    return this.#beat.measure(tickNow(this.#deps.clock.now()));
  }

  /** The last heartbeat in the ledger (any process's). */
  lastHeartbeat(): LedgerEntry | undefined {
    return this.#deps.ledger().query({ eventType: "HEARTBEAT", newestFirst: true, limit: 1 })[0];
  }

  /** `/codex stop`: STOP–RESET–REALIGN by hand. */
  stop(actor: Actor, reason: string, roles: string[]): Promise<IncidentView> {
    return this.#cycles.run(() => this.#srr.stop(actor, reason, roles));
  }

  /** Why resume would be refused now; empty when it may proceed. Opens an incident for a frozen-config change. */
  async resumeBlockers(): Promise<string[]> {
    return this.#cycles.run(() => this.#srr.resumeBlockers());
  }

  /** `/codex resume`: only when every incident of the halt is approved and resolved and custody holds. */
  resume(actor: Actor, roles: string[]): Promise<{ seq: number; incidents: string[] }> {
    return this.#cycles.run(() => this.#srr.resume(actor, roles));
  }

  /** Whether governance is enforced: SRR RUNNING, no open incident, and every governed command has holders. */
  async governanceCheck(): Promise<{ ok: boolean; detail: string }> {
    return governanceCheck(this.#deps, await this.srr());
  }

  /** See governance.ts: the single-person deployment note, or undefined. */
  selfApprovalNote(): string | undefined {
    return selfApprovalNote(this.#deps);
  }

  /** The full state as JSON (GET /status); see views/autonomyViews.ts. */
  stateJson(): Promise<Record<string, unknown>> {
    return autonomyStateJson(this, this.#deps);
  }

  /** The App Home's autonomy section, as lines of mrkdwn; see views/autonomyViews.ts. */
  homeSummary(): Promise<string> {
    return autonomyHomeSummary(this, this.#deps);
  }

  async #scheduledBeat(tick: Tick): Promise<void> {
    const handover = this.#handoverTick;
    this.#handoverTick = undefined;
    try {
      await this.heartbeat("schedule", handover ?? tick);
    } catch (err) {
      this.#deps.log.error({ err }, "heartbeat failed");
    }
  }
}

/** Replicas: this process's part in the leader election (PgLeaderLock). */
interface Leadership {
  stop(): Promise<void>;
  /** Since when the database has not answered its attempts, and why. */
  fault(): { at: string; message: string } | undefined;
}

/**
 * The first beat of a new leader, measured from the last beat of the loop it replaces: late, with the
 * slots missed, when the handover took longer than the tolerance; undefined when it did not.
 */
function handoverTick(previous: LoopLease, now: Date, charter: Charter): Tick | undefined {
  const intervalMs = charter.schedules.heartbeatSeconds * 1000;
  const last = Date.parse(previous.lastBeatAt ?? previous.startedAt);
  if (!Number.isFinite(last)) return undefined;
  const scheduledAt = new Date(last + intervalMs);
  const lateMs = now.getTime() - scheduledAt.getTime();
  if (lateMs <= intervalMs * LATE_FRACTION) return undefined;
  return { scheduledAt, firedAt: now, lateMs, missedSlots: Math.floor(lateMs / intervalMs), late: true };
}
