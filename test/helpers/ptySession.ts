/**
 * A program on a real pseudo-terminal, through script(1) from util-linux: what it prints is collected as
 * a person would read it (escape sequences and carriage returns removed), and the test types a line only
 * once the text it answers is on the screen, so nothing depends on timing.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";

/** Why a pty test cannot run here, or false when it can. */
export const ptyUnavailable: string | false = spawnSync("script", ["--version"], {
  encoding: "utf8",
}).stdout?.includes("util-linux")
  ? false
  : "needs environment: script(1) from util-linux to give the program a pseudo-terminal";

export function screenText(raw: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are the point
  return raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
}

export interface PtySession {
  child: ChildProcess;
  /** Everything shown so far, as text. */
  text(): string;
  /** Resolves when `pattern` matches the text shown after this call (or already shown, with `sinceStart`). */
  shows(pattern: RegExp, opts?: { sinceStart?: boolean }): Promise<void>;
  /** Types `line` and Enter. */
  type(line: string): void;
  /** Ends the input and resolves with the exit code. */
  exited: Promise<number | null>;
}

export function ptySession(command: string, opts: { cwd: string; env: Record<string, string> }): PtySession {
  const child = spawn("script", ["-qec", command, "/dev/null"], {
    cwd: opts.cwd,
    env: { TERM: "dumb", ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let raw = "";
  const waiters: { pattern: RegExp; from: number; resolve: () => void }[] = [];
  const check = () => {
    const text = screenText(raw);
    for (const w of [...waiters]) {
      if (w.pattern.test(text.slice(w.from))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    raw += chunk.toString("utf8");
    check();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    child,
    text: () => screenText(raw),
    shows(pattern, o = {}) {
      const from = o.sinceStart ? 0 : screenText(raw).length;
      return new Promise<void>((resolve) => {
        waiters.push({ pattern, from, resolve });
        check();
      });
    },
    type(line) {
      child.stdin?.write(`${line}\r`);
    },
    exited,
  };
}
