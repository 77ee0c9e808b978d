/**
 * The README's CLI table is the truth (issue 8, point 6): each row fixed after an audit of real runs of
 * `node bin/maos.js …` in a temp MAOS_HOME, checked here the same way — permission names, exit codes,
 * `--json` that says why, and hints that name `maos …` commands on the terminal.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { REPO } from "../helpers/testApp.ts";

const BIN = path.join(REPO, "bin", "maos.js");
const ME = `local:${os.userInfo().username}`;

function maos(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}${r.stderr}` };
}

/** The GOVERNANCE_REFUSAL entries' command names, in order. */
function refusals(home: string): string[] {
  const db = new Database(path.join(home, "ledger.db"), { readonly: true });
  try {
    return (
      db.prepare("SELECT payload FROM ledger WHERE event_type = 'GOVERNANCE_REFUSAL' ORDER BY seq").all() as {
        payload: string;
      }[]
    ).map((r) => (JSON.parse(r.payload) as { command: string }).command);
  } finally {
    db.close();
  }
}

describe("the README's CLI table, row by row", () => {
  let home: string;
  let nobody: Record<string, string>;
  let operator: Record<string, string>;
  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), "maos-table-"));
    // The shipped charter with this OS user as its operator (and nobody else in any governed role).
    const charter = readFileSync(path.join(REPO, "charter.yml"), "utf8").replace(
      /(\n {2}operator:\n(?: {4}.*\n)*? {4}members: )\[\]/,
      `$1["${ME}"]`,
    );
    assert.match(charter, new RegExp(`members: \\["${ME}"\\]`));
    writeFileSync(path.join(home, "charter.yml"), charter);
    nobody = { MAOS_HOME: path.join(home, "a") };
    operator = { MAOS_HOME: path.join(home, "b"), MAOS_CHARTER: path.join(home, "charter.yml") };
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test("relay redrive and client --sync name their own permissions, not activate or snapshot", () => {
    const redrive = maos(["relay", "redrive"], nobody);
    assert.equal(redrive.code, 1);
    assert.match(
      redrive.stderr,
      /^maos: relay redrive needs the operator role; cli:local:\S+ does not hold it/,
    );
    const sync = maos(["client", "--sync"], nobody);
    assert.equal(sync.code, 1);
    assert.match(sync.stderr, /^maos: client sync needs the operator role/);
    const snapshot = maos(["snapshot"], nobody);
    assert.equal(snapshot.code, 1, "snapshot: 1 refused by the charter");
    assert.deepEqual(refusals(nobody.MAOS_HOME as string), ["relay.redrive", "client.sync", "snapshot"]);
  });

  test("relay redrive: 0 with nothing to redrive, 1 when a given id is not a dead letter", () => {
    const none = maos(["relay", "redrive", "--json"], operator);
    assert.equal(none.code, 0, none.all);
    assert.deepEqual(JSON.parse(none.stdout).redriven, []);
    const missing = maos(["relay", "redrive", "99"], operator);
    assert.equal(missing.code, 1, missing.all);
    assert.match(missing.stdout, /No dead letters among #99 to redrive/);
  });

  test("client with Notion off: exit 1, and --json says why", () => {
    const json = maos(["client", "--json"], nobody);
    assert.equal(json.code, 1);
    const doc = JSON.parse(json.stdout) as { clients: unknown[]; error?: { code: string; message: string } };
    assert.deepEqual(doc.clients, []);
    assert.equal(doc.error?.code, "CLIENT_MATRIX_OFF");
    assert.match(
      doc.error?.message ?? "",
      /off: NOTION_TOKEN is not set.*NOTION_CLIENT_MATRIX_DATA_SOURCE_ID/,
    );
    const text = maos(["client", "Acme"], nobody);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /the Client Intelligence Layer is off/);
    const sync = maos(["client", "--sync", "--json"], operator);
    assert.equal(sync.code, 1);
    assert.equal(JSON.parse(sync.stdout).error?.code, "CLIENT_MATRIX_OFF");
  });

  test("notion setup: 1 refused by the charter, 2 with NOTION_TOKEN unset", () => {
    assert.equal(maos(["notion", "setup", "--parent", "0123456789abcdef0123456789abcdef"], nobody).code, 1);
    const unset = maos(["notion", "setup", "--parent", "0123456789abcdef0123456789abcdef"], operator);
    assert.equal(unset.code, 2, unset.all);
    assert.match(unset.stderr, /NOTION_TOKEN is not set/);
  });

  test("stop 0, stop again 1, resume 1; every hint names a maos command, never /codex", () => {
    const stop = maos(["stop", "table", "audit"], operator);
    assert.equal(stop.code, 0, stop.all);
    assert.match(stop.stdout, /HALTED; INC-1 is open/);
    const again = maos(["stop"], operator);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /already HALTED/);
    assert.match(again.stdout, /see the open incidents with maos incident list/);
    const resume = maos(["resume"], operator);
    assert.equal(resume.code, 1);
    assert.match(resume.stdout, /INC-1 has no resolution note \(maos incident resolve INC-1 <note>\)/);
    assert.match(resume.stdout, /first \(maos incident list\)/);
    const run = maos(["run", "marketing_ops", "--input", "event=Expo"], operator);
    assert.equal(run.code, 1, "runs are paused while halted");
    assert.match(run.stderr, /\(maos incident list\), then maos resume/);
    const show = maos(["incident", "show", "INC-9"], operator);
    assert.equal(show.code, 1);
    assert.match(show.stderr, /list them with maos incident list/);
    const seal = maos(["seal", "v0", "--json"], operator);
    assert.equal(seal.code, 1, "seal: refused by the charter (the operator is no approver)");
    assert.match(
      JSON.parse(seal.stdout).error.message,
      /seal needs the approver or client_role:business_owner/,
    );
    for (const r of [stop, again, resume, run, show, seal]) {
      assert.doesNotMatch(r.all, /\/codex (?!approve|reject)[a-z]/, r.all);
    }
  });
});
