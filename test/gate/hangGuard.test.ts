/**
 * A red test must stay a red test, not a suite that never ends (CI once ran out its 90 minutes that
 * way: a test failed while the bot it had started ran on, because a cleanup hook threw before the one
 * that killed it). test/helpers/reap.ts kills the long-lived children a test file started once its
 * tests are done, so the file's process ends; each test has a timeout (`npm run test:unit`'s flags).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { REPO } from "../helpers/testApp.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "maos-hang-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("a failed test whose cleanup throws before its child is killed ends, and so does the child", async () => {
  const scripts = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")).scripts as Record<
    string,
    string
  >;
  const timeout = "--test-timeout=180000";
  assert.ok(scripts["test:unit"]?.includes(timeout), `test:unit has ${timeout}`);
  // It drops tests: see test/helpers/reap.ts.
  assert.ok(!scripts["test:unit"]?.includes("--test-force-exit"), "test:unit runs without --test-force-exit");

  const pidFile = path.join(dir, "child.pid");
  const file = path.join(dir, "hang.test.ts");
  writeFileSync(
    file,
    `import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { reap } from ${JSON.stringify(path.join(REPO, "test", "helpers", "reap.ts"))};
test("fails with a live child", async (t) => {
  const child = reap(spawn("sleep", ["600"], { stdio: ["ignore", "ignore", "pipe"] }));
  writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
  t.after(() => { throw new Error("the server's stop failed"); });
  t.after(() => child.kill("SIGKILL"));
  throw new Error("an assertion failed");
});
`,
  );
  const run = spawn(process.execPath, ["--test", timeout, "--test-reporter=dot", file], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  run.stdout.resume();
  run.stderr.resume();
  const [code] = (await once(run, "close")) as [number | null];
  assert.equal(code, 1, "the run ends, red");
  const pid = Number(readFileSync(pidFile, "utf8"));
  // SIGKILL was sent once the file's tests were done; the kernel finishes it within moments.
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(pid), false, "the child did not outlive its test file");
});
