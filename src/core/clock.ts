/** Time is injected everywhere: production uses the system clock, tests a ManualClock. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms` of this clock's time. Backoff and schedulers wait through this, never through setTimeout. */
  sleep(ms: number): Promise<void>;
  /** Monotonic milliseconds, for measuring durations. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  monotonic: () => performance.now(),
};

interface Sleeper {
  until: number;
  resolve: () => void;
}

/**
 * A clock that only moves when told to. `sleep` resolves once `advance` passes its deadline;
 * with `autoAdvance` a sleep of at most `autoAdvanceMaxMs` jumps time forward at once, so retry
 * loops finish without waiting, while longer sleeps (request timeouts) still wait for `advance`.
 */
export class ManualClock implements Clock {
  #ms: number;
  #sleepers: Sleeper[] = [];
  readonly autoAdvance: boolean;
  readonly autoAdvanceMaxMs: number;
  /** Every sleep requested, in order: tests assert backoff and Retry-After through this. */
  readonly sleeps: number[] = [];

  constructor(
    start: Date | string = "2026-11-21T15:00:00.000Z",
    opts: { autoAdvance?: boolean; autoAdvanceMaxMs?: number } = {},
  ) {
    this.#ms = new Date(start).getTime();
    this.autoAdvance = opts.autoAdvance ?? true;
    this.autoAdvanceMaxMs = opts.autoAdvanceMaxMs ?? Number.POSITIVE_INFINITY;
  }

  now(): Date {
    return new Date(this.#ms);
  }

  monotonic(): number {
    return this.#ms;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    if (this.autoAdvance && ms <= this.autoAdvanceMaxMs) {
      this.#ms += Math.max(0, ms);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#sleepers.push({ until: this.#ms + Math.max(0, ms), resolve });
    });
  }

  /** Moves time forward and wakes every sleeper whose deadline has passed. */
  async advance(ms: number): Promise<void> {
    this.#ms += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#ms);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#ms);
    for (const s of due) s.resolve();
    // Let woken tasks run before the caller continues.
    await new Promise((resolve) => setImmediate(resolve));
  }

  set(date: Date | string): void {
    this.#ms = new Date(date).getTime();
  }
}
