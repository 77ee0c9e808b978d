/**
 * Long-lived children (a bot, a server) die with the test file that started them, whatever happened to
 * its cleanup hooks: a failed assertion before a hook, a hook that threw first. Without this a bot left
 * running keeps the file's process alive and a red test turns into a suite that never ends.
 */
import type { ChildProcess } from "node:child_process";

const living = new Set<ChildProcess>();

process.on("exit", () => {
  for (const child of living) child.kill("SIGKILL");
});

/** Kills `child` when this process exits, if it still runs; returns it. */
export function reap<T extends ChildProcess>(child: T): T {
  living.add(child);
  child.once("exit", () => living.delete(child));
  return child;
}
