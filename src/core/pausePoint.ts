/**
 * Crash-test hook: when MAOS_TEST_PAUSE_AT names this point, the process says so on stderr
 * (`MAOS_PAUSED <point>`) and waits there forever, so a test can kill -9 it at exactly that point (say,
 * between a run's RUN_COMPLETED and its seal commit). Unset, as it always is outside tests, it costs a
 * string comparison.
 */
export async function pausePoint(name: string): Promise<void> {
  if (process.env.MAOS_TEST_PAUSE_AT !== name) return;
  process.stderr.write(`MAOS_PAUSED ${name}\n`);
  await new Promise<never>(() => {
    // Keeps the process alive: a timer the event loop must wait for.
    setInterval(() => {}, 1 << 30);
  });
}
