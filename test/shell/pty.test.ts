/**
 * The shell as a person meets it: the real `npm start` command (`node src/main.ts`) on a pseudo-terminal
 * made by script(1) (util-linux, on every Debian machine; no native module), typed at like a keyboard,
 * with assertions on what the terminal shows. Each line is typed only once the screen shows the answer
 * to the previous one, so nothing waits on a timer.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { REPO } from "../helpers/testApp.ts";

/** What `clear` writes: erase the screen and the scrollback, cursor home. */
const CLEAR = "\x1b[2J\x1b[3J\x1b[H";

const home = mkdtempSync(path.join(os.tmpdir(), "maos-pty-"));
after(() => rmSync(home, { recursive: true, force: true }));

/** The screen's text: colours and cursor moves removed, line ends normalised. */
function screenText(raw: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are what we remove.
  return raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r+\n/g, "\n");
}

/** The shell on a pseudo-terminal: `type` waits until the screen matches, then types a line. */
function shellOnPty() {
  const child = spawn(
    "script",
    // -q no banner, -f flush at once, -e the shell's exit code, -c the command; the typescript file is discarded.
    ["-qfec", `stty cols 120 rows 40; exec '${process.execPath}' src/main.ts`, "/dev/null"],
    {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? "", HOME: home, MAOS_HOME: home, PORT: "0", TERM: "xterm" },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let raw = "";
  let seen = 0;
  const waiters: { re: RegExp; resolve(): void }[] = [];
  const check = () => {
    const next = waiters[0];
    if (!next) return;
    const m = next.re.exec(raw.slice(seen));
    if (!m) return;
    seen += m.index + m[0].length;
    waiters.shift();
    next.resolve();
    check();
  };
  child.stdout.on("data", (chunk: Buffer) => {
    raw += chunk.toString("utf8");
    check();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    raw: () => raw,
    /** Resolves once the screen, after what was already matched, shows `re`. */
    waitFor(re: RegExp): Promise<void> {
      return new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        exited.then((code) =>
          reject(new Error(`the shell exited (${code}) before ${re}:\n${screenText(raw)}`)),
        );
        check();
      });
    },
    type(line: string): void {
      child.stdin.write(`${line}\r`);
    },
  };
}

test("the shell on a terminal: status, a run shown once, clear and exit, and no log line on screen", {
  timeout: 120_000,
}, async () => {
  if (!existsSync("/usr/bin/script")) {
    assert.fail("script(1) is missing: install util-linux (bsdutils), it makes the pseudo-terminal");
  }
  const pty = shellOnPty();
  try {
    await pty.waitFor(/codex> /);
    pty.type("/codex status");
    await pty.waitFor(/MAOS CODEX STATUS[\s\S]*?codex> /);
    // The headline usage, as typed: every input of marketing_ops has a default.
    pty.type("/codex run marketing_ops");
    await pty.waitFor(/MARKETING_OPS: COMPLETED[\s\S]*?sealed in [^\n]*\n[\s\S]*?codex> /);
    const beforeClear = pty.raw().length;
    pty.type("clear");
    await pty.waitFor(new RegExp(`${CLEAR.replaceAll("[", "\\[")}[\\s\\S]*?codex> `));
    const afterClear = pty.raw().slice(beforeClear);
    pty.type("/codex exit");
    assert.equal(await pty.exited, 0, screenText(pty.raw()));

    const screen = screenText(pty.raw());
    // The welcome line says where the logs go, and none is on the screen.
    assert.match(screen, /^MAOS Codex shell: you are shell:local:\S+\. .*`clear` or `exit`\./m);
    assert.match(
      screen,
      new RegExp(`Logs go to ${path.join(home, "logs", "maos.log").replaceAll("/", "\\/")}`),
    );
    assert.doesNotMatch(screen, /\{"level":/, "no JSON log line on the terminal");
    assert.match(readFileSync(path.join(home, "logs", "maos.log"), "utf8"), /"msg":"vault: sealed run"/);

    // status says what is true, in words.
    assert.match(screen, /Autonomy: +off: not started in this process \(\/codex activate starts it\)/);
    assert.doesNotMatch(screen, /RUNNING · loop not running/);
    assert.doesNotMatch(screen, /0 points \(0% of 0\)/);

    // The run: progress, then the result, and each agent's output exactly once.
    assert.match(screen, /✔ \[2\/3\] agent_email_writer {2}offline/);
    assert.equal(screen.match(/MARKETING_OPS: COMPLETED, SCORE \d\.\d\d/g)?.length, 1);
    for (const agent of ["agent_campaign_planner", "agent_email_writer", "agent_evaluator"]) {
      assert.equal(screen.match(new RegExp(`^── ${agent} \\(`, "gm"))?.length, 1, `${agent}'s output once`);
    }
    assert.equal(
      screen.match(/^# Campaign plan: Midwest Builders Expo 2027, Chicago, March 9-11$/gm)?.length,
      1,
      "the plan's text is not repeated as an excerpt",
    );

    // clear empties the screen and prompts again; exit says goodbye.
    assert.ok(afterClear.includes(CLEAR), "clear erased the screen");
    assert.match(screen, /codex> \/codex exit\nbye\n$/);
    assert.doesNotMatch(screen, /\n\s+at /, "no stack trace");
  } finally {
    if (pty.child.exitCode === null) pty.child.kill("SIGKILL");
  }
});
