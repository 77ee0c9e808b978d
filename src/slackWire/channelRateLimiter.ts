import type { Clock } from "../core/clock.ts";
import { type HeaderSource, header, parseRetryAfter } from "../core/retryPolicy.ts";

export interface ChannelRateLimiterOptions {
  clock: Clock;
  /** Least time between the starts of two calls on one channel; Slack allows about 1 message/s/channel. */
  intervalMs?: number;
  /** Tries per call when Slack answers 429, the first included; then the error is rethrown. */
  maxAttempts?: number;
  /** A Retry-After longer than this is not waited out (it would stall the channel): the error is rethrown. */
  maxRetryAfterMs?: number;
}

interface Lane {
  /** Settles when the lane's last scheduled call has finished, however it finished. */
  tail: Promise<void>;
  lastStart: number | undefined;
  pending: number;
}

/** Lanes are kept for spacing; past this many, idle ones are dropped. */
const LANE_SWEEP_THRESHOLD = 512;

/**
 * Outbound Slack calls queued per channel: in order, at most one start per `intervalMs` on a channel,
 * channels independent of each other. A rate-limit error carrying Retry-After is waited out through
 * the Clock and the same call retried; this is the only retry loop, so the WebClient's own is turned
 * off (see slackWebClientOptions).
 */
export class ChannelRateLimiter {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #maxAttempts: number;
  readonly #maxRetryAfterMs: number;
  readonly #lanes = new Map<string, Lane>();

  constructor(opts: ChannelRateLimiterOptions) {
    this.#clock = opts.clock;
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#maxAttempts = opts.maxAttempts ?? 3;
    this.#maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
  }

  /** Runs `fn` when the channel's earlier calls are done and its spacing allows; resolves or rejects as `fn` finally does. */
  schedule<T>(channel: string, fn: () => Promise<T>): Promise<T> {
    if (this.#lanes.size >= LANE_SWEEP_THRESHOLD) this.#sweep();
    let lane = this.#lanes.get(channel);
    if (!lane) {
      lane = { tail: Promise.resolve(), lastStart: undefined, pending: 0 };
      this.#lanes.set(channel, lane);
    }
    const l = lane;
    l.pending++;
    const run = l.tail.then(() => this.#run(l, fn));
    l.tail = run.then(
      () => {
        l.pending--;
      },
      () => {
        l.pending--;
      },
    );
    return run;
  }

  /** Calls queued or running on a channel (all channels without an argument). */
  pending(channel?: string): number {
    if (channel !== undefined) return this.#lanes.get(channel)?.pending ?? 0;
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.pending;
    return n;
  }

  async #run<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (lane.lastStart !== undefined) {
        const wait = lane.lastStart + this.#intervalMs - this.#clock.monotonic();
        if (wait > 0) await this.#clock.sleep(wait);
      }
      lane.lastStart = this.#clock.monotonic();
      try {
        return await fn();
      } catch (err) {
        const wait = retryAfterMs(err);
        if (wait === undefined || attempt >= this.#maxAttempts || wait > this.#maxRetryAfterMs) throw err;
        await this.#clock.sleep(wait);
      }
    }
  }

  #sweep(): void {
    const now = this.#clock.monotonic();
    for (const [channel, lane] of this.#lanes) {
      if (lane.pending === 0 && (lane.lastStart === undefined || now - lane.lastStart >= this.#intervalMs)) {
        this.#lanes.delete(channel);
      }
    }
  }
}

/**
 * The wait a Slack rate-limit error asks for, in ms, or undefined when the error is not one.
 * @slack/web-api raises WebAPIRateLimitedError (`code: "slack_webapi_rate_limited_error"`, `retryAfter`
 * in seconds) when `rejectRateLimitedCalls` is on; a raw HTTP 429 (WebAPIHTTPError) carries the header.
 */
export function retryAfterMs(err: unknown): number | undefined {
  if (!err || typeof err !== "object") return undefined;
  const e = err as { code?: unknown; retryAfter?: unknown; statusCode?: unknown; headers?: unknown };
  if (e.code === "slack_webapi_rate_limited_error" && typeof e.retryAfter === "number" && e.retryAfter >= 0) {
    return e.retryAfter * 1000;
  }
  if (
    e.code === "slack_webapi_http_error" &&
    e.statusCode === 429 &&
    e.headers &&
    typeof e.headers === "object"
  ) {
    return parseRetryAfter(header(e.headers as HeaderSource, "retry-after"));
  }
  return undefined;
}
