import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** Nice value of background work: well below the event loop's 0, still above idle batch work. */
export const BACKGROUND_NICE = 10;

/**
 * Makes the calling thread yield the CPU to the bot's event loop: when the cores are busy, /health and
 * an ack (Slack's 3 s deadline) must not wait behind a verification, a vault pass or a run. On Linux a
 * thread has its own nice value, set through its thread id; the threads and processes (git) it starts
 * inherit it. Elsewhere, or when refused, the thread keeps the normal priority.
 */
export function lowerThreadPriority(nice = BACKGROUND_NICE): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed: nothing to lower.
  }
}
