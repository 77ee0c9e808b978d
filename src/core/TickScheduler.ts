import { Cron } from "croner";
import type { Clock } from "./clock.ts";
import { CHICAGO } from "./timestamps.ts";

/** One firing of a schedule, with how it compares to the time it was due. */
export interface Tick {
  scheduledAt: Date;
  firedAt: Date;
  /** firedAt − scheduledAt. */
  lateMs: number;
  /** Scheduled slots that passed entirely before this tick fired (a stall, a suspended machine). */
  missedSlots: number;
  /** More than the tolerance late, or slots were missed. */
  late: boolean;
}

export interface TickSchedulerOptions {
  clock: Clock;
  /** The first fire time strictly after `after`. */
  next(after: Date): Date;
  onTick(tick: Tick): Promise<void>;
  /** The previous tick was still running when this one fell due: it is skipped (croner's `protect`). */
  onSkip?(tick: Tick): void | Promise<void>;
  lateToleranceMs: number;
  /** Waits are cut into pieces of at most this, so a jump of the wall clock is seen within one piece. */
  maxSleepMs?: number;
  /** The first tick fires at once instead of at the first slot. */
  fireImmediately?: boolean;
}

/** More missed slots than this are not counted one by one (a machine suspended for weeks). */
const MISSED_COUNT_CAP = 100_000;

/** A heartbeat every `seconds`: croner's minimum-interval job, evaluated in America/Chicago. */
export function intervalSchedule(seconds: number): (after: Date) => Date {
  const cron = new Cron("* * * * * *", { timezone: CHICAGO, paused: true, interval: seconds });
  return (after) => cron.nextRun(after) ?? new Date(after.getTime() + seconds * 1000);
}

/** A cron expression (minute hour day month weekday) read in America/Chicago. */
export function cronSchedule(pattern: string): (after: Date) => Date {
  const cron = new Cron(pattern, { timezone: CHICAGO, paused: true });
  return (after) => {
    const next = cron.nextRun(after);
    // Only a pattern that can never fire again (a past one-off date) returns null; the charter's
    // cron expressions always have a next run, so this is unreachable in practice.
    if (!next) throw new Error(`cron pattern "${pattern}" has no next run after ${after.toISOString()}`);
    return next;
  };
}

/**
 * Fires `onTick` on a schedule, waiting only through the injected Clock (croner computes the times,
 * never a timer of its own). A tick never overlaps the previous one: if that one is still running the
 * new one is skipped and reported to `onSkip`. Each tick says how late it fired and how many slots
 * passed unfired, so stalls and suspended machines show up as drift instead of going unnoticed.
 */
export class TickScheduler {
  readonly #o: TickSchedulerOptions;
  #loop: Promise<void> | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #nextAt: Date | undefined;
  ticks = 0;
  skipped = 0;

  constructor(opts: TickSchedulerOptions) {
    this.#o = opts;
  }

  get running(): boolean {
    return this.#loop !== undefined && !this.#stopped;
  }

  /** When the next tick is due; undefined when not running. */
  nextAt(): Date | undefined {
    return this.running ? this.#nextAt : undefined;
  }

  start(): void {
    if (this.#loop) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Stops scheduling, then waits for a tick still running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await this.idle();
    this.#loop = undefined;
  }

  /** Resolves when no tick is running. */
  async idle(): Promise<void> {
    while (this.#inFlight) await this.#inFlight.catch(() => undefined);
  }

  async #run(): Promise<void> {
    const { clock } = this.#o;
    const stopped = new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    let scheduled = this.#o.fireImmediately ? clock.now() : this.#o.next(clock.now());
    while (!this.#stopped) {
      this.#nextAt = scheduled;
      for (let left = scheduled.getTime() - clock.now().getTime(); left > 0 && !this.#stopped; ) {
        await Promise.race([clock.sleep(Math.min(left, this.#o.maxSleepMs ?? left)), stopped]);
        left = scheduled.getTime() - clock.now().getTime();
      }
      if (this.#stopped) break;
      const firedAt = clock.now();
      let missedSlots = 0;
      for (
        let s = this.#o.next(scheduled);
        s <= firedAt && missedSlots < MISSED_COUNT_CAP;
        s = this.#o.next(s)
      ) {
        missedSlots++;
      }
      const lateMs = firedAt.getTime() - scheduled.getTime();
      const tick: Tick = {
        scheduledAt: scheduled,
        firedAt,
        lateMs,
        missedSlots,
        late: missedSlots > 0 || lateMs > this.#o.lateToleranceMs,
      };
      if (this.#inFlight) {
        this.skipped++;
        await this.#o.onSkip?.(tick);
      } else {
        this.ticks++;
        const run = this.#o.onTick(tick).finally(() => {
          if (this.#inFlight === run) this.#inFlight = undefined;
        });
        this.#inFlight = run;
        // The tick runs on its own; its failure is the callback's to report, never the loop's end.
        run.catch(() => undefined);
      }
      scheduled = this.#o.next(firedAt);
    }
  }
}
