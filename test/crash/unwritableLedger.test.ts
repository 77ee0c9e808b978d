/**
 * A ledger that cannot be written under the running bot. Tests run as root, so chmod stops nothing;
 * what makes every write fail here is real and portable: another connection holds the ledger's SQLite
 * write lock (BEGIN IMMEDIATE, never committed), as an operator's `sqlite3 ledger.db` left inside a
 * transaction, or a hung process, would. The bot's writes wait out the busy timeout and fail with
 * SQLITE_BUSY. Expected at once: a telemetry fault (metrics, drift red), STOP–RESET–REALIGN, /health 503,
 * and SQLite's own error naming the file; once the lock is gone the halt is recorded and /health is ok.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { REPO } from "../helpers/testApp.ts";
import { maos, startBot } from "./processKit.ts";

const TOKEN = "relay-token-for-tests-0123456789";

function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

test("a ledger the bot cannot write: telemetry fault, halt, /health 503 and the real cause", {
  timeout: 240_000,
}, async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-unwritable-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const env = {
    MAOS_RELAY_TOKEN: TOKEN,
    MAOS_CHARTER: path.join(REPO, "test/fixtures/autonomy/charter.yml"),
  };
  const bot = await startBot(home, env);
  t.after(() => bot.stop());

  const first = await bot.get("/heartbeat");
  assert.equal(first.status, 200, first.body);
  assert.equal((await bot.get("/health")).status, 200);

  const holder = new Database(path.join(home, "ledger.db"));
  t.after(() => {
    if (holder.open) holder.close();
  });
  holder.exec("BEGIN IMMEDIATE");

  const beat = await bot.get("/heartbeat");
  assert.equal(beat.status, 503, beat.body);
  const failed = JSON.parse(beat.body) as { error: string; message: string; hint: string };
  assert.equal(failed.error, "LEDGER_BROKEN");
  assert.match(failed.message, /database is locked \(SQLITE_BUSY\)/);
  assert.match(failed.message, new RegExp(`${path.join(home, "ledger.db").replaceAll("/", "\\/")}`));
  assert.match(failed.hint, /write lock/);
  assert.doesNotMatch(`${failed.message} ${failed.hint}`, /free disk space/);

  const health = await bot.get("/health");
  assert.equal(health.status, 503, health.body);
  const h = JSON.parse(health.body) as { status: string; problems: string[] };
  assert.equal(h.status, "failing");
  assert.match(h.problems.join(" "), /ledger writes fail: .*ledger\.db.*SQLITE_BUSY/);

  const metrics = (await bot.get("/metrics")).body;
  assert.equal(metric(metrics, "maos_ledger_healthy"), 0);
  assert.equal(metric(metrics, "maos_srr_halted"), 1);
  assert.ok((metric(metrics, "maos_telemetry_faults") ?? 0) >= 1, metrics);
  assert.equal(metric(metrics, "maos_drift_score"), 100);

  const status = JSON.parse((await bot.get("/status")).body) as { srr: { state: string; reason: string } };
  assert.equal(status.srr.state, "HALTED");
  assert.match(status.srr.reason, /telemetry fault/);

  // A run is refused while halted, for that reason (it never reaches the locked ledger).
  const run = await maos(["run", "marketing_ops", "--input", "event=while unwritable"], home, env);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /runs are paused: STOP–RESET–REALIGN/);

  // The lock goes away: the next heartbeat writes, records the halt late and opens its incident.
  holder.exec("ROLLBACK");
  holder.close();
  const recovered = await bot.get("/heartbeat");
  assert.equal(recovered.status, 200, recovered.body);
  assert.equal((await bot.get("/health")).status, 200);
  const db = new Database(path.join(home, "ledger.db"), { readonly: true });
  try {
    const halted = db
      .prepare("SELECT payload FROM ledger WHERE event_type = 'SRR_HALTED'")
      .pluck()
      .all() as string[];
    assert.equal(halted.length, 1);
    const payload = JSON.parse(halted[0] as string) as {
      late: boolean;
      writeError: string;
      triggers: { trigger: string }[];
    };
    assert.equal(payload.late, true);
    assert.match(payload.writeError, /SQLITE_BUSY/);
    assert.deepEqual(payload.triggers.map((x) => x.trigger).sort(), ["custody_break", "telemetry_fault"]);
    const opened = db
      .prepare("SELECT count(*) FROM ledger WHERE event_type = 'INCIDENT_OPENED'")
      .pluck()
      .get();
    assert.equal(opened, 1);
  } finally {
    db.close();
  }
  const verify = await maos(["ledger", "verify"], home, env);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const stopped = await bot.stop();
  assert.equal(stopped.code, 0, stopped.stderr.slice(-2000));
});
