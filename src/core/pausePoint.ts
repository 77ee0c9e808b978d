/**
 * Crash-test hook: when MAOS_TEST_PAUSE_AT names this point, the process says so on stderr
 * (`MAOS_PAUSED <point>`) and waits there forever, so a test can kill -9 it at exactly that point (say,
 * between a run's RUN_COMPLETED and its seal commit). In-process tests hold a point with `holdAt`
 * instead, and let it go on when they have done what they wanted done meanwhile. Unset, as it always
 * is outside tests, it costs a string comparison and a map lookup.
 */
export async function pausePoint(name: string): Promise<void> {
  const hold = holds.get(name);
  if (hold) {
    holds.delete(name);
    hold.arrive();
    await hold.released;
    return;
  }
  if (process.env.MAOS_TEST_PAUSE_AT !== name) return;
  process.stderr.write(`MAOS_PAUSED ${name}\n`);
  await new Promise<never>(() => {
    // Keeps the process alive: a timer the event loop must wait for.
    setInterval(() => {}, 1 << 30);
  });
}

export interface PauseHold {
  /** Resolves when the code reaches the point (and waits there). */
  reached: Promise<void>;
  /** Lets the code go on past the point. */
  release(): void;
}

interface Hold {
  arrive(): void;
  released: Promise<void>;
}

const holds = new Map<string, Hold>();

/** The next time this process reaches `name`, it waits there until `release()` (one use). */
export function holdAt(name: string): PauseHold {
  let arrive = () => {};
  let release = () => {};
  const reached = new Promise<void>((r) => {
    arrive = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  holds.set(name, { arrive, released });
  return { reached, release };
}
