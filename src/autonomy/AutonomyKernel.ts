import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import { type Actor, actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import { CodexError } from "../core/CodexError.ts";
import { pausePoint } from "../core/pausePoint.ts";
import { personName } from "../core/personName.ts";
import type { Reply } from "../core/Reply.ts";
import { SerialQueue } from "../core/SerialQueue.ts";
import { cronSchedule, intervalSchedule, type Tick, TickScheduler } from "../core/TickScheduler.ts";
import { chicagoIso, utcIso } from "../core/timestamps.ts";
import type { SrrTrigger } from "../governance/charter.ts";
import type { EffectiveRoles } from "../governance/roleGrants.ts";
import { rolesFor, rolesOf } from "../governance/roles.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { EvidencePublisher } from "../relays/EvidencePublisher.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";
import { AutonomyMetrics } from "./AutonomyMetrics.ts";
import { autonomyInWords } from "./autonomyWords.ts";
import { type ConfigHashes, configHashes, diffHashes } from "./configHashes.ts";
import { DailySnapshot } from "./DailySnapshot.ts";
import { type DriftBand, type DriftResult, topComponents } from "./drift.ts";
import { IncidentService, type IncidentView, type LedgerLink } from "./IncidentService.ts";
import { LedgerNotePublisher } from "./LedgerNotePublisher.ts";
import { probeMcp } from "./mcpProbe.ts";
import { recordRoleGrants } from "./recordRoleGrants.ts";
import { SealService } from "./SealService.ts";
import { type RelayStatus, Telemetry, type TelemetryReading } from "./Telemetry.ts";

export type SrrState = "RUNNING" | "HALTED";
/** Where the kernel runs: the long-lived hosts run the loop; the CLI only reads and acts on shared state. */
export type HostMode = "headless" | "slack" | "shell" | "cli";
/** `governance`: a heartbeat run at once to apply SRR to a violation just recorded (a refused egress). */
export type HeartbeatSource = "schedule" | "relay" | "activation" | "governance";

export interface SrrRecord {
  state: SrrState;
  /** When the current state began; null when the loop has never been halted. */
  since: string | null;
  reason?: string;
  haltSeq?: number;
  correlationId?: string;
  /** Config hashes recorded at the halt. */
  frozen?: ConfigHashes;
  /** The hashes last reported as a violation, so one change is reported once. */
  frozenReported?: ConfigHashes;
  /**
   * A halt the ledger could not record (its writes were failing): the first heartbeat that can write
   * records SRR_HALTED (late) and opens the incident from this.
   */
  unrecorded?: { hits: TriggerHit[]; actor: Actor; drift?: DriftResult; writeError: string };
}

/** Which process hosts the loop, kept fresh in state.db so the CLI and other processes can see it. */
export interface LoopLease {
  pid: number;
  host: string;
  mode: HostMode;
  startedAt: string;
  lastBeatAt: string | null;
  relayPort: number | null;
  slack: boolean;
  intervalSeconds: number;
}

/** A loop host's effective roles as it recorded them in state.db at start. */
export interface HostRoles extends EffectiveRoles {
  pid: number;
  host: string;
}

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

export interface TriggerHit {
  trigger: SrrTrigger | "manual";
  reason: string;
  evidence: LedgerLink[];
}

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

export interface LoopStatus {
  running: boolean;
  /** `this process`, `pid N on HOST`, or why none is known to run. */
  where: string;
  startedAt?: string;
  lastBeatAt?: string | null;
  nextHeartbeatAt?: string;
  intervalSeconds: number;
}

const SRR_KEY = "srr";
const BAND_KEY = "drift.lastBand";
const LEASE_KEY = "loop.lease";
const SCANNED_KEY = "srr.scannedSeq";
/** The loop host's effective roles (grants, their sources, their digest), for other processes to compare. */
const ROLES_KEY = "governance.hostRoles";
/** A lease without a beat for this many intervals (plus a margin) belongs to a loop that is gone. */
const LEASE_INTERVALS = 2;
const LEASE_MARGIN_MS = 10_000;
/** The fraction of the heartbeat interval a tick may be late before it counts as late. */
const LATE_FRACTION = 0.1;
/** Permissions whose holders the governance check requires: without them SRR cannot be exercised. */
export const GOVERNED_PERMISSIONS = [
  "stop",
  "resume",
  "seal",
  "incident.approve",
  "incident.resolve",
] as const;
/** Ledger events that record a governed act, and the permission each needs (identity-mismatch scan). */
const GOVERNED_EVENTS: Record<string, (e: LedgerEntry) => string> = {
  SEAL_CREATED: () => "seal",
  SRR_RESUMED: () => "resume",
  SRR_STOPPED: () => "stop",
  INCIDENT_RESOLVED: () => "incident.resolve",
  ACTIVATION_COMPLETED: () => "activate",
  APPROVAL_ACCEPTED: (e) => `${String(obj(e).kind ?? "incident")}.approve`,
};

function obj(e: LedgerEntry | undefined): Record<string, unknown> {
  const p = e?.payload;
  return p && typeof p === "object" ? (p as Record<string, unknown>) : {};
}

function link(e: LedgerEntry): LedgerLink {
  return { seq: e.seq, eventType: e.eventType, correlationId: e.correlationId };
}

/** `slack:U123 <a@b.c>` → { source: "slack", id: "U123" }. */
function parseIdentity(identity: string): { source: string; id: string } {
  const colon = identity.indexOf(":");
  const source = colon < 0 ? identity : identity.slice(0, colon);
  const rest = colon < 0 ? "" : identity.slice(colon + 1);
  return { source, id: rest.replace(/\s+<[^>]*>$/, "") };
}

/**
 * The autonomy kernel: the heartbeat loop (telemetry, drift, ledger, relays, SRR checks), the
 * STOP–RESET–REALIGN state machine, incidents, seals and the daily snapshot. State that must survive a
 * restart (SRR state, frozen hashes, the last band, incidents, seals) lives in state.db; everything
 * else is derived from the ledger, so the CLI sees what the long-running process does.
 */
export class AutonomyKernel {
  readonly metrics = new AutonomyMetrics();
  readonly incidents: IncidentService;
  readonly seals: SealService;
  readonly snapshots: DailySnapshot;
  readonly #app: AutonomyDeps;
  readonly #cycles = new SerialQueue();
  readonly #loopCorrelation = randomUUID();
  #host: HostOptions;
  #telemetry: Telemetry | undefined;
  #loop: TickScheduler | undefined;
  #snapshotLoop: TickScheduler | undefined;
  #relay: { port: number | null; startedAt: Date } | undefined;
  #loopStartedAt: Date | undefined;
  /** A heartbeat cycle is running here (a ledger write failure inside it is handled by it). */
  #inCycle = false;
  #unsubscribeFault: (() => void) | undefined;

  constructor(app: AutonomyDeps) {
    this.#app = app;
    this.#host = {
      mode: "cli",
      slackLive: false,
      publisher: new LedgerNotePublisher({ ledger: { append: (e) => app.ledger().append(e) } }),
    };
    this.incidents = new IncidentService(app, () => this.#host.publisher);
    this.seals = new SealService(app, this);
    this.snapshots = new DailySnapshot(app, this);
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

  srr(): SrrRecord {
    return this.#app.state().getValue<SrrRecord>(SRR_KEY) ?? { state: "RUNNING", since: null };
  }

  lastBand(): DriftBand | undefined {
    return this.#app.state().getValue<DriftBand>(BAND_KEY);
  }

  /** The relay server of this process started listening (createRelayServer, Slack's HTTP receiver). */
  noteRelayStart(port: number | null): void {
    this.#relay = { port, startedAt: this.#app.clock.now() };
    const lease = this.#lease();
    if (lease && lease.pid === process.pid)
      this.#app.state().setValue(LEASE_KEY, { ...lease, relayPort: port });
  }

  /** The relay as known without a network call: this process's, or the loop host's by its lease. */
  relayStatus(): RelayStatus {
    const now = this.#app.clock.now();
    if (this.#relay) {
      return {
        online: true,
        uptimeSeconds: Math.max(0, Math.round((now.getTime() - this.#relay.startedAt.getTime()) / 1000)),
        detail: `this process${this.#relay.port === null ? "" : `, port ${this.#relay.port}`}`,
      };
    }
    const lease = this.#liveLease();
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
    const status = this.relayStatus();
    const lease = this.#liveLease();
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
    const probe = await probeMcp(port, this.#app.home);
    return probe.ok
      ? { ...status, detail: `${status.detail}; ${probe.detail}` }
      : { online: false, uptimeSeconds: null, detail: `${status.detail}; ${probe.detail}` };
  }

  loopStatus(): LoopStatus {
    const intervalSeconds = this.#app.charter().schedules.heartbeatSeconds;
    if (this.#loop?.running) {
      const next = this.#loop.nextAt();
      return {
        running: true,
        where: "this process",
        startedAt: this.#loopStartedAt ? utcIso(this.#loopStartedAt) : undefined,
        lastBeatAt: this.#lease()?.lastBeatAt ?? null,
        ...(next ? { nextHeartbeatAt: utcIso(next) } : {}),
        intervalSeconds,
      } as LoopStatus;
    }
    const lease = this.#liveLease();
    if (lease) {
      return {
        running: true,
        where: `pid ${lease.pid} on ${lease.host} (${lease.mode})`,
        startedAt: lease.startedAt,
        lastBeatAt: lease.lastBeatAt,
        intervalSeconds: lease.intervalSeconds,
      };
    }
    return {
      running: false,
      where:
        this.#host.mode === "cli"
          ? "no loop is running (start it with npm start, headless or on Slack)"
          : "not started in this process (/codex activate starts it)",
      intervalSeconds,
    };
  }

  /**
   * The effective roles of the bot that hosts the loop in another process, while it is alive; undefined
   * when no loop runs or it runs here. Governed CLI commands are decided by these, not the CLI's own.
   */
  hostRoles(): HostRoles | undefined {
    const lease = this.#liveLease();
    if (!lease || (lease.pid === process.pid && lease.host === os.hostname())) return undefined;
    const recorded = this.#app.state().getValue<HostRoles>(ROLES_KEY);
    return recorded && recorded.pid === lease.pid && recorded.host === lease.host ? recorded : undefined;
  }

  /** Slack is live here, or in the live loop host. */
  slackLive(): boolean {
    return this.#host.slackLive || this.#liveLease()?.slack === true;
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
  async startLoop(opts: { beatNow?: boolean } = {}): Promise<boolean> {
    if (this.#loop) return true;
    if (this.#host.mode === "cli") return false;
    const app = this.#app;
    const charter = app.charter();
    const lease: LoopLease = {
      pid: process.pid,
      host: os.hostname(),
      mode: this.#host.mode,
      startedAt: utcIso(app.clock.now()),
      lastBeatAt: null,
      relayPort: this.#relay?.port ?? null,
      slack: this.#host.slackLive,
      intervalSeconds: charter.schedules.heartbeatSeconds,
    };
    const taken = app.state().transaction(() => {
      if (this.loopHolder()) return false;
      app.state().setValue(LEASE_KEY, lease);
      return true;
    });
    if (!taken) return false;
    const intervalMs = charter.schedules.heartbeatSeconds * 1000;
    const beatNow = opts.beatNow ?? true;
    const loop = new TickScheduler({
      clock: app.clock,
      next: intervalSchedule(charter.schedules.heartbeatSeconds),
      onTick: (tick) => this.#scheduledBeat(tick),
      onSkip: (tick) => this.#skipped(tick),
      lateToleranceMs: intervalMs * LATE_FRACTION,
      maxSleepMs: intervalMs,
      fireImmediately: beatNow,
    });
    this.#loop = loop;
    this.#snapshotLoop = new TickScheduler({
      clock: app.clock,
      next: cronSchedule(charter.schedules.dailySnapshot),
      onTick: async () => {
        try {
          await this.snapshots.take(SYSTEM_ACTOR, "schedule");
        } catch (err) {
          app.log.error({ err }, "daily snapshot failed");
        }
      },
      lateToleranceMs: 60_000,
      // Short pieces, so a suspended machine still takes the snapshot soon after it wakes.
      maxSleepMs: 60_000,
    });
    this.#loopStartedAt = new Date(lease.startedAt);
    const roles = app.effectiveRoles();
    app.state().setValue(ROLES_KEY, { ...roles, pid: process.pid, host: lease.host } satisfies HostRoles);
    await recordRoleGrants(app, roles);
    // A failed ledger write anywhere in this process is a telemetry fault at once, not at the next beat.
    this.#unsubscribeFault = app.ledger().onWriteFault(() => this.#onLedgerFault());
    this.metrics.liveEntries(() => app.ledger().sync().size());
    // Recorded before the first beat, so the ledger reads in order: the loop started, then it beat.
    await app.ledger().append({
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
        srr: this.srr().state,
      },
    });
    if (this.#loop !== loop) return true; // stopped while the entry was being written
    loop.start();
    this.#snapshotLoop?.start();
    return true;
  }

  /** The live loop of another process, if one holds the lease. */
  loopHolder(): LoopLease | undefined {
    const lease = this.#liveLease();
    if (!lease || (lease.pid === process.pid && lease.host === os.hostname())) return undefined;
    return lease;
  }

  /**
   * What /health answers: failing while this process cannot write its ledger (the cause is SQLite's
   * error, naming the file), ok otherwise. A halt is not ill health: /status reports it.
   */
  health(): { ok: true } | { ok: false; since: string; problems: string[] } {
    const fault = this.#app.ledger().writeFault();
    if (!fault) return { ok: true };
    return { ok: false, since: fault.at, problems: [`ledger writes fail: ${fault.message}`] };
  }

  #onLedgerFault(): void {
    this.metrics.ledgerWriteFailed();
    // A failure inside a cycle is that cycle's to handle; elsewhere (a run, a command), beat now.
    if (this.#inCycle || !this.#loop?.running) return;
    this.heartbeat("governance").catch((err: unknown) =>
      this.#app.log.error({ err }, "heartbeat after a failed ledger write"),
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
    const lease = this.#lease();
    if (lease?.pid === process.pid && lease.host === os.hostname()) this.#app.state().deleteValue(LEASE_KEY);
  }

  /** Resolves once no heartbeat, snapshot or SRR action is in progress here. */
  async idle(): Promise<void> {
    await this.#loop?.idle();
    await this.#snapshotLoop?.idle();
    await this.#cycles.run(async () => undefined);
  }

  async close(): Promise<void> {
    await this.stopLoop();
    this.#telemetry?.close();
    this.#telemetry = undefined;
  }

  /** One heartbeat cycle, now (GET /heartbeat, activation) or on schedule; cycles never interleave. */
  heartbeat(source: HeartbeatSource, tick?: Tick): Promise<HeartbeatResult> {
    return this.#cycles.run(async () => {
      this.#inCycle = true;
      try {
        return await this.#cycle(source, tick);
      } finally {
        this.#inCycle = false;
      }
    });
  }

  /** Measures the signals without writing a heartbeat (resume checks, seal conditions). */
  async measure(): Promise<TelemetryReading> {
    const now = this.#app.clock.now();
    return this.#telemetryNow({ scheduledAt: now, firedAt: now, lateMs: 0, missedSlots: 0, late: false });
  }

  /** The last heartbeat in the ledger (any process's). */
  lastHeartbeat(): LedgerEntry | undefined {
    return this.#app.ledger().query({ eventType: "HEARTBEAT", newestFirst: true, limit: 1 })[0];
  }

  /** `/codex stop`: STOP–RESET–REALIGN by hand. */
  stop(actor: Actor, reason: string, roles: string[]): Promise<IncidentView> {
    return this.#cycles.run(async () => {
      const srr = this.srr();
      if (srr.state === "HALTED") {
        throw new CodexError(
          "REFUSED",
          `the autonomy loop is already HALTED (since ${chicagoIso(new Date(srr.since ?? 0))}: ${srr.reason ?? "?"})`,
          {
            hint: "see the open incidents with /codex incident list",
          },
        );
      }
      const stopped = await this.#app.ledger().append({
        eventType: "SRR_STOPPED",
        level: "warn",
        actor: actorIdentity(actor),
        correlationId: randomUUID(),
        payload: { reason, roles },
      });
      const incident = await this.#halt(
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
        `the loop is HALTED, but the ledger could not record the halt: ${this.#app.ledger().writeFault()?.message ?? "its writes fail"}`,
        { hint: "the first heartbeat that can write records it and opens the incident; see /health" },
      );
    });
  }

  /** Why resume would be refused now; empty when it may proceed. Opens an incident for a frozen-config change. */
  async resumeBlockers(): Promise<string[]> {
    return this.#cycles.run(() => this.#resumeBlockers());
  }

  /** `/codex resume`: only when every incident of the halt is approved and resolved and custody holds. */
  resume(actor: Actor, roles: string[]): Promise<{ seq: number; incidents: string[] }> {
    return this.#cycles.run(async () => {
      const app = this.#app;
      const srr = this.srr();
      const reasons = await this.#resumeBlockers();
      if (reasons.length > 0) {
        await app.ledger().append({
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
      const mine = app
        .state()
        .listIncidents({ limit: 100 })
        .filter((i) => i.openedAt >= (srr.since ?? ""));
      // SRR_RESUMED carries an update for the thread of every incident of the halt.
      const entry = await this.#host.publisher.publish(
        mine.map((i) =>
          this.incidents.threadUpdate(
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
      app.state().setValue(SRR_KEY, { state: "RUNNING", since: utcIso(app.clock.now()) } satisfies SrrRecord);
      this.metrics.setGovernance(false, app.state().listIncidents({ status: "open" }).length);
      return { seq: entry.seq, incidents: mine.map((i) => i.id) };
    });
  }

  /** Whether governance is enforced: SRR RUNNING, no open incident, and every governed command has holders. */
  governanceCheck(): { ok: boolean; detail: string } {
    const app = this.#app;
    const charter = app.charter();
    const extra = app.extraRoles();
    const reasons: string[] = [];
    const srr = this.srr();
    if (srr.state === "HALTED") reasons.push(`STOP–RESET–REALIGN has the loop HALTED (${srr.reason ?? "?"})`);
    const open = app.state().listIncidents({ status: "open" });
    if (open.length > 0) reasons.push(`${open.length} open incident(s): ${open.map((i) => i.id).join(", ")}`);
    for (const permission of GOVERNED_PERMISSIONS) {
      const roles = rolesFor(charter, permission);
      if (roles.some((r) => charter.roles[r]?.members.includes("*"))) {
        reasons.push(`"${permission}" is granted to every member ("*"); it must be limited to named roles`);
        continue;
      }
      const held = roles.some(
        (r) => (charter.roles[r]?.members.length ?? 0) > 0 || (extra[r]?.length ?? 0) > 0,
      );
      if (!held) {
        reasons.push(
          `nobody holds a role that may ${permission.replace(".", " ")} (${roles.join(", ") || "no roles"}): add members in ${charter.file} or MAOS_ROLES`,
        );
      }
    }
    const solo = this.selfApprovalNote();
    return reasons.length === 0
      ? {
          ok: true,
          detail: `charter ${charter.hash.slice(0, 12)} enforced: every governed command has named holders, SRR RUNNING, no open incident${solo ? `; ${solo}` : ""}`,
        }
      : { ok: false, detail: [...reasons, ...(solo ? [solo] : [])].join("; ") };
  }

  /**
   * Under a single-person deployment (charter approvals.self_approval: true) the same person may
   * request and approve: say so, with how many decisions were self-approved, wherever governance is
   * reported (status, activation, the governance_enforced seal condition). Undefined otherwise.
   */
  selfApprovalNote(): string | undefined {
    const app = this.#app;
    if (!app.charter().approvals.selfApproval) return undefined;
    const count = existsSync(app.ledgerPath())
      ? app
          .ledger()
          .query({ eventType: "APPROVAL_ACCEPTED" })
          .filter((e) => obj(e).selfApproval === true).length
      : 0;
    return `single-person deployment: approvals.self_approval is on, so approvals are not independent (${count} self-approval(s) recorded in the ledger)`;
  }

  /** The full state as JSON (GET /status). */
  stateJson(): Record<string, unknown> {
    const app = this.#app;
    const srr = this.srr();
    const last = this.lastHeartbeat();
    const seal = app.state().latestSeal<{ commit: string; file: string }>();
    const ledger = app.ledger();
    return {
      status: "ok",
      at: utcIso(app.clock.now()),
      environment: ledger.environment,
      srr: { state: srr.state, since: srr.since, ...(srr.reason ? { reason: srr.reason } : {}) },
      loop: this.loopStatus(),
      relay: this.relayStatus(),
      drift: last ? (obj(last).drift ?? null) : null,
      lastHeartbeat: last
        ? {
            seq: last.seq,
            at: last.timestampUtc,
            atCt: last.timestampCt,
            ageSeconds: Math.round((app.clock.now().getTime() - Date.parse(last.timestampUtc)) / 1000),
            signals: obj(last),
          }
        : null,
      incidents: app
        .state()
        .listIncidents({ status: "open" })
        .map((i) => ({
          id: i.id,
          trigger: i.trigger,
          summary: i.summary,
          openedAt: i.openedAt,
          approvalId: i.approvalId ?? null,
        })),
      seal: seal
        ? {
            version: seal.version,
            sealedAt: seal.sealedAt,
            commit: seal.record.commit,
            file: seal.record.file,
          }
        : null,
      governance: this.governanceCheck(),
      ledger: { size: ledger.size(), head: ledger.head().hash },
    };
  }

  /** The App Home's autonomy section, as lines of mrkdwn. */
  homeSummary(): string {
    const loop = this.loopStatus();
    const srr = this.srr();
    const last = this.lastHeartbeat();
    if (!loop.running && !last) return "not running yet (start it with `/codex activate`)";
    const lines: string[] = [];
    const words = autonomyInWords(srr, loop);
    lines.push(`${words.state === "halted" ? "🛑" : words.state === "on" ? "▶️" : "⏸️"} ${words.text}`);
    if (last) {
      const d = obj(last).drift as { score?: number; band?: string } | undefined;
      lines.push(
        `Last heartbeat ${last.timestampCt} (seq ${last.seq}) · drift ${d?.score ?? "?"} (${d?.band ?? "?"})`,
      );
    }
    const open = this.#app.state().listIncidents({ status: "open" });
    lines.push(open.length > 0 ? `Open incidents: ${open.map((i) => i.id).join(", ")}` : "No open incidents");
    const seal = this.#app.state().latestSeal();
    lines.push(seal ? `Last seal MVP_${seal.version} (${seal.sealedAt})` : "No MVP seal yet");
    return lines.join("\n");
  }

  async #scheduledBeat(tick: Tick): Promise<void> {
    try {
      await this.heartbeat("schedule", tick);
    } catch (err) {
      this.#app.log.error({ err }, "heartbeat failed");
    }
  }

  async #skipped(tick: Tick): Promise<void> {
    this.metrics.skipped();
    this.#app.log.warn(
      { scheduledAt: tick.scheduledAt },
      "heartbeat skipped: the previous one is still running",
    );
    await this.#app.ledger().append({
      eventType: "HEARTBEAT_SKIPPED",
      level: "warn",
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: this.#loopCorrelation,
      payload: {
        scheduledAt: utcIso(tick.scheduledAt),
        firedAt: utcIso(tick.firedAt),
        reason: "previous heartbeat still running",
      },
    });
  }

  #telemetryNow(tick: Tick): Promise<TelemetryReading> {
    const app = this.#app;
    this.#telemetry ??= new Telemetry(app);
    const seal = app.state().latestSeal<{ hashes: ConfigHashes }>();
    return this.#telemetry.measure({
      tick,
      srr: this.srr().state,
      openIncidents: app.state().listIncidents({ status: "open" }).length,
      relay: this.relayStatus(),
      seal: seal ? { version: seal.version, hashes: seal.record.hashes } : undefined,
    });
  }

  async #cycle(source: HeartbeatSource, given?: Tick): Promise<HeartbeatResult> {
    const app = this.#app;
    const now = app.clock.now();
    const tick = given ?? { scheduledAt: now, firedAt: now, lateMs: 0, missedSlots: 0, late: false };
    const reading = await this.#telemetryNow(tick);
    const srrBefore = this.srr().state;
    let entry: LedgerEntry;
    try {
      entry = await app.ledger().append({
        eventType: "HEARTBEAT",
        level: reading.drift.band === "green" && reading.faults.length === 0 ? "info" : "warn",
        actor: actorIdentity(SYSTEM_ACTOR),
        correlationId: this.#loopCorrelation,
        payload: { source, srr: srrBefore, ...reading },
      });
    } catch (err) {
      if (!app.ledger().writeFault()) throw err;
      return this.#unwritable(tick, err);
    }
    await pausePoint("heartbeat:recorded");
    if (tick.missedSlots > 0 || tick.late) {
      await app.ledger().append({
        eventType: "HEARTBEAT_LATE",
        level: "warn",
        actor: actorIdentity(SYSTEM_ACTOR),
        correlationId: this.#loopCorrelation,
        payload: { heartbeatSeq: entry.seq, ...reading.tick },
      });
    }
    const lease = this.#lease();
    if (this.#loop?.running && lease?.pid === process.pid) {
      app.state().setValue(LEASE_KEY, {
        ...lease,
        lastBeatAt: utcIso(now),
        relayPort: this.#relay?.port ?? lease.relayPort,
      });
    }
    this.metrics.update(reading);

    const signals = await this.#bandChange(reading, entry);
    let incident: IncidentView | undefined;
    const hits = await this.#triggers(reading, entry);
    if (srrBefore === "RUNNING") {
      const haltOn = app.charter().srr.haltOn;
      const active = hits.filter((h) => h.trigger === "manual" || haltOn.includes(h.trigger));
      if (active.length > 0) incident = await this.#halt(active, SYSTEM_ACTOR, reading.drift);
    } else {
      const unrecorded = this.srr().unrecorded;
      incident = unrecorded ? await this.#recordHalt(unrecorded, true) : await this.#checkFrozen();
    }
    // A ledger or vault that failed custody is not signed over: its checkpoints would vouch for the break.
    if (reading.ledger.ok && reading.vault.ok) await this.#anchor();
    this.#host.afterBeat?.();
    return {
      status: "ok",
      seq: entry.seq,
      at: entry.timestampUtc,
      atCt: entry.timestampCt,
      source,
      srr: this.srr().state,
      drift: { score: reading.drift.score, band: reading.drift.band, components: reading.drift.components },
      signals: reading,
      relays: { ledger: entry.seq, metrics: "updated", signals },
      ...(incident ? { incident: incident.id } : {}),
    };
  }

  /**
   * Every heartbeat ends covered: a signed checkpoint over every entry so far, kept in state.db and the
   * vault (committed at once when a sealed run is not yet anchored by a committed checkpoint). While a
   * seal holds the vault, the vault's copy waits for the next heartbeat instead of this one waiting.
   */
  async #anchor(): Promise<void> {
    try {
      await this.#app.anchor({ commitIfSealUnanchored: true, ifVaultFree: true });
    } catch (err) {
      this.#app.log.warn({ err }, "heartbeat: could not anchor the ledger checkpoint");
    }
  }

  /** Alerts on a change of band only (no heartbeat spam): green→yellow, yellow→red, and recoveries. */
  async #bandChange(reading: TelemetryReading, heartbeat: LedgerEntry): Promise<string> {
    const app = this.#app;
    const from = this.lastBand();
    const to = reading.drift.band;
    if (from === to) return `band unchanged (${to}): nothing posted`;
    app.state().setValue(BAND_KEY, to);
    const top = topComponents(reading.drift);
    const changed: LedgerAppend = {
      eventType: "DRIFT_BAND_CHANGED",
      level: to === "green" ? "info" : to === "yellow" ? "warn" : "error",
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: this.#loopCorrelation,
      payload: { from: from ?? null, to, score: reading.drift.score, heartbeatSeq: heartbeat.seq, top },
    };
    if (from === undefined) {
      await app.ledger().append(changed);
      return `first band recorded (${to}): nothing posted`;
    }
    const rank = { green: 0, yellow: 1, red: 2 } as const;
    const recovery = rank[to] < rank[from];
    const title = recovery
      ? `Drift recovery: ${from} → ${to} (${reading.drift.score})`
      : `Drift alert: ${from} → ${to} (${reading.drift.score})`;
    const icon = to === "green" ? "🟢" : to === "yellow" ? "🟡" : "🔴";
    const lines = top.map(
      (c) => `• ${c.name}: ${c.points} points (${Math.round(c.share * 100)}%): ${c.detail}`,
    );
    const reply: Reply = {
      summary: title,
      parts: [
        { kind: "header", text: `${icon} ${title}` },
        {
          kind: "text",
          text: lines.length > 0 ? `*Top components*\n${lines.join("\n")}` : "Every component is at 0.",
        },
        {
          kind: "context",
          text: `heartbeat seq ${heartbeat.seq} · ${heartbeat.timestampCt} · bands: green ≤ ${app.charter().drift.bands.greenMax}, yellow ≤ ${app.charter().drift.bands.yellowMax}, red above (halts)`,
        },
      ],
    };
    await this.#host.publisher.publish(
      {
        kind: "drift",
        title,
        reply,
        markdown: `# ${title}\n\n${reading.drift.components.map((c) => `- ${c.name}: ${c.points} (${c.detail})`).join("\n")}\n\nHeartbeat seq ${heartbeat.seq}.\n`,
        correlationId: this.#loopCorrelation,
        drift: reading.drift.score,
        governanceStatus: this.srr().state,
        occurredAt: app.clock.now(),
        channel: "signals",
      },
      changed,
    );
    return `${recovery ? "recovery" : "alert"} posted (${from} → ${to})`;
  }

  /** The SRR triggers this heartbeat shows; new violations and identity mismatches are scanned once. */
  async #triggers(reading: TelemetryReading, heartbeat: LedgerEntry): Promise<TriggerHit[]> {
    const app = this.#app;
    const hb = link(heartbeat);
    const hits: TriggerHit[] = [];
    if (reading.drift.band === "red") {
      hits.push({
        trigger: "drift_red",
        reason: `drift ${reading.drift.score} is over ${app.charter().drift.bands.yellowMax} (red)`,
        evidence: [hb],
      });
    }
    if (!reading.ledger.ok || !reading.vault.ok) {
      const what = !reading.ledger.ok
        ? `the ledger failed verification${reading.ledger.firstBad ? ` at seq ${reading.ledger.firstBad.seq}: ${reading.ledger.firstBad.reason}` : ""}`
        : `the vault failed verification: ${reading.vault.problem ?? "mismatch"}`;
      hits.push({ trigger: "custody_break", reason: `custody break: ${what}`, evidence: [hb] });
    }
    if (reading.faults.length > 0) {
      hits.push({
        trigger: "telemetry_fault",
        reason: `telemetry fault: ${reading.faults.join("; ")}`,
        evidence: [hb],
      });
    }
    const store = app.state();
    const scanned = store.getValue<number>(SCANNED_KEY);
    store.setValue(SCANNED_KEY, heartbeat.seq);
    // The first heartbeat ever only sets the mark: history from before the loop never halts it.
    if (scanned === undefined) return hits;
    const after = (type: string) =>
      app
        .ledger()
        .query({ eventType: type, newestFirst: true, limit: 200 })
        .filter((e) => e.seq > scanned && e.seq < heartbeat.seq);
    // A violation an incident already reports (config changed while frozen) is that incident's to
    // resolve; once resolved it must never trip the loop again, whatever restarts came between.
    const reported = new Set(
      store
        .listIncidents({ limit: 1000 })
        .flatMap((i) => ((i.report as { evidence?: LedgerLink[] }).evidence ?? []).map((e) => e.seq)),
    );
    const violations = after("GOVERNANCE_VIOLATION").filter((v) => !reported.has(v.seq));
    if (violations.length > 0) {
      hits.push({
        trigger: "governance_violation",
        reason: `${violations.length} governance violation(s): ${violations
          .map((v) => String(obj(v).rule ?? obj(v).kind ?? obj(v).reason ?? v.eventType))
          .join(", ")}`,
        evidence: violations.map(link),
      });
    }
    const mismatches = await this.#identityMismatches(after);
    if (mismatches.length > 0) {
      hits.push({
        trigger: "identity_mismatch",
        reason: `identity mismatch: ${mismatches.map((m) => m.reason).join("; ")}`,
        evidence: mismatches.map((m) => m.link),
      });
    }
    return hits;
  }

  /** Governed acts recorded by an actor the current charter does not know for them. */
  async #identityMismatches(
    after: (type: string) => LedgerEntry[],
  ): Promise<{ reason: string; link: LedgerLink }[]> {
    const app = this.#app;
    const charter = app.charter();
    const out: { reason: string; link: LedgerLink }[] = [];
    for (const [type, permissionOf] of Object.entries(GOVERNED_EVENTS)) {
      for (const e of after(type)) {
        const who = parseIdentity(e.actorIdentity);
        if (who.source === "system") continue;
        const permission = permissionOf(e);
        const needed = rolesFor(charter, permission);
        const claimed = Array.isArray(obj(e).roles) ? (obj(e).roles as unknown[]).map(String) : [];
        const held = new Set([...claimed, ...rolesOf(charter, who.id, [], app.extraRoles())]);
        if (needed.some((r) => held.has(r))) continue;
        const reason = `${e.actorIdentity} recorded ${type} (seq ${e.seq}) without a role that may ${permission}`;
        const m = await app.ledger().append({
          eventType: "IDENTITY_MISMATCH",
          level: "error",
          actor: actorIdentity(SYSTEM_ACTOR),
          correlationId: e.correlationId,
          payload: { seq: e.seq, eventType: type, actor: e.actorIdentity, permission, needed },
        });
        out.push({ reason, link: link(m) });
      }
    }
    return out;
  }

  /**
   * The heartbeat could not be written: the ledger's writes fail. That is a telemetry fault and a
   * custody break at once: the reading is taken again (it now carries the write error), metrics show
   * it, and SRR halts (recorded in state.db now, in the ledger by the first heartbeat that can write).
   * Throws the write error, so /heartbeat and the scheduler report it rather than a heartbeat.
   */
  async #unwritable(tick: Tick, err: unknown): Promise<never> {
    const app = this.#app;
    const reading = await this.#telemetryNow(tick);
    this.metrics.update(reading);
    const reasons: TriggerHit[] = [
      { trigger: "telemetry_fault", reason: `telemetry fault: ${reading.faults.join("; ")}`, evidence: [] },
      {
        trigger: "custody_break",
        reason: `custody break: the ledger cannot be written (${app.ledger().writeFault()?.message ?? String(err)})`,
        evidence: [],
      },
    ];
    const active = reasons.filter((h) => app.charter().srr.haltOn.includes(h.trigger as SrrTrigger));
    if (this.srr().state === "RUNNING" && active.length > 0)
      await this.#halt(active, SYSTEM_ACTOR, reading.drift);
    const cause = err as { message?: string; hint?: string };
    throw new CodexError(
      "LEDGER_BROKEN",
      `the heartbeat could not be written: ${cause.message ?? String(err)}`,
      {
        hint: `${cause.hint ?? "check the ledger file"}. STOP–RESET–REALIGN has the loop ${this.srr().state}; /health answers 503 until a write succeeds`,
        cause: err,
      },
    );
  }

  /**
   * STOP–RESET–REALIGN: pause the loop's work, log, freeze configs, open the incident. The state is
   * written first (runs are refused from now on); when the ledger cannot take the record, the halt
   * waits in state.db for the first heartbeat that can write (#recordHalt) and no incident is returned.
   */
  async #halt(
    hits: TriggerHit[],
    actor: Actor,
    drift: DriftResult | undefined,
  ): Promise<IncidentView | undefined> {
    const app = this.#app;
    const correlationId = randomUUID();
    const frozen = configHashes(app);
    const summary = hits.map((h) => h.trigger.replaceAll("_", " ")).join(" + ");
    app.state().setValue(SRR_KEY, {
      state: "HALTED",
      since: utcIso(app.clock.now()),
      reason: summary,
      correlationId,
      frozen,
      frozenReported: frozen,
    } satisfies SrrRecord);
    this.metrics.setGovernance(true, app.state().listIncidents({ status: "open" }).length);
    const pending = { hits, actor, ...(drift ? { drift } : {}) };
    const fault = app.ledger().writeFault();
    if (fault) {
      this.#keepUnrecorded(pending, fault.message);
      return undefined;
    }
    try {
      return await this.#recordHalt({ ...pending, writeError: "" }, false);
    } catch (err) {
      const later = app.ledger().writeFault();
      if (!later) throw err;
      this.#keepUnrecorded(pending, later.message);
      return undefined;
    }
  }

  #keepUnrecorded(
    pending: Omit<NonNullable<SrrRecord["unrecorded"]>, "writeError">,
    writeError: string,
  ): void {
    const srr = this.srr();
    this.#app
      .state()
      .setValue(SRR_KEY, { ...srr, unrecorded: { ...pending, writeError } } satisfies SrrRecord);
    this.#app.log.error(
      { reason: srr.reason, writeError },
      "STOP–RESET–REALIGN halted the loop; the ledger cannot record it yet (the first heartbeat that can write will)",
    );
  }

  /** Writes SRR_HALTED for the halt in force (late when it waited for the ledger) and opens its incident. */
  async #recordHalt(pending: NonNullable<SrrRecord["unrecorded"]>, late: boolean): Promise<IncidentView> {
    const app = this.#app;
    const srr = this.srr();
    const correlationId = srr.correlationId ?? randomUUID();
    const { hits, actor, drift } = pending;
    const halted = await app.ledger().append({
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
    const { unrecorded: _done, ...rest } = srr;
    app.state().setValue(SRR_KEY, { ...rest, haltSeq: halted.seq } satisfies SrrRecord);
    const incident = await this.incidents.open({
      trigger: hits[0]?.trigger ?? "manual",
      summary: `STOP–RESET–REALIGN: ${srr.reason ?? hits.map((h) => h.trigger.replaceAll("_", " ")).join(" + ")}`,
      reasons: hits.map((h) => h.reason),
      ...(drift ? { drift } : {}),
      evidence: [...hits.flatMap((h) => h.evidence), link(halted)],
      ...(srr.frozen ? { frozen: srr.frozen } : {}),
      actor,
      correlationId,
    });
    this.metrics.setGovernance(true, app.state().listIncidents({ status: "open" }).length);
    return incident;
  }

  /** While frozen, any config change is a governance violation with an incident of its own. */
  async #checkFrozen(): Promise<IncidentView | undefined> {
    const app = this.#app;
    const srr = this.srr();
    if (srr.state !== "HALTED" || !srr.frozen) return undefined;
    const current = configHashes(app);
    const changes = diffHashes(srr.frozenReported ?? srr.frozen, current);
    if (changes.length === 0) return undefined;
    const files = changes.map((c) => `${c.file} ${c.change}`).join(", ");
    const violation = await app.ledger().append({
      eventType: "GOVERNANCE_VIOLATION",
      level: "error",
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: srr.correlationId ?? this.#loopCorrelation,
      payload: { rule: "config_changed_while_frozen", changes, frozenSince: srr.since },
    });
    app.state().setValue(SRR_KEY, { ...srr, frozenReported: current } satisfies SrrRecord);
    const incident = await this.incidents.open({
      trigger: "governance_violation",
      summary: `config changed while frozen: ${files}`,
      reasons: [
        `while STOP–RESET–REALIGN had configs frozen (since ${chicagoIso(new Date(srr.since ?? 0))}), ${files}`,
      ],
      evidence: [link(violation)],
      frozen: srr.frozen,
      actor: SYSTEM_ACTOR,
      correlationId: randomUUID(),
    });
    this.metrics.setGovernance(true, app.state().listIncidents({ status: "open" }).length);
    return incident;
  }

  async #resumeBlockers(): Promise<string[]> {
    const srr = this.srr();
    if (srr.state !== "HALTED") return ["the autonomy loop is not halted: it is already RUNNING"];
    if (srr.unrecorded) {
      return [
        `the halt is not in the ledger yet (its writes failed: ${srr.unrecorded.writeError}); the first heartbeat that can write records it and opens its incident`,
      ];
    }
    await this.#checkFrozen();
    const reasons: string[] = [];
    for (const i of this.incidents.list("open", 100).reverse()) {
      if (!i.approved) {
        reasons.push(
          `${i.id} is not approved (${i.approvalId ?? "no approval"} is ${i.approval?.status ?? "missing"}; approvers: ${this.incidents.approverRoles().join(" or ") || "nobody"})`,
        );
      }
      reasons.push(`${i.id} has no resolution note (/codex incident resolve ${i.id} <note>)`);
    }
    const reading = await this.measure();
    if (!reading.ledger.ok) {
      reasons.push(
        `the ledger still fails verification${reading.ledger.firstBad ? ` at seq ${reading.ledger.firstBad.seq}` : ""}: restore it before resuming`,
      );
    }
    if (!reading.vault.ok)
      reasons.push(`the vault still fails verification: ${reading.vault.problem ?? "mismatch"}`);
    if (reading.ledger.ok && reading.vault.ok && reading.drift.band === "red") {
      reasons.push(
        `drift is red now (${reading.drift.score}); resuming would halt again at the next heartbeat`,
      );
    }
    return reasons;
  }

  #lease(): LoopLease | undefined {
    return this.#app.state().getValue<LoopLease>(LEASE_KEY);
  }

  /** The lease of a loop that is still beating: fresh enough, and its process alive when on this host. */
  #liveLease(): LoopLease | undefined {
    const lease = this.#lease();
    if (!lease) return undefined;
    if (lease.pid === process.pid && lease.host === os.hostname())
      return this.#loop?.running ? lease : undefined;
    const last = Date.parse(lease.lastBeatAt ?? lease.startedAt);
    const maxAge = lease.intervalSeconds * 1000 * LEASE_INTERVALS + LEASE_MARGIN_MS;
    if (this.#app.clock.now().getTime() - last > maxAge) return undefined;
    if (lease.host === os.hostname()) {
      try {
        process.kill(lease.pid, 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ESRCH") return undefined;
      }
    }
    return lease;
  }
}
