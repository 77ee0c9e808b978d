import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { loadVerifiedMark, saveVerifiedMark } from "../../src/audit/verifiedMark.ts";
import { localLedger } from "../../src/ledger/LedgerHandle.ts";
import { generateNoteKey } from "../../src/ledger/signedNote.ts";
import { REPO, testApp } from "../helpers/testApp.ts";

// The read commands a user runs most (`maos ledger tail`, `maos stacks list`) as real processes: what
// they print, and that they change nothing they only read.

const BIN = path.join(REPO, "bin", "maos.js");

/**
 * Reports on stderr each zod, yaml and pino module the process loads: `maos stacks list` and `maos
 * ledger tail` must start without them (loading them was most of their start-up time).
 */
const REPORT_HEAVY = `data:text/javascript,${encodeURIComponent(`
  import { registerHooks } from "node:module";
  registerHooks({ load(url, context, next) {
    if (/node_modules\\/(zod|yaml|pino)\\//.test(url)) process.stderr.write("LOADED " + url + "\\n");
    return next(url, context);
  } });
`)}`;

function maos(args: string[], env: Record<string, string>, nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, BIN, ...args], {
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
    for (let i = 0; i < 25; i++) localLedger(t.app.ledger()).appendSync(note(i));
    await t.app.close();
    // Five more that no checkpoint covers, as a writer that stopped before signing leaves them (the
    // ledger is closed under the app, so its close() cannot sign): a read must not sign one either.
    const w = testApp({ MAOS_HOME: home });
    for (let i = 25; i < 30; i++) localLedger(w.app.ledger()).appendSync(note(i));
    w.app.ledger().close();
    await w.app.close();
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

    const text = maos(["ledger", "tail"], { MAOS_HOME: home }, [`--import=${REPORT_HEAVY}`]);
    assert.equal(text.code, 0, text.stderr);
    assert.doesNotMatch(text.stderr, /LOADED/, "neither zod, yaml nor pino is loaded");
    assert.match(text.stdout, /NOTE/);
    assert.deepEqual(snapshot(home), before);
  });

  test("reads a live ledger's newest entries while a writer holds it open", async () => {
    const t = testApp({ MAOS_HOME: home });
    try {
      const last = localLedger(t.app.ledger()).appendSync(note(99));
      assert.ok(existsSync(path.join(home, "ledger.db-wal")), "the writer's log is there");
      const r = maos(["ledger", "tail", "-n", "1", "--json"], { MAOS_HOME: home });
      assert.equal(r.code, 0, r.stderr);
      const [entry] = JSON.parse(r.stdout) as { seq: number; entryHash: string }[];
      assert.equal(entry?.seq, last.seq);
      assert.equal(entry?.entryHash, last.entryHash);
    } finally {
      await t.app.close();
    }
  });

  test("with DATABASE_URL set it reads the shared ledger: without the replicas' key or the server it says why, and reads no stale mirror", () => {
    const before = snapshot(home);
    const noKey = maos(["ledger", "tail"], {
      MAOS_HOME: home,
      DATABASE_URL: "postgres://maos:pw-secret-1234@127.0.0.1:9/maos",
    });
    assert.notEqual(noKey.code, 0);
    assert.match(noKey.stderr, /DATABASE_URL is set but MAOS_LEDGER_KEY is not/);
    const down = maos(["ledger", "tail"], {
      MAOS_HOME: home,
      DATABASE_URL: "postgres://maos:pw-secret-1234@127.0.0.1:9/maos",
      MAOS_LEDGER_KEY: generateNoteKey("maos-codex-tail").signerKey,
    });
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, /cannot connect to the ledger database postgres:\/\/maos@127\.0\.0\.1:9\/maos/);
    assert.match(down.stderr, /DATABASE_URL/);
    assert.doesNotMatch(down.stderr + noKey.stderr, /pw-secret-1234|at .*\.ts:\d+/);
    assert.deepEqual(snapshot(home), before);
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

describe("maos stacks list", () => {
  let home: string;
  let stacks: string;
  let env: Record<string, string>;
  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), "maos-stacks-home-"));
    stacks = mkdtempSync(path.join(os.tmpdir(), "maos-stacks-dir-"));
    cpSync(path.join(REPO, "stacks"), stacks, { recursive: true });
    env = { MAOS_HOME: home, MAOS_STACKS: stacks };
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(stacks, { recursive: true, force: true });
  });
  const list = (nodeArgs: string[] = []) => {
    const r = maos(["stacks", "list", "--json"], env, nodeArgs);
    assert.equal(r.code, 0, r.stderr);
    return { doc: JSON.parse(r.stdout) as ListDoc, stderr: r.stderr };
  };
  const goalOf = (doc: ListDoc, name: string) => doc.stacks.find((s) => s.name === name)?.goal;
  const file = () => path.join(stacks, "marketing_ops.yaml");

  test("lists the same stacks from the validator and from the listings kept for unchanged files, then without zod or yaml", () => {
    const first = list();
    assert.deepEqual(first.doc.stacks.map((s) => s.name).sort(), [
      "campaign_operator",
      "equipment_lead",
      "field_estimator",
      "marketing_ops",
    ]);
    assert.deepEqual(first.doc.invalid, []);
    assert.ok(
      existsSync(path.join(home, "cache", "stack-listings.json")),
      "the listings are kept in the home",
    );
    const again = list([`--import=${REPORT_HEAVY}`]);
    assert.deepEqual(again.doc, first.doc);
    assert.doesNotMatch(again.stderr, /LOADED/, "neither zod, yaml nor pino is loaded");
  });

  test("an edited stack is listed as it is now, and an invalid one is reported, never shown stale", () => {
    const original = readFileSync(file(), "utf8");
    try {
      const goal = original.match(/^goal: (.*)$/m)?.[1];
      assert.ok(goal, "the shipped stack has a one-line goal");
      writeFileSync(file(), original.replace(/^goal: .*$/m, "goal: A goal edited a moment ago"));
      assert.equal(goalOf(list().doc, "marketing_ops"), "A goal edited a moment ago");

      writeFileSync(file(), original.replace(/^goal: .*$/m, "goal: [unclosed"));
      const broken = list().doc;
      assert.equal(goalOf(broken, "marketing_ops"), undefined, "not listed from the kept copy");
      assert.equal(broken.invalid.length, 1);
      assert.match(broken.invalid[0]?.message ?? "", /marketing_ops\.yaml:\d+:\d+/);
      // Asked again, still reported: an invalid file is never kept.
      assert.equal(list().doc.invalid.length, 1);

      writeFileSync(file(), original);
      const back = list();
      assert.equal(goalOf(back.doc, "marketing_ops"), goal);
      assert.deepEqual(back.doc.invalid, []);
    } finally {
      writeFileSync(file(), original);
    }
  });

  test("a second file with the same persona is reported whether or not the first is kept", () => {
    list();
    const copy = path.join(stacks, "zz_copy.yaml");
    cpSync(file(), copy);
    try {
      for (let i = 0; i < 2; i++) {
        const doc = list().doc;
        assert.equal(doc.stacks.filter((s) => s.name === "marketing_ops").length, 1);
        assert.match(doc.invalid[0]?.message ?? "", /persona: "marketing_ops" is already defined/);
      }
    } finally {
      rmSync(copy);
    }
    assert.deepEqual(list().doc.invalid, []);
  });

  test("a home that does not exist is not created", () => {
    const missing = path.join(home, "not-yet");
    const r = maos(["stacks", "list", "--json"], { ...env, MAOS_HOME: missing });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as ListDoc).stacks.length, 4);
    assert.equal(existsSync(missing), false);
  });
});

