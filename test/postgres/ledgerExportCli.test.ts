/**
 * `maos ledger export --sqlite FILE` as an auditor runs it, a real process each time: from a home's
 * SQLite ledger after the headline run, and from a PostgreSQL ledger (DATABASE_URL); each export then
 * passes `maos ledger verify --key … --db FILE` with the public key alone. With DATABASE_URL set, a
 * command that writes needs the replicas' MAOS_LEDGER_KEY, and says so.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { PgLedger } from "../../src/ledger/pg/PgLedger.ts";
import { generateNoteKey, newNoteSigner } from "../../src/ledger/signedNote.ts";
import { pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";
import { REPO } from "../helpers/testApp.ts";

const BIN = path.join(REPO, "bin", "maos.js");

function maos(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}${r.stderr}` };
}

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "maos-export-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a home's ledger exports after a run, verifies with the public key, and is never overwritten", async (t) => {
  const dir = tempDir(t);
  const env = { MAOS_HOME: path.join(dir, "home") };
  assert.equal(maos(["run", "marketing_ops"], env).code, 0);
  const file = path.join(dir, "audit.db");
  const out = maos(["ledger", "export", "--sqlite", file], env);
  assert.equal(out.code, 0, out.all);
  assert.match(
    out.stdout,
    /exported \d+ entries and \d+ signed checkpoints from .*ledger\.db to .*audit\.db/,
  );
  assert.match(out.stdout, /maos ledger verify --key ledger\.vkey --db /);
  const verify = maos(
    ["ledger", "verify", "--key", path.join(env.MAOS_HOME, "keys", "ledger.vkey"), "--db", file],
    {
      MAOS_HOME: path.join(dir, "elsewhere"),
    },
  );
  assert.equal(verify.code, 0, verify.all);
  assert.ok(!existsSync(path.join(dir, "elsewhere")), "verify created nothing");
  const again = maos(["ledger", "export", "--sqlite", file], env);
  assert.equal(again.code, 2, again.all);
  assert.match(again.all, /already exists/);
  assert.doesNotMatch(again.all, /\n\s+at /, "no stack trace");
});

test("a PostgreSQL ledger exports with DATABASE_URL and verifies unchanged, with no ledger key; a command that writes asks for MAOS_LEDGER_KEY", {
  skip: pgSkip(),
}, async (t) => {
  const url = await pgTestDatabase(t);
  const key = generateNoteKey("maos-codex-export");
  const ledger = await PgLedger.open({
    url,
    signer: newNoteSigner(key.signerKey),
    clock: new ManualClock("2026-12-07T12:00:00.000Z"),
    environment: "test",
    origin: "maos-codex/ledger",
  });
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      ledger.append({ eventType: "run.step", actor: "agent:a", correlationId: "r", payload: { i } }),
    ),
  );
  // More than nine checkpoints: ids 10, 11, 12 must come after 9 (they did not when sorted as text).
  for (let i = 0; i < 12; i++) {
    await ledger.append({
      eventType: "run.step",
      actor: "agent:a",
      correlationId: "r",
      payload: { i: 20 + i },
    });
    await ledger.checkpoint();
  }
  await ledger.close();
  const dir = tempDir(t);
  const env = { MAOS_HOME: path.join(dir, "home"), DATABASE_URL: url };
  const file = path.join(dir, "from-pg.db");
  const out = maos(["ledger", "export", "--sqlite", file], env);
  assert.equal(out.code, 0, out.all);
  assert.match(
    out.stdout,
    /exported 33 entries and 12 signed checkpoints from postgres:\/\/maos@127\.0\.0\.1:\d+\/postgres /,
  );
  const vkey = path.join(dir, "ledger.vkey");
  writeFileSync(vkey, `${key.verifierKey}\n`);
  const verify = maos(["ledger", "verify", "--key", vkey, "--db", file], { MAOS_HOME: path.join(dir, "x") });
  assert.equal(verify.code, 0, verify.all);

  // Every replica signs the shared ledger: without the key a command that writes says so, and writes nothing.
  const run = maos(["run", "marketing_ops"], env);
  assert.notEqual(run.code, 0);
  assert.match(run.all, /DATABASE_URL is set but MAOS_LEDGER_KEY is not/);
  assert.match(run.all, /set MAOS_LEDGER_KEY on every replica/);
  assert.doesNotMatch(run.all, /\n\s+at /, "no stack trace");
  assert.ok(!existsSync(path.join(env.MAOS_HOME, "ledger.db")), "nothing written to SQLite instead");
});
