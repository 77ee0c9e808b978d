import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { createApp } from "../../src/app/createApp.ts";
import { VERIFIED_MARK_KEY } from "../../src/audit/verifiedMark.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import { createLogger } from "../../src/core/logger.ts";
import { localLedger } from "../../src/ledger/LedgerHandle.ts";
import { generateNoteKey, newNoteSigner, signNote } from "../../src/ledger/signedNote.ts";
import { REPO, testApp } from "../helpers/testApp.ts";

/** Another process on the same home: a fresh app, as `maos status` builds one. */
function reopen(home: string, clock: ReturnType<typeof testApp>["clock"]) {
  const env = loadEnv(
    { MAOS_HOME: home, MAOS_STACKS: path.join(REPO, "stacks"), MAOS_CHARTER: path.join(REPO, "charter.yml") },
    REPO,
  );
  return createApp({ env, clock, log: createLogger({ level: "silent" }) });
}

function note(app: ReturnType<typeof testApp>["app"], i: number) {
  localLedger(app.ledger()).appendSync({
    eventType: "NOTE",
    actor: "test",
    correlationId: "c",
    payload: { i },
  });
}

test("a fresh process continues from the kept, signed verification mark; tampering and an old mark still bring a full pass", async (t) => {
  const ta = testApp();
  t.after(ta.cleanup);
  for (let i = 0; i < 5; i++) note(ta.app, i);
  const first = await ta.app.custody();
  assert.equal(first.ok, true);
  assert.equal(first.mode, "full");
  await ta.app.close();

  // The next process reads only what was added since.
  const second = reopen(ta.home, ta.clock);
  for (let i = 5; i < 8; i++) note(second, i);
  const resumed = await second.custody();
  assert.equal(resumed.ok, true, JSON.stringify(resumed));
  assert.equal(resumed.mode, "incremental");
  assert.equal(resumed.size, first.size + 3);
  await second.close();

  // A mark not signed by the ledger key is not trusted: a full pass.
  const forger = reopen(ta.home, ta.clock);
  const kept = forger.state().getValue<string>(VERIFIED_MARK_KEY) as string;
  const other = newNoteSigner(generateNoteKey("maos-codex-forger").signerKey);
  const text = kept.slice(0, kept.indexOf("\n\n") + 1);
  forger.state().setValue(VERIFIED_MARK_KEY, signNote(text, other));
  const forged = await forger.custody();
  assert.equal(forged.mode, "full");
  assert.equal(forged.fullReason, "first verification");
  assert.equal(forged.ok, true);
  await forger.close();

  // A mark whose last full pass is over an hour old: a full pass, which finds an edit no cheap check sees.
  await ta.clock.advance(61 * 60 * 1000);
  const db = new Database(path.join(ta.home, "ledger.db"));
  db.exec("DROP TRIGGER ledger_no_update");
  db.prepare("UPDATE ledger SET canonical = replace(canonical, '\"i\":2', '\"i\":7') WHERE seq = ?").run(
    first.size - 3,
  );
  db.close();
  const stale = reopen(ta.home, ta.clock);
  const late = await stale.custody();
  assert.equal(late.mode, "full");
  assert.match(late.fullReason ?? "", /over 60 minutes ago/);
  assert.equal(late.ok, false);
  assert.equal(late.firstBad?.seq, first.size - 3);
  await stale.close();
});

test("an edit through SQLite after the mark is caught by the next process at once", async (t) => {
  const ta = testApp();
  t.after(ta.cleanup);
  for (let i = 0; i < 5; i++) note(ta.app, i);
  const first = await ta.app.custody();
  assert.equal(first.mode, "full");
  await ta.app.close();
  const db = new Database(path.join(ta.home, "ledger.db"));
  db.exec("DROP TRIGGER ledger_no_update");
  db.prepare("UPDATE ledger SET canonical = replace(canonical, '\"i\":1', '\"i\":9') WHERE seq = ?").run(
    first.size - 4,
  );
  db.close();
  const next = reopen(ta.home, ta.clock);
  const r = await next.custody();
  assert.equal(r.mode, "full");
  assert.match(r.fullReason ?? "", /schema changed/);
  assert.equal(r.ok, false);
  assert.equal(r.firstBad?.seq, first.size - 4);
  await next.close();
});
