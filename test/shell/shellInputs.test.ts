/**
 * Issue 8: in the shell on a terminal (`npm start` with no Slack tokens), `/codex run` asks for a stack's
 * inputs that have no default, then runs. Driven through a real pseudo-terminal by script(1).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { ptySession, ptyUnavailable } from "../helpers/ptySession.ts";
import { REPO } from "../helpers/testApp.ts";

let home: string;
before(() => {
  home = mkdtempSync(path.join(os.tmpdir(), "maos-shell-asks-"));
});
after(() => rmSync(home, { recursive: true, force: true }));

test("the shell on a terminal asks for missing inputs, then runs the stack", {
  skip: ptyUnavailable,
}, async () => {
  const pty = ptySession(`${JSON.stringify(process.execPath)} src/main.ts`, {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? home,
      MAOS_HOME: home,
      MAOS_STACKS: path.join(REPO, "test/fixtures/stacks/asks"),
      PORT: "0",
    },
  });
  try {
    await pty.shows(/codex> $/, { sinceStart: true });
    const event = pty.shows(/ {2}event> $/);
    pty.type("/codex run trade_show");
    await event;
    assert.match(pty.text(), /event \(required\): The event, with its dates and city/);
    const booth = pty.shows(/ {2}booth> $/);
    pty.type("Midwest Builders Expo 2027, Chicago, March 9-11");
    await booth;
    const audience = pty.shows(/ {2}audience \[plant managers who stopped at the booth\]> $/);
    pty.type("4411");
    await audience;
    const result = pty.shows(/TRADE_SHOW: COMPLETED[\s\S]*codex> $/);
    pty.type("field engineers");
    await result;
    assert.match(pty.text(), /Midwest Builders Expo 2027/);
    const bye = pty.shows(/bye/);
    pty.type("exit");
    await bye;
  } catch (err) {
    pty.child.kill();
    throw err;
  }
  assert.equal(await pty.exited, 0, pty.text());
  assert.doesNotMatch(pty.text(), /\n\s+at /, "no stack trace");
});
