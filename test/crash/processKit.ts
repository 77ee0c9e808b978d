/**
 * Real processes on one MAOS_HOME for the crash and concurrency checks: the `maos` CLI and the headless
 * bot, with a shared V8 compile cache so forty short-lived processes do not each compile the sources.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { reap } from "../helpers/reap.ts";
import { REPO } from "../helpers/testApp.ts";

export const BIN = path.join(REPO, "bin", "maos.js");
const COMPILE_CACHE = path.join(os.tmpdir(), "maos-test-compile-cache");
mkdirSync(COMPILE_CACHE, { recursive: true });

export function childEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? home,
    MAOS_HOME: home,
    NODE_COMPILE_CACHE: COMPILE_CACHE,
    ...extra,
  };
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `maos …`; `detached` puts it in a process group of its own (for killing it with its git children). */
export function startMaos(
  args: string[],
  home: string,
  extra: Record<string, string> = {},
  opts: { detached?: boolean } = {},
): { child: ChildProcess; done: Promise<Finished>; stderrText: () => string } {
  const child = reap(
    spawn(process.execPath, [BIN, ...args], {
      cwd: REPO,
      env: childEnv(home, extra),
      stdio: ["ignore", "pipe", "pipe"],
      detached: opts.detached ?? false,
    }),
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString("utf8");
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const done = once(child, "close").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return { child, done, stderrText: () => stderr };
}

export function maos(args: string[], home: string, extra: Record<string, string> = {}): Promise<Finished> {
  return startMaos(args, home, extra).done;
}

/** Resolves when `text` appears on the child's stderr; rejects if it exits first. */
export function waitForStderr(
  p: { child: ChildProcess; stderrText: () => string; done: Promise<Finished> },
  pattern: RegExp,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(p.stderrText());
      if (m) {
        p.child.stderr?.off("data", check);
        resolve(m);
      }
    };
    p.child.stderr?.on("data", check);
    check();
    p.done.then((f) => reject(new Error(`exited (${f.code ?? f.signal}) before ${pattern}: ${f.stderr}`)));
  });
}

export interface Bot {
  url: string;
  pid: number;
  stderr: () => string;
  /** GET with the relay token. */
  get(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<Finished>;
}

/** `npm start` without Slack or a TTY: the headless bot (relay server on a free port, autonomy loop). */
export async function startBot(home: string, extra: Record<string, string>): Promise<Bot> {
  const p = reap(
    spawn(process.execPath, ["src/main.ts"], {
      cwd: REPO,
      env: childEnv(home, { PORT: "0", LOG_LEVEL: "info", ...extra }),
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let stderr = "";
  p.stderr.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  p.stdout.resume();
  const done = once(p, "close").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout: "",
    stderr,
  }));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /"url":"http:\/\/localhost:(\d+)"/.exec(stderr);
      if (m?.[1]) resolve(`http://127.0.0.1:${m[1]}`);
    };
    p.stderr.on("data", check);
    done.then((f) => reject(new Error(`the bot exited (${f.code ?? f.signal}): ${f.stderr}`)));
  });
  const token = extra.MAOS_RELAY_TOKEN ?? "";
  return {
    url,
    pid: p.pid as number,
    stderr: () => stderr,
    async get(path) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: await res.text() };
    },
    async stop() {
      if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
      return done;
    },
  };
}
