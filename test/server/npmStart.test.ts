import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { reap } from "../helpers/reap.ts";
import { REPO } from "../helpers/testApp.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "maos-start-"));
after(() => rmSync(home, { recursive: true, force: true }));

/** `npm start`'s command with a clean environment: no Slack, no TTY (pipes), a free port. */
function start(extra: Record<string, string> = {}) {
  return reap(
    spawn(process.execPath, ["src/main.ts"], {
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
    }),
  );
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

test("a fresh install answers curl /heartbeat from this machine with no token, and beats at start", {
  timeout: 30_000,
}, async () => {
  const fresh = mkdtempSync(path.join(os.tmpdir(), "maos-fresh-"));
  after(() => rmSync(fresh, { recursive: true, force: true }));
  const child = start({ MAOS_HOME: fresh });
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      const m = /"url":"(http:\/\/localhost:\d+)"/.exec(stderr);
      if (m?.[1] && /running headless/.test(stderr)) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`exited early (${code}): ${stderr}`)));
  });
  assert.match(stderr, /"bind":"127\.0\.0\.1"/, "loopback by default");
  const beat = await fetch(`${url}/heartbeat`);
  assert.equal(beat.status, 200);
  const body = (await beat.json()) as { status: string; source: string; drift: { band: string } };
  assert.deepEqual([body.status, body.source, body.drift.band], ["ok", "relay", "green"]);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /^maos_telemetry_ready 1$/m);

  const exited = once(child, "exit");
  child.kill("SIGTERM");
  assert.equal((await exited)[0], 0, stderr);
  const db = new Database(path.join(fresh, "ledger.db"), { readonly: true });
  try {
    const sources = db
      .prepare(
        "SELECT json_extract(payload, '$.source') AS source FROM ledger WHERE event_type = 'HEARTBEAT' ORDER BY seq",
      )
      .all() as { source: string }[];
    assert.deepEqual(
      sources.map((s) => s.source),
      ["schedule", "relay"],
      "the loop's first heartbeat at start (no interval to wait), then the one curl asked for",
    );
  } finally {
    db.close();
  }
});
