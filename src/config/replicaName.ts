import os from "node:os";
import type { Env } from "./loadEnv.ts";

/** This replica's name (LEADER_ELECTED, the run queue's attempts): MAOS_REPLICA, else host name and pid. */
export function replicaName(env: Pick<Env, "MAOS_REPLICA">): string {
  return env.MAOS_REPLICA ?? `${os.hostname()}:${process.pid}`;
}
