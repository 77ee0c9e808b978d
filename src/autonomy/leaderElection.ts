import os from "node:os";
import type { Clock } from "../core/clock.ts";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import { PgLeaderLock } from "../state/pg/PgLeaderLock.ts";

export interface LeaderElectionOptions {
  url: string;
  /** This replica's name in LEADER_ELECTED (say, the pod or host name). */
  replica: string;
  /** The heartbeat interval: standbys try the lock four times per interval, so a takeover fits in 2 × heartbeat. */
  heartbeatMs: number;
  ledger: Pick<LedgerHandle, "append">;
  clock: Clock;
  /** Starts the leader's work: the autonomy loop, the daily snapshot, the client sync. */
  lead: () => void | Promise<void>;
  /** Stops it at once: the lock is lost, and another replica may already lead. */
  stepDown: (reason: string) => void;
  /** Another replica leads; this one stands by. */
  onStandby?: () => void;
  onError?: (err: unknown) => void;
  /** The database answers again after failed attempts. */
  onRecovered?: () => void;
}

/**
 * Exactly one replica leads: it holds PgLeaderLock's session advisory lock, records LEADER_ELECTED with
 * its identity in the shared ledger, then starts the leader's work. A standby polls every quarter
 * heartbeat, so when a leader dies its successor leads within 2 × heartbeat (the server frees the lock
 * as soon as it sees the session end); the beats missed meanwhile show as late, as any late tick does.
 */
export function electLeader(opts: LeaderElectionOptions): PgLeaderLock {
  const since = opts.clock.monotonic();
  const lock = new PgLeaderLock({
    url: opts.url,
    pollMs: Math.max(50, Math.floor(opts.heartbeatMs / 4)),
    onElected: async () => {
      await opts.ledger.append({
        eventType: "LEADER_ELECTED",
        level: "info",
        actor: "maos-codex",
        correlationId: "leader",
        payload: {
          replica: opts.replica,
          host: os.hostname(),
          pid: process.pid,
          waitedMs: Math.round(opts.clock.monotonic() - since),
        },
      });
      await opts.lead();
    },
    onLost: opts.stepDown,
    ...(opts.onStandby ? { onStandby: opts.onStandby } : {}),
    ...(opts.onError ? { onError: opts.onError } : {}),
    ...(opts.onRecovered ? { onRecovered: opts.onRecovered } : {}),
    now: () => opts.clock.now(),
  });
  lock.start();
  return lock;
}
