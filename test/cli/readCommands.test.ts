import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO, testApp } from "../helpers/testApp.ts";

// The read commands a user runs most (`maos ledger tail`, `maos stacks list`) as real processes: what
// they print, and that they change nothing they only read.

const BIN = path.join(REPO, "bin", "maos.js");

function maos(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      MAOS_STACKS: path.join(REPO, "stacks"),
      MAOS_CHARTER: path.join(REPO, "charter.yml"),
      ...env,
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` with a digest of its bytes: what a read must leave as it was. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    out[path.relative(dir, file)] = createHash("sha256").update(readFileSync(file)).digest("hex");
  }
  return out;
}

const note = (i: number) => ({
  eventType: "NOTE",
  actor: "agent:prime",
  correlationId: `tail-${i}`,
  payload: { step: i },
});

describe("maos ledger tail", () => {
  let home: string;
  before(async () => {
    const t = testApp();
    home = t.home;
    for (let i = 0; i < 25; i++) t.app.ledger().appendSync(note(i));
    await t.app.close();
    // Five more that no checkpoint covers, as a writer that stopped before signing leaves them (the
    // ledger is closed under the app, so its close() cannot sign): a read must not sign one either.
    const w = testApp({ MAOS_HOME: home });
    for (let i = 25; i < 30; i++) w.app.ledger().appendSync(note(i));
    w.app.ledger().close();
    await w.app.close();
    rmSync(w.home, { recursive: true, force: true });
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test("prints the last entries and writes nothing: no closing checkpoint, no -wal, no key", () => {
    const before = snapshot(home);
    const r = maos(["ledger", "tail", "-n", "5", "--json"], { MAOS_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    const entries = JSON.parse(r.stdout) as { seq: number; correlationId: string }[];
    assert.deepEqual(
      entries.map((e) => e.correlationId),
      ["tail-25", "tail-26", "tail-27", "tail-28", "tail-29"],
    );
    assert.deepEqual(snapshot(home), before, "the home is byte for byte as it was");

    const text = maos(["ledger", "tail"], { MAOS_HOME: home });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /NOTE/);
    assert.deepEqual(snapshot(home), before);
  });

  test("reads a live ledger's newest entries while a writer holds it open", async () => {
    const t = testApp({ MAOS_HOME: home });
    try {
      const last = t.app.ledger().appendSync(note(99));
      assert.ok(existsSync(path.join(home, "ledger.db-wal")), "the writer's log is there");
      const r = maos(["ledger", "tail", "-n", "1", "--json"], { MAOS_HOME: home });
      assert.equal(r.code, 0, r.stderr);
      const [entry] = JSON.parse(r.stdout) as { seq: number; entryHash: string }[];
      assert.equal(entry?.seq, last.seq);
      assert.equal(entry?.entryHash, last.entryHash);
    } finally {
      await t.app.close();
      rmSync(t.home, { recursive: true, force: true });
    }
  });

  test("a home without a ledger is told so, and nothing is created", () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "maos-noledger-"));
    try {
      const r = maos(["ledger", "tail"], { MAOS_HOME: empty });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /there is no ledger at .*ledger\.db yet/);
      assert.deepEqual(readdirSync(empty), []);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
