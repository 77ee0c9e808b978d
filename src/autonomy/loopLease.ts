import os from "node:os";
import type { EffectiveRoles } from "../governance/roleGrants.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";

/** Where the kernel runs: the long-lived hosts run the loop; the CLI only reads and acts on shared state. */
export type HostMode = "headless" | "slack" | "shell" | "cli";

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
  /** Replicas (DATABASE_URL): the leader's MAOS_REPLICA name. */
  replica?: string | undefined;
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

/** A loop host's effective roles as it recorded them in state.db at start. */
export interface HostRoles extends EffectiveRoles {
  pid: number;
  host: string;
}

const LEASE_KEY = "loop.lease";
/** The loop host's effective roles (grants, their sources, their digest), for other processes to compare. */
const ROLES_KEY = "governance.hostRoles";
/** A lease without a beat for this many intervals (plus a margin) belongs to a loop that is gone. */
const LEASE_INTERVALS = 2;
const LEASE_MARGIN_MS = 10_000;

function isThisProcess(lease: { pid: number; host: string }): boolean {
  return lease.pid === process.pid && lease.host === os.hostname();
}

/**
 * The loop lease in state.db: one loop per MAOS_HOME. `ownLoopRunning` says whether this process's
 * loop runs (a lease of this process without a running loop is stale).
 */
export class LoopLeases {
  readonly #deps: Pick<AutonomyDeps, "state" | "clock">;
  readonly #ownLoopRunning: () => boolean;

  constructor(deps: Pick<AutonomyDeps, "state" | "clock">, ownLoopRunning: () => boolean) {
    this.#deps = deps;
    this.#ownLoopRunning = ownLoopRunning;
  }

  /** The lease as stored, live or not. */
  async read(): Promise<LoopLease | undefined> {
    return this.#deps.state().getValue<LoopLease>(LEASE_KEY);
  }

  /** The lease of a loop that is still beating: fresh enough, and its process alive when on this host. */
  async live(): Promise<LoopLease | undefined> {
    return this.#liveOf(await this.read());
  }

  #liveOf(lease: LoopLease | undefined): LoopLease | undefined {
    if (!lease) return undefined;
    if (isThisProcess(lease)) return this.#ownLoopRunning() ? lease : undefined;
    const last = Date.parse(lease.lastBeatAt ?? lease.startedAt);
    const maxAge = lease.intervalSeconds * 1000 * LEASE_INTERVALS + LEASE_MARGIN_MS;
    if (this.#deps.clock.now().getTime() - last > maxAge) return undefined;
    if (lease.host === os.hostname()) {
      try {
        process.kill(lease.pid, 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ESRCH") return undefined;
      }
    }
    return lease;
  }

  #holderOf(stored: LoopLease | undefined): LoopLease | undefined {
    const lease = this.#liveOf(stored);
    if (!lease || isThisProcess(lease)) return undefined;
    return lease;
  }

  /** The live loop of another process, if one holds the lease. */
  async holder(): Promise<LoopLease | undefined> {
    return this.#holderOf(await this.read());
  }

  /**
   * Takes the lease unless another live process holds it: one read-decide-write (updateValue), a
   * write transaction on SQLite, `SELECT … FOR UPDATE` on PostgreSQL.
   */
  async take(lease: LoopLease, opts: { force?: boolean } = {}): Promise<boolean> {
    // `force`: the elected leader (PostgreSQL's advisory lock already excludes every other replica).
    return this.#deps
      .state()
      .updateValue<LoopLease>(LEASE_KEY, (current) =>
        !opts.force && this.#holderOf(current) ? undefined : lease,
      );
  }

  /** Gives the lease up when this process holds it. */
  async release(): Promise<void> {
    const lease = await this.read();
    if (lease && isThisProcess(lease)) await this.#deps.state().deleteValue(LEASE_KEY);
  }

  /** This process's relay port, on a lease of this pid. */
  async noteRelayPort(port: number | null): Promise<void> {
    const lease = await this.read();
    if (lease && lease.pid === process.pid)
      await this.#deps.state().setValue(LEASE_KEY, { ...lease, relayPort: port });
  }

  /** A beat of this process's running loop keeps its lease fresh. */
  async noteBeat(at: string, relayPort: number | null | undefined): Promise<void> {
    const lease = await this.read();
    if (this.#ownLoopRunning() && lease?.pid === process.pid) {
      await this.#deps
        .state()
        .setValue(LEASE_KEY, { ...lease, lastBeatAt: at, relayPort: relayPort ?? lease.relayPort });
    }
  }

  /** Records the loop host's effective roles for other processes. */
  async recordHostRoles(roles: EffectiveRoles, host: string): Promise<void> {
    await this.#deps.state().setValue(ROLES_KEY, { ...roles, pid: process.pid, host } satisfies HostRoles);
  }

  /**
   * The effective roles of the bot that hosts the loop in another process, while it is alive; undefined
   * when no loop runs or it runs here.
   */
  async hostRoles(): Promise<HostRoles | undefined> {
    const lease = await this.live();
    if (!lease || isThisProcess(lease)) return undefined;
    const recorded = await this.#deps.state().getValue<HostRoles>(ROLES_KEY);
    return recorded && recorded.pid === lease.pid && recorded.host === lease.host ? recorded : undefined;
  }
}
