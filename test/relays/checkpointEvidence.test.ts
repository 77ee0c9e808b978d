/**
 * Every evidence sink keeps a copy of the signed ledger checkpoint that covers the item's entry, so the
 * checkpoint lives where the ledger file cannot take it back with it. From outside: real `maos run` and
 * `maos snapshot` processes (a snapshot is evidence) queue evidence, `maos relay redrive` delivers it to the Notion and Teamwork fakes; an
 * auditor takes the newest checkpoint from Teamwork and checks the ledger against it, and a ledger
 * rolled back to a copy from before the second run is caught.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os, { userInfo } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { REPO } from "../helpers/testApp.ts";
import { type RelayFakes, startRelayFakes } from "./relayKit.ts";

const BIN = path.join(REPO, "bin", "maos.js");
const NOTE = /```\n(maos-codex\/ledger[^\n]*\n(\d+)\n[^\n]+\n\n(?:— [^\n]+\n)+)```/g;

let fakes: RelayFakes;
let home: string;

/** Runs the CLI without blocking this process: the fakes it talks to answer from here. */
function maos(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: REPO,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          MAOS_HOME: home,
          MAOS_ROLES: `operator=local:${userInfo().username}`,
          ...env,
        },
        encoding: "utf8",
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

/** Each Teamwork text (task description or comment) with its "Ledger seq" and the checkpoint notes it holds. */
function teamworkTexts(): { seq: number; notes: { note: string; size: number }[] }[] {
  const texts = fakes.teamwork.tasks.flatMap((t) => [t.description ?? "", ...t.comments.map((c) => c.body)]);
  return texts.map((text) => ({
    seq: Number(/Ledger seq: (\d+)/.exec(text)?.[1]),
    notes: [...text.matchAll(NOTE)].map((m) => ({ note: m[1] as string, size: Number(m[2]) })),
  }));
}

before(async () => {
  fakes = await startRelayFakes();
  home = mkdtempSync(path.join(os.tmpdir(), "maos-cpevidence-"));
});
after(async () => {
  await fakes.close();
  rmSync(home, { recursive: true, force: true });
});

test("Notion and Teamwork receive the signed checkpoint covering each item; an auditor verifies with it and catches a rollback", async () => {
  // A CLI command queues its evidence; `maos relay redrive` runs a delivery pass (a running bot would).
  for (const args of [["run", "marketing_ops"], ["snapshot"], ["relay", "redrive"]]) {
    const r = await maos(args, fakes.env);
    assert.equal(r.code, 0, r.out);
  }
  const older = path.join(home, "..", `${path.basename(home)}-older.db`);
  execFileSync("sqlite3", [path.join(home, "ledger.db"), `.backup '${older}'`]);
  for (const args of [["run", "marketing_ops"], ["snapshot"], ["relay", "redrive"]]) {
    const r = await maos(args, fakes.env);
    assert.equal(r.code, 0, r.out);
  }
  assert.deepEqual(fakes.problems(), []);

  const texts = teamworkTexts();
  assert.ok(texts.length >= 2, `Teamwork holds ${texts.length} evidence texts`);
  for (const t of texts) {
    assert.equal(t.notes.length, 1, "one checkpoint per evidence text");
    assert.ok((t.notes[0]?.size ?? 0) > t.seq, `checkpoint size ${t.notes[0]?.size} covers entry ${t.seq}`);
  }
  const pages = fakes.notion.pagesIn(fakes.ledgerDs.id);
  assert.ok(pages.length >= 2);
  for (const p of pages) {
    const code = JSON.stringify(p.children);
    assert.match(code, /maos-codex\/ledger/, "each Notion page carries the checkpoint as a code block");
  }

  // The auditor keeps the newest checkpoint they received, then checks the ledger they are shown.
  const newest = texts.flatMap((t) => t.notes).sort((a, b) => b.size - a.size)[0];
  assert.ok(newest);
  const cpFile = path.join(home, "..", `${path.basename(home)}-checkpoint.txt`);
  writeFileSync(cpFile, newest.note);
  const key = path.join(home, "keys", "ledger.vkey");
  const good = await maos([
    "ledger",
    "verify",
    "--key",
    key,
    "--db",
    path.join(home, "ledger.db"),
    "--checkpoint",
    cpFile,
  ]);
  assert.equal(good.code, 0, good.out);
  const rolledBack = await maos(["ledger", "verify", "--key", key, "--db", older, "--checkpoint", cpFile]);
  assert.notEqual(rolledBack.code, 0, rolledBack.out);
  assert.match(rolledBack.out, /checkpoint/i);
  rmSync(older, { force: true });
  rmSync(cpFile, { force: true });
});
