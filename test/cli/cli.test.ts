import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openaiServer.ts";
import { REPO, testApp } from "../helpers/testApp.ts";

const BIN = path.join(REPO, "bin", "maos.js");

function maos(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the maos CLI", () => {
  let home: string;
  let env: Record<string, string>;
  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), "maos-cli-"));
    env = { MAOS_HOME: home };
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test("run --json prints one document with the contract's fields and exits 0", () => {
    const r = maos(["run", "marketing_ops", "--input", "event=Midwest Builders Expo 2027", "--json"], env);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    for (const k of ["runId", "correlationId", "stack", "status", "score", "pass", "steps"])
      assert.ok(k in doc, k);
    assert.equal(doc.status, "completed");
    for (const s of doc.steps)
      for (const k of ["agent", "provider", "attempts", "tokens", "ms"]) assert.ok(k in s, k);
    assert.match(doc.vault.path, /runs\/\d{8}T\d{6}Z-marketing_ops-[0-9a-f]{8}$/);
    assert.match(doc.vault.commit, /^[0-9a-f]{40}$/);
    assert.match(doc.seal.root, /^[0-9a-f]{64}$/);
    assert.ok(doc.ledger.size > 10);
    assert.match(doc.ledger.head, /^[0-9a-f]{64}$/);
  });

  test("ledger verify and vault verify exit 0 on an intact home", () => {
    const l = maos(["ledger", "verify", "--json"], env);
    assert.equal(l.code, 0, l.stdout + l.stderr);
    assert.equal(JSON.parse(l.stdout).ok, true);
    const v = maos(["vault", "verify"], env);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /✔ \d{8}T\d{6}Z-marketing_ops-/);
    const t = maos(["ledger", "tail", "-n", "3", "--json"], env);
    assert.equal(JSON.parse(t.stdout).length, 3);
  });

  test("usage errors exit 2 with a message, never a stack trace", () => {
    for (const args of [
      ["run"],
      ["run", "no_such_stack"],
      // Issue 8: `run marketing_ops` alone now runs (every input has a default); a misspelt input does not.
      ["run", "marketing_ops", "--input", "evnt=x"],
      ["run", "marketing_ops", "--input", "novalue"],
      ["run", "marketing_ops", "--input", "event=x", "--provider", "gpt4"],
      ["frobnicate"],
    ]) {
      const r = maos(args, env);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
    const bad = maos(["run", "marketing_ops"], { ...env, MAOS_PRIME: "gpt4" });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /MAOS_PRIME/);
  });

  test("stacks list and validate", () => {
    const list = maos(["stacks", "list", "--json"], env);
    assert.equal(list.code, 0);
    const names = JSON.parse(list.stdout).stacks.map((s: { name: string }) => s.name);
    assert.deepEqual(names.sort(), [
      "campaign_operator",
      "equipment_lead",
      "field_estimator",
      "marketing_ops",
    ]);
    assert.equal(maos(["stacks", "validate"], env).code, 0);
    const broken = path.join(home, "broken.yaml");
    writeFileSync(
      broken,
      "persona: x\ngoal: y\nagents:\n  - agent: a\n    role: r\n    depends_on: [ghost]\n",
    );
    const r = maos(["stacks", "validate", broken], env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /broken\.yaml:6:\d+/);
    assert.match(r.stdout, /ghost/);
  });

  test("a changed vault file fails vault verify, naming the file", () => {
    const doc = JSON.parse(
      maos(["run", "equipment_lead", "--input", "inventory=12 skid steers, 4 telehandlers", "--json"], env)
        .stdout,
    );
    appendFileSync(path.join(doc.vault.path, "codex_digest_report.md"), "\nedited by hand\n");
    const r = maos(["vault", "verify", doc.runId.slice(0, 8)], env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /changed: codex_digest_report\.md/);
  });

  test("a row edited behind the triggers fails ledger verify, naming the seq", () => {
    const db = new Database(path.join(home, "ledger.db"));
    const triggers = db.prepare("select name from sqlite_master where type = 'trigger'").all() as {
      name: string;
    }[];
    for (const t of triggers) db.exec(`drop trigger "${t.name}"`);
    // actor_identity is generated from the hashed canonical bytes, so those bytes are what gets edited.
    db.prepare(
      `update ledger set canonical = replace(canonical, '"actor_identity":"', '"actor_identity":"mallory-') where seq = 3`,
    ).run();
    assert.match(
      db.prepare("select actor_identity from ledger where seq = 3").pluck().get() as string,
      /^mallory-/,
    );
    db.close();
    const r = maos(["ledger", "verify"], env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /seq 3/);
  });
});

describe("a run killed half-way", () => {
  let fake: FakeOpenAI;
  let home: string;
  before(async () => {
    fake = await startFakeOpenAI();
    home = mkdtempSync(path.join(os.tmpdir(), "maos-kill-"));
  });
  after(async () => {
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  });

  test("kill -9 leaves a ledger that verifies, and the next start marks the run aborted", async () => {
    fake.script([{ hang: true }]);
    const child = spawn(process.execPath, [BIN, "run", "marketing_ops", "--input", "event=Expo"], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? "",
        MAOS_HOME: home,
        MAOS_PRIME: "openai:gpt-test",
        OPENAI_BASE_URL: fake.url,
        OPENAI_API_KEY: "sk-test-0000000000",
      },
      stdio: "ignore",
    });
    await fake.waitForRequests(1);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));

    const t = testApp({ MAOS_HOME: home });
    try {
      const started = t.app.ledger().query({ eventType: "RUN_STARTED" });
      assert.equal(started.length, 1);
      const aborted = await t.app.recoverAbortedRuns();
      assert.deepEqual(aborted, [started[0]?.correlationId]);
      const entry = t.app.ledger().query({ eventType: "RUN_ABORTED" })[0];
      assert.equal(entry?.correlationId, started[0]?.correlationId);
      assert.deepEqual(await t.app.recoverAbortedRuns(), [], "marked once");
    } finally {
      await t.app.close();
    }
    const r = maos(["ledger", "verify", "--json"], { MAOS_HOME: home });
    assert.equal(r.code, 0, r.stdout);
  });
});
