import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { AfterAckQueue } from "./AfterAckQueue.ts";
import type { ReplayGuard } from "./ReplayGuard.ts";

/**
 * The work the Slack listeners start: each job is tracked so idle() (and so stop() and the tests) can
 * wait for work whose ack has already gone out, and a failure is logged instead of lost.
 */
export class SlackWork {
  /** Job starts after the acks (see AfterAckQueue); the HTTP listener reports requests to it. */
  readonly afterAck: AfterAckQueue;
  readonly #log: Logger;
  readonly #pending = new Set<Promise<void>>();

  constructor(opts: { clock: Clock; log: Logger }) {
    this.afterAck = new AfterAckQueue({ clock: opts.clock });
    this.#log = opts.log;
  }

  /** Tracks work already started. */
  track(what: string, work: Promise<unknown>): void {
    const p: Promise<void> = work.then(
      () => undefined,
      (err: unknown) => this.#log.error({ err }, `${what} failed`),
    );
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Starts `job` after the acks (AfterAckQueue) and tracks it. */
  later(what: string, job: () => Promise<void>): void {
    this.track(what, this.afterAck.run(job));
  }

  /** Resolves once the work started so far (and any it started in turn) has finished. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}

/** True when a command or interaction's trigger_id was seen in the window (a redelivery or a replay). */
export type ReplayedTrigger = (
  triggerId: string | undefined,
  user: string,
  channel: string | undefined,
  what: string,
) => Promise<boolean>;

export function replayedTrigger(replays: ReplayGuard, work: SlackWork): ReplayedTrigger {
  return async (triggerId, user, channel, what) => {
    if (!triggerId) return false;
    const r = await replays.admit({ by: "trigger", key: triggerId, user, channel, what });
    if (!r.fresh) work.track("replay record", r.recorded);
    return !r.fresh;
  };
}
