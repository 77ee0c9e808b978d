import type { Clock } from "../core/clock.ts";

/**
 * Paces one sink's requests: at most one start per `intervalMs`, and none before a hold the server asked
 * for (Retry-After, an exhausted X-Rate-Limit budget) has passed. Requests queue in order. Waits go
 * through the injected Clock.
 */
export class SinkLimiter {
  readonly #clock: Clock;
  readonly intervalMs: number;
  #nextAt = Number.NEGATIVE_INFINITY;
  #holdUntil = Number.NEGATIVE_INFINITY;
  #tail: Promise<void> = Promise.resolve();

  constructor(opts: { clock: Clock; intervalMs: number }) {
    this.#clock = opts.clock;
    this.intervalMs = opts.intervalMs;
  }

  /** Resolves when the next request may start. */
  acquire(): Promise<void> {
    const turn = this.#tail.then(async () => {
      const now = this.#clock.monotonic();
      const at = Math.max(this.#nextAt, this.#holdUntil, now);
      if (at > now) await this.#clock.sleep(at - now);
      this.#nextAt = this.#clock.monotonic() + this.intervalMs;
    });
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  /** No request starts for `ms` from now (the server said so). */
  holdFor(ms: number): void {
    this.#holdUntil = Math.max(this.#holdUntil, this.#clock.monotonic() + ms);
  }

  /** Time left on a hold, in ms (0 when none). */
  heldMs(): number {
    return Math.max(0, this.#holdUntil - this.#clock.monotonic());
  }
}

/** Notion averages about 3 requests per second per integration. */
export const NOTION_INTERVAL_MS = 334;
/** Teamwork allows about 150 requests per minute. */
export const TEAMWORK_INTERVAL_MS = 400;
