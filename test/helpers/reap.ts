/**
 * Long-lived children (a bot, a server) die with the tests of the file that started them, whatever
 * happened to its cleanup hooks: a failed assertion before a hook, a hook that threw first. Without
 * this a bot left running keeps the file's process alive and a red test turns into a suite that never
 * ends (CI once ran out its 90 minutes that way). The file-level `after` runs once all the file's tests
 * are done, even when a test's own hooks failed; the 'exit' handler covers a process that ends otherwise.
 *
 * Not `node --test-force-exit`: on Node 24 it ended a test file's process between two of its tests now
 * and then, the rest never run and the run still green (src/stacks/validateStack.test.ts: 21 of 23).
 */
import type { ChildProcess } from "node:child_process";
import { after } from "node:test";

const living = new Set<ChildProcess>();

function killAll(): void {
  for (const child of living) child.kill("SIGKILL");
}

after(killAll);
process.on("exit", killAll);

/** Kills `child` once this file's tests are done (or this process exits), if it still runs; returns it. */
export function reap<T extends ChildProcess>(child: T): T {
  living.add(child);
  child.once("exit", () => living.delete(child));
  return child;
}