describe("maos status", () => {
  let home: string;
  before(async () => {
    const t = testApp();
    home = t.home;
    for (let i = 0; i < 20; i++) localLedger(t.app.ledger()).appendSync(note(i));
    await t.app.close();
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test("reads only the entries written since the kept verification, however long ago the last full pass was", async () => {
    const first = maos(["status"], { MAOS_HOME: home });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Ledger:\s+\d+ entries, intact \(fully verified now/);
    const again = maos(["status"], { MAOS_HOME: home });
    assert.match(again.stdout, /intact \(new entries verified now, \d+ signed checkpoints\)/);

    // The kept mark says every entry was last verified three hours ago (past the hourly full pass a
    // heartbeat would run now): status still reads only what changed, and says how old the full pass is.
    const t = testApp({ MAOS_HOME: home });
    try {
      const mark = await loadVerifiedMark(t.app);
      assert.ok(mark, "the first status kept its mark");
      await saveVerifiedMark(t.app, { ...mark, fullAt: Date.now() - 3 * 3_600_000 });
      localLedger(t.app.ledger()).appendSync(note(100));
    } finally {
      await t.app.close();
    }
    const late = maos(["status"], { MAOS_HOME: home });
    assert.equal(late.code, 0, late.stderr);
    assert.match(
      late.stdout,
      /intact \(new entries verified now, \d+ signed checkpoints; every entry last verified 3 h ago: maos ledger verify checks them all now\)/,
    );
  });
});

interface ListDoc {
  stacks: { name: string; goal: string }[];
  invalid: { code: string; message: string }[];
}
