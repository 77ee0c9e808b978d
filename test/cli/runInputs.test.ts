/**
 * Issue 8: a stack input with no default is asked for on a terminal, and named (exit 2) without one.
 * The terminal is real: the CLI runs under script(1), which gives it a pseudo-terminal, and the test
 * answers each prompt only once it is on the screen.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO } from "../helpers/testApp.ts";

const BIN = path.join(REPO, "bin", "maos.js");
const STACKS = path.join(REPO, "test/fixtures/stacks/asks");
const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).stdout?.includes("util-linux");

/** Strips the terminal's colour and cursor sequences and carriage returns, leaving what a person reads. */
function screenText(raw: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are the point
  return raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
}

describe("maos run with a required input that has no default", () => {
  let home: string;
  let env: Record<string, string>;
  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), "maos-asks-"));
    env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      MAOS_HOME: home,
      MAOS_STACKS: STACKS,
    };
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test("without a terminal it exits 2 naming each missing input with its description, and runs nothing", () => {
    const r = spawnSync(process.execPath, [BIN, "run", "trade_show"], {
      cwd: REPO,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /needs 2 inputs with no default:/);
    assert.match(r.stderr, /^ {2}event: The event, with its dates and city$/m);
    assert.match(r.stderr, /^ {2}booth: Our booth number, as printed in the show guide$/m);
    assert.doesNotMatch(r.stderr, /audience/, "an input with a default is not named");
    assert.match(r.stderr, /--input event=VALUE --input booth=VALUE/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    const json = spawnSync(process.execPath, [BIN, "run", "trade_show", "--input", "booth=12", "--json"], {
      cwd: REPO,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    assert.equal(json.status, 2);
    const doc = JSON.parse(json.stdout) as { error: { code: string; message: string } };
    assert.equal(doc.error.code, "USAGE");
    assert.match(doc.error.message, /needs an input with no default:\n {2}event: The event/);
  });

  test("on a terminal it asks for each input, showing its description and default, then runs", {
    skip: hasScript ? false : "needs script(1) from util-linux to give the CLI a pseudo-terminal",
  }, async () => {
    const child = spawn(
      "script",
      ["-qec", `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run trade_show`, "/dev/null"],
      { cwd: REPO, env: { ...env, TERM: "dumb" }, stdio: ["pipe", "pipe", "pipe"] },
    );
    let screen = "";
    const waiters: { pattern: RegExp; from: number; resolve: () => void }[] = [];
    const check = () => {
      for (const w of [...waiters]) {
        if (w.pattern.test(screenText(screen).slice(w.from))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      screen += chunk.toString("utf8");
      check();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    /** Resolves when `pattern` shows up on the screen after what was there when this was called. */
    const shows = (pattern: RegExp) => {
      const from = screenText(screen).length;
      return new Promise<void>((resolve) => {
        waiters.push({ pattern, from, resolve });
        check();
      });
    };

    const answerPrompts = async () => {
      await shows(/ {2}event> $/);
      assert.match(screenText(screen), /trade_show needs event, booth, which have no default/);
      assert.match(screenText(screen), /event \(required\): The event, with its dates and city/);
      const booth = shows(/ {2}booth> $/);
      child.stdin.write("MODEX 2026, Atlanta, April 13-16\r");
      await booth;
      assert.match(screenText(screen), /booth \(required\): Our booth number, as printed in the show guide/);
      const again = shows(/needs a value \(Ctrl-C cancels the run\)\.\n {2}booth> $/);
      child.stdin.write("\r");
      await again;
      const audience = shows(/ {2}audience \[plant managers who stopped at the booth\]> $/);
      child.stdin.write("4411\r");
      await audience;
      assert.match(screenText(screen), /audience: Who we are writing to/);
      const done = shows(/ledger: +\d+ entries/);
      child.stdin.write("\r");
      await done;
      child.stdin.end();
    };
    try {
      await answerPrompts();
    } catch (err) {
      // Only this test's own child, and only when an assertion left it running.
      child.kill();
      throw err;
    }
    assert.equal(await exited, 0, screenText(screen));

    const text = screenText(screen);
    assert.match(text, /trade_show completed/);
    const dir = text.match(/sealed in: +(\S+)/)?.[1];
    assert.ok(dir, text);
    const run = JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8")) as {
      inputs: Record<string, string>;
    };
    assert.deepEqual(run.inputs, {
      event: "MODEX 2026, Atlanta, April 13-16",
      booth: "4411",
      audience: "plant managers who stopped at the booth",
    });
    assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
  });
});
