/**
 * The bench process's handle on one ack-bench child process (ackChild.ts on the other side): forks
 * it, waits for its URL, and sends it `idle`, `stats` and `stop`.
 */
import { type ChildProcess, fork } from "node:child_process";
import type { ChildRequest, ChildStats } from "./ackChild.ts";

export interface BenchChild {
  url: string;
  pid: number;
  /** Resolves once the child's post-ack work (runs, replies) has finished. */
  idle(): Promise<void>;
  /** The child's event-loop delay since the last call, and its counters. */
  stats(): Promise<ChildStats>;
  stop(): Promise<void>;
}

export interface BenchChildOptions {
  env: NodeJS.ProcessEnv;
  /** Where the child's stdout and stderr (its JSON log) go: a file descriptor, or inherited by default. */
  output?: number;
  /** Extra node flags (e.g. --cpu-prof). */
  execArgv?: string[];
  /** Seconds to wait for the child to report its URL. */
  startTimeoutSeconds?: number;
}

/** Start-up includes a git init and SQLite opens on a loaded 2-core box; 60 s means it is stuck. */
const DEFAULT_START_TIMEOUT_SECONDS = 60;

/** After answering stop, a child gets this long to exit by itself. */
const STOP_GRACE_MS = 10_000;

export async function startBenchChild(script: string, opts: BenchChildOptions): Promise<BenchChild> {
  const child: ChildProcess = fork(script, [], {
    env: opts.env,
    execArgv: opts.execArgv ?? [],
    stdio: ["ignore", opts.output ?? "inherit", opts.output ?? "inherit", "ipc"],
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited: Error | undefined;
  child.on("exit", (code, signal) => {
    exited = new Error(`${script} exited (code ${code}, signal ${signal})`);
    for (const w of waiting.values()) w.reject(exited);
    waiting.clear();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const limit = (opts.startTimeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000;
    // The bench runs on real time by design: it measures wall-clock latency.
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${limit} ms`)), limit);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with code ${code} before it was ready`));
    });
    child.on("message", (raw) => {
      const m = raw as {
        ready?: true;
        url?: string;
        id?: number;
        ok?: boolean;
        value?: unknown;
        error?: string;
      };
      if (m.ready && m.url) {
        clearTimeout(timer);
        resolve(m.url);
        return;
      }
      if (typeof m.id !== "number") return;
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      if (m.ok) w.resolve(m.value);
      else w.reject(new Error(`${script}: ${m.error ?? "failed"}`));
    });
  });
  const ask = (cmd: ChildRequest["cmd"]) =>
    new Promise<unknown>((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.send({ id, cmd } satisfies ChildRequest);
    });
  return {
    url,
    pid: child.pid ?? -1,
    idle: async () => {
      await ask("idle");
    },
    stats: async () => (await ask("stats")) as ChildStats,
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      await ask("stop").catch(() => undefined);
      // A child that answered stop but still holds a handle (a socket, a timer) is ended by its id.
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    },
  };
}
