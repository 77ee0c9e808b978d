/**
 * `maos run` holds the charter's `run` permission as `/codex run` does (issue 13: the CLI skipped it).
 * From outside: a charter that gives `run` to operators only, the real CLI as a process.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { REPO } from "../helpers/testApp.ts";

const BIN = path.join(REPO, "bin", "maos.js");

test("maos run is refused without the charter's run permission, ledgered, and runs once it is granted", (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-runperm-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const charter = path.join(home, "charter.yml");
  const shipped = readFileSync(path.join(REPO, "charter.yml"), "utf8");
  assert.match(shipped, /^ {2}run: \[member\]$/m, "the shipped charter gives run to members");
  writeFileSync(charter, shipped.replace(/^ {2}run: \[member\]$/m, "  run: [operator]"));
  const user = os.userInfo().username;
  const maos = (env: Record<string, string>) =>
    spawnSync(process.execPath, [BIN, "run", "marketing_ops"], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        MAOS_HOME: home,
        MAOS_CHARTER: charter,
        ...env,
      },
      encoding: "utf8",
      timeout: 120_000,
    });

  const refused = maos({});
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /run needs the operator role; cli:local:\S+ does not hold it/);
  assert.match(refused.stderr, /MAOS_ROLES=operator=local:/);
  assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");
  const db = new Database(path.join(home, "ledger.db"), { readonly: true });
  const rows = db
    .prepare("SELECT event_type FROM ledger WHERE event_type IN ('GOVERNANCE_REFUSAL', 'RUN_STARTED')")
    .pluck()
    .all();
  db.close();
  assert.deepEqual(rows, ["GOVERNANCE_REFUSAL"], "refused before anything ran");

  const granted = maos({ MAOS_ROLES: `operator=local:${user}` });
  assert.equal(granted.status, 0, granted.stderr);
});
