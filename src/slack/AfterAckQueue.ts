import type { Clock } from "../core/clock.ts";

export interface AfterAckQueueOptions {
  clock: Clock;
  /** Yields to the event loop: the next job starts in a later macrotask. setImmediate by default. */
  defer?: (fn: () => void) => void;
  /** Job starts wait until no Slack request has arrived for this long (and none waits for its ack). */
  quietMs?: number;
  /** The longest job starts hold off for requests, so a steady stream of them cannot starve the work. */
  maxHoldMs?: number;
}

/**
 * Requests of a burst reach the event loop a millisecond or so apart; 10 ms of quiet means the burst
 * is over. Delaying work that takes hundreds of ms by this much costs nothing anyone sees.
 */
const DEFAULT_QUIET_MS = 10;
/**
 * Far under Slack's 3 s ack deadline and long enough for a burst of 50 acks to go out first; past it,
 * work starts anyway (one job per event-loop turn) even while requests keep coming.
 */
const DEFAULT_MAX_HOLD_MS = 100;

/**
 * Work that follows an ack (a run, a reply, an approval) starts here rather than in the listener: one
 * job per event-loop turn, and not while Slack requests are arriving. A job's first synchronous
 * stretch (parsing the stack, opening the run in the ledger) then never sits between a request and its
 * ack. The HTTP listener reports each Slack request's arrival and response (requestStarted,
 * requestFinished); job starts hold while any request waits for its response or one arrived within
 * quietMs, for at most maxHoldMs. Jobs run concurrently once started; only their starts are spaced.
 */
export class AfterAckQueue {
  readonly #clock: Clock;
  readonly #defer: (fn: () => void) => void;
  readonly #quietMs: number;
  readonly #maxHoldMs: number;
  readonly #jobs: (() => void)[] = [];
  #inFlight = 0;
  #lastArrival = Number.NEGATIVE_INFINITY;
  #scheduled = false;
  #holdSince: number | undefined;
  /** When the pending wake-up fires (monotonic ms), if one is armed. */
  #wakeAt: number | undefined;

  constructor(opts: AfterAckQueueOptions) {
    this.#clock = opts.clock;
    this.#defer = opts.defer ?? ((fn) => setImmediate(fn));
    this.#quietMs = opts.quietMs ?? DEFAULT_QUIET_MS;
    this.#maxHoldMs = opts.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
  }

  /** Jobs waiting to start. */
  get waiting(): number {
    return this.#jobs.length;
  }

  /** Queues `job`; the promise settles as the job does, once it has started and finished. */
  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push(() => {
        try {
          job().then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
      this.#schedule();
    });
  }

  /** A Slack request arrived; its ack is owed. */
  requestStarted(): void {
    this.#inFlight++;
    this.#lastArrival = this.#clock.monotonic();
  }

  /** A Slack request got its response (or its connection closed). */
  requestFinished(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#jobs.length === 0) return;
    this.#scheduled = true;
    this.#defer(() => this.#pump());
  }

  #pump(): void {
    this.#scheduled = false;
    if (this.#jobs.length === 0) return;
    const now = this.#clock.monotonic();
    const quietAt = this.#lastArrival + this.#quietMs;
    if (this.#inFlight > 0 || now < quietAt) {
      this.#holdSince ??= now;
      const holdEnd = this.#holdSince + this.#maxHoldMs;
      if (now < holdEnd) {
        // requestFinished restarts the pump once the acks are out; the wake-up covers the quiet period
        // and caps the hold if they never are.
        this.#wake(this.#inFlight > 0 ? holdEnd : Math.min(quietAt, holdEnd), now);
        return;
      }
    } else {
      this.#holdSince = undefined;
    }
    this.#jobs.shift()?.();
    this.#schedule();
  }

  /** Re-runs the pump at `at`, unless an earlier wake-up is armed already (a later one still fires). */
  #wake(at: number, now: number): void {
    if (this.#wakeAt !== undefined && this.#wakeAt <= at) return;
    this.#wakeAt = at;
    void this.#clock.sleep(at - now).then(() => {
      if (this.#wakeAt === at) this.#wakeAt = undefined;
      this.#schedule();
    });
  }
}
