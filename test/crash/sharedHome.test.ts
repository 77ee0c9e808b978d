/**
 * The bot and the CLI on one MAOS_HOME, as an operator runs them: the headless bot, ten `maos run` at once
 * and a stop → approve → resolve → resume sequence beside it, while the bot's heartbeats are driven
 * through its relay route. Every command succeeds or is refused for a stated governance reason; every
 * heartbeat lands; the ledger verifies with one total order; /metrics counts what the ledger holds.
 * A second bot on the same home is refused, naming the one that holds the autonomy loop.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { REPO } from "../helpers/testApp.ts";
import { type Finished, maos, startBot } from "./processKit.ts";

const TOKEN = "relay-token-for-tests-0123456789";
const RUNS = 10;
/** What a refusal for a governance reason says (never a storage error). */
const GOVERNANCE_REFUSAL =
  /runs are paused: STOP–RESET–REALIGN|self-approval is not allowed|resume refused|is not approved|already HALTED|not allowed|refused/;
const STORAGE_FAILURE =
  /LEDGER_BROKEN|VAULT_BROKEN|SQLITE_|UNIQUE constraint|database is locked|index\.lock|cannot open the state database|nothing to commit/;

function ledgerRows(home: string): number {
  const db = new Database(path.join(home, "ledger.db"), { readonly: true });
  try {
    return db.prepare("SELECT count(*) FROM ledger").pluck().get() as number;
  } finally {
    db.close();
  }
}

test("the bot, ten concurrent CLI runs and a stop/approve/resume sequence share one home", {
  timeout: 300_000,
}, async (t) => {
  const user = os.userInfo().username;
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-shared-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const env = {
    MAOS_RELAY_TOKEN: TOKEN,
    MAOS_CHARTER: path.join(REPO, "test/fixtures/autonomy/charter.yml"),
    MAOS_ROLES: `operator=local:${user};approver=local:${user}`,
  };
  // The bot starts on a fresh home while the CLI runs start too: state.db, the key, the ledger's
  // genesis and the vault's first commit are created by whichever comes first.
  const botStarting = startBot(home, env);
  const runs: Promise<Finished>[] = Array.from({ length: RUNS }, (_, i) =>
    maos(["run", "marketing_ops", "--input", `event=Expo ${i}`, "--json"], home, env),
  );
  const bot = await botStarting;
  t.after(() => bot.stop());

  let beats = 0;
  const beat = async () => {
    const r = await bot.get("/heartbeat");
    assert.equal(r.status, 200, r.body);
    beats++;
    return JSON.parse(r.body) as { seq: number; srr: string };
  };
  const sequence = (async () => {
    const out: [string, Finished][] = [];
    await beat();
    for (const args of [
      ["stop", "drill", "beside", "the", "runs"],
      ["incident", "approve", "INC-1"],
      ["incident", "resolve", "INC-1", "drill over: nothing was wrong with the runs"],
      ["resume"],
    ]) {
      out.push([args.join(" "), await maos(args, home, env)]);
      await beat();
    }
    return out;
  })();
  // Heartbeats while everything runs: each must land.
  const seqs: number[] = [];
  for (let i = 0; i < 5; i++) seqs.push((await beat()).seq);

  const finished = await Promise.all(runs);
  const steps = await sequence;
  const ran = finished.filter((f) => f.code === 0).length;
  t.diagnostic(`${ran} of ${RUNS} runs completed; the others were refused while halted`);
  for (const [i, f] of finished.entries()) {
    const text = `${f.stdout}\n${f.stderr}`;
    assert.doesNotMatch(text, STORAGE_FAILURE, `run ${i}`);
    if (f.code !== 0) {
      assert.equal(f.code, 1, `run ${i}: ${text}`);
      assert.match(text, GOVERNANCE_REFUSAL, `run ${i}`);
    } else {
      assert.equal((JSON.parse(f.stdout) as { status: string }).status, "completed");
    }
  }
  for (const [what, f] of steps) {
    const text = `${f.stdout}\n${f.stderr}`;
    assert.doesNotMatch(text, STORAGE_FAILURE, what);
    if (f.code !== 0) assert.match(text, GOVERNANCE_REFUSAL, `${what} (exit ${f.code}): ${text}`);
  }
  assert.equal(steps[0]?.[1].code, 0, "stop succeeds");
  assert.ok(
    seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number)),
    `heartbeats in order: ${seqs}`,
  );

  const db = new Database(path.join(home, "ledger.db"), { readonly: true });
  try {
    const count = (type: string) =>
      db.prepare("SELECT count(*) FROM ledger WHERE event_type = ?").pluck().get(type) as number;
    assert.ok(count("HEARTBEAT") >= beats, "every heartbeat landed");
    assert.equal(count("GENESIS"), 1);
    assert.equal(count("RUN_SEALED"), ran, "every completed run is sealed once");
    assert.equal(count("RUN_STARTED"), ran, "refused runs never started");
    const seqRows = db.prepare("SELECT seq FROM ledger ORDER BY seq").pluck().all() as number[];
    assert.ok(
      seqRows.every((s, i) => s === i),
      "one total order: seq 0..n-1 without gaps",
    );
  } finally {
    db.close();
  }

  // /metrics counts what the ledger file holds (read at the scrape).
  const before = ledgerRows(home);
  const metrics = (await bot.get("/metrics")).body;
  const after = ledgerRows(home);
  const entries = Number(/^maos_ledger_entries (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(entries >= before && entries <= after, `metrics ${entries}, ledger ${before}..${after}`);
  if (before === after) assert.equal(entries, before);

  const verify = await maos(["ledger", "verify"], home, env);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const vault = await maos(["vault", "verify"], home, env);
  assert.equal(vault.code, 0, vault.stdout + vault.stderr);

  // One autonomy loop per home: a second bot is refused, naming the first.
  const second = await startBot(home, env).then(
    async (b) => {
      await b.stop();
      return "started";
    },
    (err: Error) => err.message,
  );
  assert.match(second, new RegExp(`already runs in pid ${bot.pid} on ${os.hostname()} \\(headless`));

  const stopped = await bot.stop();
  assert.equal(stopped.code, 0, stopped.stderr.slice(-2000));
});
