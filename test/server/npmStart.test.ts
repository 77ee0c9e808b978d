import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { REPO } from "../helpers/testApp.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "maos-start-"));
after(() => rmSync(home, { recursive: true, force: true }));

/** `npm start`'s command with a clean environment: no Slack, no TTY (pipes), a free port. */
function start(extra: Record<string, string> = {}) {
  return spawn(process.execPath, ["src/main.ts"], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? home,
      MAOS_HOME: home,
      PORT: "0",
      LOG_LEVEL: "info",
      ...extra,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

test("npm start without Slack or a TTY serves /health, then exits 0 on SIGTERM", {
  timeout: 30_000,
}, async () => {
  const child = start();
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      const m = /"url":"(http:\/\/localhost:\d+)"/.exec(stderr);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`exited early (${code}): ${stderr}`)));
  });
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: "ok" });

  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code, signal] = await exited;
  assert.equal(signal, null);
  assert.equal(code, 0, stderr);

  const db = new Database(path.join(home, "ledger.db"), { readonly: true });
  try {
    const starts = db.prepare("SELECT count(*) AS n FROM ledger WHERE event_type = 'MCP_START'").get() as {
      n: number;
    };
    assert.equal(starts.n, 1);
  } finally {
    db.close();
  }
});

test("a malformed variable stops start-up with exit 2, naming it, without a stack trace", {
  timeout: 30_000,
}, async () => {
  const child = start({ PORT: "eighty" });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 2);
  assert.match(stderr, /PORT is set but malformed/);
  assert.match(stderr, /fix: /);
  assert.doesNotMatch(stderr, /\n\s+at /);
});
