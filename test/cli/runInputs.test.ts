/**
 * Issue 8: a stack input with no default is asked for on a terminal, and named (exit 2) without one.
 * The terminal is real: the CLI runs under script(1), which gives it a pseudo-terminal, and the test
 * answers each prompt only once it is on the screen.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ptySession, ptyUnavailable } from "../helpers/ptySession.ts";
import { REPO } from "../helpers/testApp.ts";

const BIN = path.join(REPO, "bin", "maos.js");
const STACKS = path.join(REPO, "test/fixtures/stacks/asks");

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

  const maos = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      cwd: REPO,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });

  test("without a terminal it exits 2 naming each missing input with its description, and runs nothing", () => {
    const r = maos(["run", "trade_show"]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /needs 2 inputs with no default:/);
    assert.match(r.stderr, /^ {2}event: The event, with its dates and city$/m);
    assert.match(r.stderr, /^ {2}booth: Our booth number, as printed in the show guide$/m);
    assert.doesNotMatch(r.stderr, /audience/, "an input with a default is not named");
    assert.match(r.stderr, /--input event=VALUE --input booth=VALUE/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    const json = maos(["run", "trade_show", "--input", "booth=12", "--json"]);
    assert.equal(json.status, 2);
    const doc = JSON.parse(json.stdout) as { error: { code: string; message: string } };
    assert.equal(doc.error.code, "USAGE");
    assert.match(doc.error.message, /needs an input with no default:\n {2}event: The event/);
  });

  test("on a terminal it asks for each input, showing its description and default, then runs", {
    skip: ptyUnavailable,
  }, async () => {
    const pty = ptySession(`${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run trade_show`, {
      cwd: REPO,
      env,
    });
    try {
      await pty.shows(/ {2}event> $/, { sinceStart: true });
      assert.match(pty.text(), /trade_show needs event, booth, which have no default/);
      assert.match(pty.text(), /event \(required\): The event, with its dates and city/);
      const booth = pty.shows(/ {2}booth> $/);
      pty.type("MODEX 2026, Atlanta, April 13-16");
      await booth;
      assert.match(pty.text(), /booth \(required\): Our booth number, as printed in the show guide/);
      const again = pty.shows(/needs a value \(Ctrl-C cancels the run\)\.\n {2}booth> $/);
      pty.type("");
      await again;
      const audience = pty.shows(/ {2}audience \[plant managers who stopped at the booth\]> $/);
      pty.type("4411");
      await audience;
      assert.match(pty.text(), /audience: Who we are writing to/);
      const done = pty.shows(/ledger: +\d+ entries/);
      pty.type("");
      await done;
      pty.child.stdin?.end();
    } catch (err) {
      // Only this test's own child, and only when an assertion left it running.
      pty.child.kill();
      throw err;
    }
    assert.equal(await pty.exited, 0, pty.text());

    const text = pty.text();
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
