/**
 * Day-one governance and identity, with real processes: `.env` is read by `maos` (the environment
 * wins), a lone operator named there can stop and resume under the documented single-person setting
 * (every self-approval recorded as such), and beside a running bot neither `$USER` nor `MAOS_ROLES` in
 * the CLI's own environment grants anything the bot's configuration does not.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { localAccount } from "../../src/core/Actor.ts";
import { REPO } from "../helpers/testApp.ts";

const me = localAccount();
const nameable = /^[a-z_][a-z0-9_.-]*$/.test(me);
const skip = nameable ? false : `this OS account (${me}) cannot be named as local:NAME in a charter`;

function maos(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(REPO, "bin", "maos.js"), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}\n${r.stderr}` };
}

function ledgerRows(file: string, type: string): { actor: string; payload: Record<string, unknown> }[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db
        .prepare("SELECT actor_identity AS actor, payload FROM ledger WHERE event_type = ? ORDER BY seq")
        .all(type) as { actor: string; payload: string }[]
    ).map((r) => ({ actor: r.actor, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

describe("a lone operator named in .env", { skip }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "maos-solo-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const charter = readFileSync(path.join(REPO, "charter.yml"), "utf8").replace(
    "self_approval: false",
    "self_approval: true",
  );
  writeFileSync(path.join(dir, "charter.yml"), charter);
  const dotEnv = [
    "# the quick start's single-person set-up",
    "MAOS_HOME=./data",
    `MAOS_STACKS=${path.join(REPO, "stacks")}`,
    `MAOS_ROLES="operator=local:${me};approver=local:${me}"`,
    "",
  ].join("\n");

  test("without .env the refusal says how to name the operator", () => {
    const stop = maos(dir, ["stop", "drill"]);
    assert.equal(stop.code, 1, stop.all);
    assert.match(stop.stderr, new RegExp(`add \`MAOS_ROLES=operator=local:${me}\` to \\.env`));
  });

  test("a malformed .env stops maos with exit 2, naming the file and the line", () => {
    writeFileSync(path.join(dir, ".env"), `${dotEnv}this line is not an assignment\n`);
    const r = maos(dir, ["status"]);
    assert.equal(r.code, 2, r.all);
    assert.match(r.stderr, /\.env line 5 is not a NAME=value line/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test("stop, self-approve, resolve and resume under approvals.self_approval: true; the ledger says so", () => {
    writeFileSync(path.join(dir, ".env"), dotEnv);
    // The environment wins over .env: an empty MAOS_ROLES here grants nothing.
    const shadowed = maos(dir, ["stop", "drill"], { MAOS_ROLES: "" });
    assert.equal(shadowed.code, 1, shadowed.all);

    const stop = maos(dir, ["stop", "solo", "drill"], { USER: "bob" });
    assert.equal(stop.code, 0, stop.all);
    assert.match(stop.stdout, /HALTED; INC-1 is open/);
    const approve = maos(dir, ["incident", "approve", "INC-1"]);
    assert.equal(approve.code, 0, approve.all);
    const resolve = maos(dir, ["incident", "resolve", "INC-1", "drill reviewed by the only operator"]);
    assert.equal(resolve.code, 0, resolve.all);
    const resume = maos(dir, ["resume"]);
    assert.equal(resume.code, 0, resume.all);
    assert.match(resume.stdout, /RUNNING again/);

    const status = maos(dir, ["status"]);
    assert.equal(status.code, 0, status.all);
    assert.match(status.stdout, /single-person deployment: approvals\.self_approval is on.*1 self-approval/);

    const db = path.join(dir, "data", "ledger.db");
    const accepted = ledgerRows(db, "APPROVAL_ACCEPTED");
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]?.actor, `cli:local:${me}`, "the OS account, never $USER");
    assert.equal(accepted[0]?.payload.selfApproval, true);
    // Stopped with USER=bob in the environment: still the OS account.
    assert.equal(ledgerRows(db, "SRR_STOPPED")[0]?.actor, `cli:local:${me}`);
    // Recorded when the grants in force change, not on every command.
    assert.equal(ledgerRows(db, "ROLE_GRANTS").length, 1);
    const grants = ledgerRows(db, "ROLE_GRANTS").at(-1)?.payload.grants as {
      role: string;
      member: string;
      source: string;
    }[];
    assert.deepEqual(
      grants.filter((g) => g.member === `local:${me}`),
      [
        { role: "operator", member: `local:${me}`, source: "MAOS_ROLES from .env:4" },
        { role: "approver", member: `local:${me}`, source: "MAOS_ROLES from .env:4" },
      ],
    );
  });
});

describe("identity beside a running bot", { skip }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "maos-identity-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = {
    MAOS_HOME: path.join(dir, "data"),
    MAOS_CHARTER: path.join(REPO, "test/fixtures/autonomy/charter.yml"),
    MAOS_STACKS: path.join(REPO, "stacks"),
  };

  test("USER=bob and MAOS_ROLES=approver=local:bob in the CLI's environment grant nothing", {
    timeout: 120_000,
  }, async () => {
    const bot = spawn(process.execPath, [path.join(REPO, "src/main.ts")], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? dir,
        ...base,
        PORT: "0",
        LOG_LEVEL: "info",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    try {
      await new Promise<void>((resolve, reject) => {
        bot.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString("utf8");
          if (stderr.includes("running headless")) resolve();
        });
        bot.once("exit", (code) => reject(new Error(`the bot exited early (${code}): ${stderr}`)));
      });
      const bob = maos(dir, ["incident", "list"], {
        ...base,
        USER: "bob",
        LOGNAME: "bob",
        MAOS_ROLES: "approver=local:bob",
      });
      assert.equal(bob.code, 1, bob.all);
      assert.match(
        bob.stderr,
        /governed commands are decided by its roles.*this process grants approver=local:bob \(MAOS_ROLES from the environment\); the running bot \(pid \d+/,
      );
      const refusals = ledgerRows(path.join(dir, "data", "ledger.db"), "GOVERNANCE_REFUSAL");
      assert.equal(refusals.at(-1)?.actor, `cli:local:${me}`, "the actor is the OS account, not $USER");
      assert.equal(refusals.at(-1)?.payload.reason, "roles_differ_from_host");

      // With the bot's configuration, the CLI is judged by the bot's roles: this account holds none.
      const plain = maos(dir, ["incident", "list"], { ...base, USER: "bob" });
      assert.equal(plain.code, 1, plain.all);
      assert.match(plain.stderr, new RegExp(`cli:local:${me} does not hold it`));
    } finally {
      const exited = once(bot, "exit");
      bot.kill("SIGTERM");
      await exited;
    }
  });
});
