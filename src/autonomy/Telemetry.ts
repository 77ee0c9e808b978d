import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { type ELDHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import v8 from "node:v8";
import type { Tick } from "../core/TickScheduler.ts";
import { utcIso } from "../core/timestamps.ts";
import { type EventType, type LedgerEvents, payloadOf } from "../ledger/events.ts";
import type { LedgerEntry } from "../ledger/Ledger.ts";
import { WindowReader } from "../ledger/windowReader.ts";
import { readSlackConnection, type SlackConnectionStatus } from "../state/slackConnection.ts";
import type { TelemetryDeps } from "./AutonomyDeps.ts";
import { type ConfigChange, type ConfigHashes, configHashes, diffHashes } from "./configHashes.ts";
import { type DriftInput, type DriftResult, scoreDrift } from "./drift.ts";

export interface RelayStatus {
  online: boolean;
  uptimeSeconds: number | null;
  /** Where it answers, or why it is not known to be online. */
  detail: string;
}

export interface LoadReading {
  /** 0..1: the worst of the four normalised measures below. */
  index: number;
  eventLoopLagMs: number;
  /** Process CPU time over wall time, per core, 0..1. */
  cpu: number;
  /** V8 heap used over its limit, 0..1. */
  memory: number;
  rssBytes: number;
  /** Runs started and not yet finished. */
  runQueue: number;
}

export interface AgentStatus {
  status: "ok" | "degraded" | "failing" | "idle";
  attempts: number;
  failed: number;
  byProvider: Record<string, { attempts: number; failed: number }>;
}

export interface TelemetryReading {
  at: string;
  heartbeatAgeSeconds: number | null;
  tick: { scheduledAt: string; firedAt: string; lateMs: number; missedSlots: number; late: boolean };
  load: LoadReading;
  drift: DriftResult;
  agents: AgentStatus;
  governance: {
    compliant: boolean;
    violations: number;
    refusals: number;
    srr: string;
    openIncidents: number;
  };
  sealAlignment: { sealVersion: string | null; aligned: boolean; changes: ConfigChange[] };
  ledger: {
    ok: boolean;
    size: number;
    checkpoints: number;
    firstBad?: { seq: number; reason: string };
    /** Why the last write failed, while writes fail (the ledger verifies, but nothing new can be recorded). */
    writeError?: string;
  };
  vault: { ok: boolean; runs: number; problem?: string };
  relay: RelayStatus;
  /** The Slack connection as the bot last recorded it (state.db); null when Slack never ran here. */
  slack: SlackConnectionStatus | null;
  /** Signals that could not be measured this cycle (a telemetry fault), with why. */
  faults: string[];
}

export interface TelemetryContext {
  tick: Tick;
  srr: string;
  openIncidents: number;
  relay: RelayStatus;
  /** The hashes the last MVP seal recorded, if there is one. */
  seal: { version: string; hashes: ConfigHashes } | undefined;
}

/** Event-loop lag at which the lag measure reads 1 (a UI would feel it; Slack's 3 s ack is at risk). */
const LAG_FULL_MS = 200;
/** Concurrent runs at which the queue measure reads 1. */
const QUEUE_FULL = 4;
/** How many recent entries of one type are read to find the window's (the window rarely holds more). */
const WINDOW_SCAN = 2000;
/** The entry types the window's signals count, and the payload fields each reads. */
const WINDOW = {
  AGENT_ATTEMPT: ["provider", "outcome"],
  RUN_COMPLETED: ["score"],
  RUN_FAILED: ["error.code"],
  GOVERNANCE_VIOLATION: [],
  IDENTITY_MISMATCH: [],
  GUARDRAIL_BLOCKED: [],
  GOVERNANCE_REFUSAL: [],
  APPROVAL_REFUSED: [],
  EVIDENCE_POSTED: [],
  EVIDENCE_FAILED: [],
} as const satisfies { [T in EventType]?: readonly FieldOf<T>[] };
type WindowType = keyof typeof WINDOW;

/**
 * Measures the telemetry signals of one heartbeat: heartbeat age, load, drift (and everything drift is
 * computed from), agent status, governance compliance, seal alignment, ledger and vault health, relay
 * uptime. Each signal is measured on its own; one that fails is listed in `faults` (a telemetry fault,
 * an SRR trigger) and reads as unhealthy rather than stopping the others.
 */
export class Telemetry {
  readonly #app: TelemetryDeps;
  readonly #lag: ELDHistogram;
  #cpu = process.cpuUsage();
  // CPU time is real process time, so its denominator is real wall time, not the injected clock.
  #cpuWall = performance.now();
  #reader: WindowReader | undefined;

  constructor(app: TelemetryDeps) {
    this.#app = app;
    this.#lag = monitorEventLoopDelay({ resolution: 20 });
    this.#lag.enable();
  }

  /** Resolves once the window reader's thread has ended (the ledger is closed after it). */
  async close(): Promise<void> {
    this.#lag.disable();
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.close();
  }

  async measure(ctx: TelemetryContext): Promise<TelemetryReading> {
    const app = this.#app;
    const charter = app.charter();
    const now = app.clock.now();
    const faults: string[] = [];
    const attempt = <T>(signal: string, fallback: T, f: () => T): T => {
      try {
        return f();
      } catch (err) {
        faults.push(`${signal}: ${err instanceof Error ? err.message : String(err)}`);
        return fallback;
      }
    };
    const ledger = app.ledger();
    const since = utcIso(new Date(now.getTime() - charter.drift.windowMinutes * 60_000));
    // Only the window's entries are read (a seq range), however long the history behind it.
    const windowStart = windowStartSeq(ledger, since);
    // The payload fields each signal needs, read by SQLite from the window's entries of one type, on the
    // window reader's thread: parsing every entry here held the event loop for 50-190 ms a beat on a busy
    // ledger, and reading a window whose pages are cold still held it for 65-83 ms (issue 11).
    const window = await this.#readWindow(ledger, windowStart, since);
    const inWindow = (type: WindowType): unknown[][] => {
      if (window instanceof Error) throw window;
      return window.rows[type];
    };

    const previous = attempt("heartbeat", [] as LedgerEntry[], () =>
      ledger.query({
        eventType: "HEARTBEAT",
        newestFirst: true,
        limit: Math.max(0, charter.drift.windowCycles - 1),
      }),
    );
    const last = previous[0];
    const heartbeatAgeSeconds = last
      ? Math.max(0, Math.round((now.getTime() - Date.parse(last.timestampUtc)) / 1000))
      : null;
    const ticks = [
      { missedSlots: ctx.tick.missedSlots, late: ctx.tick.late },
      ...previous.map((e) => {
        const t = payloadOf(e, "HEARTBEAT").tick;
        return {
          missedSlots: typeof t?.missedSlots === "number" ? t.missedSlots : 0,
          late: t?.late === true,
        };
      }),
    ];

    const agents = attempt<AgentStatus>(
      "agents",
      { status: "idle", attempts: 0, failed: 0, byProvider: {} },
      () => agentStatus(inWindow("AGENT_ATTEMPT")),
    );
    const runs = attempt("runs", { scores: [] as number[], failed: 0 }, () => {
      const scores = inWindow("RUN_COMPLETED")
        .map(([score]) => score)
        .filter((score): score is number => typeof score === "number");
      // A run the guardrails blocked is counted under governance, not as a quality shortfall.
      const failed = inWindow("RUN_FAILED").filter(([code]) => code !== "GUARDRAIL_VIOLATION").length;
      return { scores, failed };
    });
    const violations = attempt("governance", 0, () =>
      (["GOVERNANCE_VIOLATION", "IDENTITY_MISMATCH"] as const).reduce((n, t) => n + inWindow(t).length, 0),
    );
    const blocks = attempt("governance", 0, () => inWindow("GUARDRAIL_BLOCKED").length);
    const refusals = attempt("governance", 0, () =>
      (["GOVERNANCE_REFUSAL", "APPROVAL_REFUSED"] as const).reduce((n, t) => n + inWindow(t).length, 0),
    );
    let deadLetters = 0;
    try {
      deadLetters = await app.relays().deadLetterCount();
    } catch (err) {
      faults.push(`evidence: ${err instanceof Error ? err.message : String(err)}`);
    }
    const evidence = attempt("evidence", { delivered: 0, failed: 0 }, () => ({
      delivered: inWindow("EVIDENCE_POSTED").length,
      // Dead letters in the outbox count until they are redriven, not only while their entry is recent.
      failed: Math.max(inWindow("EVIDENCE_FAILED").length, deadLetters),
    }));
    const current = attempt<ConfigHashes>("seal alignment", {}, () => configHashes(app));
    const changes = ctx.seal ? diffHashes(ctx.seal.hashes, current) : [];

    const ledgerHealth = await this.#ledgerHealth(faults);
    const vaultHealth = await this.#vaultHealth(faults);
    const load = attempt<LoadReading>(
      "load",
      { index: 0, eventLoopLagMs: 0, cpu: 0, memory: 0, rssBytes: 0, runQueue: 0 },
      // Without the window (its reader failed, a fault each signal reports) the queue reads as empty.
      () => this.#load(window instanceof Error ? 0 : window.openRuns),
    );

    const input: DriftInput = {
      heartbeat: {
        window: charter.drift.windowCycles,
        counted: ticks.length,
        missedSlots: ticks.reduce((n, t) => n + t.missedSlots, 0),
        lateTicks: ticks.filter((t) => t.late).length,
      },
      providers: { attempts: agents.attempts, failed: agents.failed },
      runs,
      governance: { violations, blocks },
      unsealed: {
        sealed: ctx.seal !== undefined,
        files: Object.keys(current).length,
        changed: changes.length,
      },
      evidence,
      custody: {
        ledgerOk: ledgerHealth.ok,
        vaultOk: vaultHealth.ok,
        ...(!ledgerHealth.ok
          ? {
              reason: ledgerHealth.writeError
                ? `the ledger (its writes fail: ${ledgerHealth.writeError})`
                : `the ledger${ledgerHealth.firstBad ? ` (seq ${ledgerHealth.firstBad.seq}: ${ledgerHealth.firstBad.reason})` : ""}`,
            }
          : !vaultHealth.ok
            ? { reason: `the vault (${vaultHealth.problem ?? "mismatch"})` }
            : {}),
      },
    };
    const drift = scoreDrift(input, charter);
    return {
      at: utcIso(now),
      heartbeatAgeSeconds,
      tick: {
        scheduledAt: utcIso(ctx.tick.scheduledAt),
        firedAt: utcIso(ctx.tick.firedAt),
        lateMs: ctx.tick.lateMs,
        missedSlots: ctx.tick.missedSlots,
        late: ctx.tick.late,
      },
      load,
      drift,
      agents,
      governance: {
        compliant: violations === 0 && ctx.srr === "RUNNING",
        violations,
        refusals,
        srr: ctx.srr,
        openIncidents: ctx.openIncidents,
      },
      sealAlignment: {
        sealVersion: ctx.seal?.version ?? null,
        aligned: ctx.seal !== undefined && changes.length === 0,
        changes,
      },
      ledger: ledgerHealth,
      vault: vaultHealth,
      relay: ctx.relay,
      slack: (await readSlackConnection(app.state())) ?? null,
      faults,
    };
  }

  /** The window's rows for every signal, from one snapshot on the reader's thread, or an Error every signal reading it reports. */
  async #readWindow(
    ledger: ReturnType<TelemetryDeps["ledger"]>,
    windowStart: number,
    since: string,
  ): Promise<{ rows: Record<WindowType, unknown[][]>; openRuns: number } | Error> {
    const types = Object.keys(WINDOW) as WindowType[];
    const requests = types.map((type) => ({
      filters: { eventType: type, limit: WINDOW_SCAN, afterSeq: windowStart - 1, sinceUtc: since },
      paths: WINDOW[type],
    }));
    try {
      this.#reader ??= new WindowReader(ledger.path);
      const read = await this.#reader.read(requests);
      const rows = Object.fromEntries(types.map((type, i) => [type, read.rows[i] ?? []]));
      return { rows: rows as Record<WindowType, unknown[][]>, openRuns: read.openRuns };
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  async #ledgerHealth(faults: string[]): Promise<TelemetryReading["ledger"]> {
    const app = this.#app;
    // A ledger that cannot be written is a fault at once, even while what it holds still verifies.
    const writeFault = app.ledger().writeFault();
    if (writeFault) faults.push(`ledger write: ${writeFault.message}`);
    try {
      const r = await app.custody();
      return {
        ok: r.ok && !writeFault,
        size: r.size,
        checkpoints: r.checkpointsChecked,
        ...(r.firstBad ? { firstBad: r.firstBad } : {}),
        ...(writeFault ? { writeError: writeFault.message } : {}),
      };
    } catch (err) {
      // Unreadable counts as broken custody, and as a fault of the ledger-health signal.
      const reason = err instanceof Error ? err.message : String(err);
      faults.push(`ledger health: ${reason}`);
      return { ok: false, size: 0, checkpoints: 0, firstBad: { seq: -1, reason } };
    }
  }

  async #vaultHealth(faults: string[]): Promise<TelemetryReading["vault"]> {
    const app = this.#app;
    if (!existsSync(path.join(app.home, "vault", ".git"))) return { ok: true, runs: 0 };
    try {
      // What changed since the last verified point only (new commits, new RUN_SEALED entries), committed
      // state only and without the vault lock: a run sealing meanwhile is neither waited for nor seen
      // half made. A full pass runs hourly, in a worker thread (see VaultWatch).
      const check = await app.vaultWatch().check();
      return {
        ok: check.ok,
        runs: check.runs,
        ...(check.ok ? {} : { problem: check.problems.map((p) => p.reason).join("; ") }),
      };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      faults.push(`vault health: ${reason}`);
      return { ok: false, runs: 0, problem: reason };
    }
  }

  #load(runQueue: number): LoadReading {
    const lagMs = Number.isFinite(this.#lag.percentile(99)) ? this.#lag.percentile(99) / 1e6 : 0;
    this.#lag.reset();
    const wall = performance.now();
    const used = process.cpuUsage(this.#cpu);
    const elapsedUs = Math.max(1, (wall - this.#cpuWall) * 1000);
    this.#cpu = process.cpuUsage();
    this.#cpuWall = wall;
    const cpu = Math.min(1, (used.user + used.system) / elapsedUs / availableParallelism());
    const heap = v8.getHeapStatistics();
    const memory = heap.heap_size_limit > 0 ? heap.used_heap_size / heap.heap_size_limit : 0;
    const index = Math.max(Math.min(1, lagMs / LAG_FULL_MS), cpu, memory, Math.min(1, runQueue / QUEUE_FULL));
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    return {
      index: r3(index),
      eventLoopLagMs: Math.round(lagMs * 10) / 10,
      cpu: r3(cpu),
      memory: r3(memory),
      rssBytes: process.memoryUsage.rss(),
      runQueue,
    };
  }
}

/**
 * The first seq whose entry is at or after `since` (the ledger's size when none is): a binary search over
 * seq, reading one entry per step, since entries are appended in time order. O(log size).
 */
function windowStartSeq(
  ledger: TelemetryDeps["ledger"] extends () => infer L ? L : never,
  since: string,
): number {
  let lo = 0;
  let hi = ledger.size();
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const at = ledger.query({ afterSeq: mid - 1, limit: 1 })[0];
    if (at === undefined || at.timestampUtc >= since) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A payload field of event T, or a path below one ("error.code"): the catalogue names what may be read. */
type FieldOf<T extends EventType> =
  | (keyof LedgerEvents[T] & string)
  | `${keyof LedgerEvents[T] & string}.${string}`;

/** Provider health from the window's attempts ([provider, outcome] each): failing when most fail, degraded when any do. */
function agentStatus(attempts: unknown[][]): AgentStatus {
  const byProvider: AgentStatus["byProvider"] = {};
  let failed = 0;
  for (const [provider, outcome] of attempts) {
    const name = typeof provider === "string" ? provider : "unknown";
    const slot = byProvider[name] ?? { attempts: 0, failed: 0 };
    byProvider[name] = slot;
    slot.attempts++;
    if (outcome !== "ok") {
      slot.failed++;
      failed++;
    }
  }
  const status =
    attempts.length === 0
      ? "idle"
      : failed === 0
        ? "ok"
        : failed / attempts.length > 0.5
          ? "failing"
          : "degraded";
  return { status, attempts: attempts.length, failed, byProvider };
}
