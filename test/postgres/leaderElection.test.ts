/**
 * Two replicas on one PostgreSQL database, real processes: one leads (LEADER_ELECTED in the shared
 * ledger), the other stands by; kill -9 the leader and the standby takes over, recording it, and the
 * ledger still verifies. How fast (the 2 × heartbeat target) is measured by the bench, not here.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { exportLedgerToSqlite } from "../../src/ledger/exportLedger.ts";
import { pgLedgerSnapshot } from "../../src/ledger/pg/pgLedgerSnapshot.ts";
import { generateNoteKey } from "../../src/ledger/signedNote.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { pgConnect, pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";

const key = generateNoteKey("maos-codex-leader-test");
const REPLICA = path.resolve(import.meta.dirname, "pgReplica.ts");

/** A replica process and a way to wait for one of its lines. */
function startReplica(t: { after: (f: () => void) => void }, url: string, name: string) {
  const child: ChildProcess = spawn(process.execPath, [REPLICA, url, name, "400", key.signerKey], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.after(() => child.kill("SIGKILL"));
  const lines: string[] = [];
  const waiters: { match: RegExp; resolve: () => void }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.match.test(line))) w.resolve();
  });
  const waitFor = (match: RegExp) =>
    lines.some((l) => match.test(l))
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          waiters.push({ match, resolve });
          child.once("exit", (code) =>
            reject(new Error(`${name} exited (${code}) before printing ${match}`)),
          );
        });
  return { child, lines, waitFor };
}

test("kill -9 the leader: the standby takes over and the shared ledger records both elections", {
  skip: pgSkip(),
}, async (t) => {
  const url = await pgTestDatabase(t);
  const a = startReplica(t, url, "replica-a");
  await a.waitFor(/^leading$/);
  const b = startReplica(t, url, "replica-b");
  await b.waitFor(/^standby$/);
  const db = await pgConnect(t, url);
  const elected = async () =>
    (
      await db.query<{ seq: string; replica: string }>(
        "SELECT seq::text, canonical::jsonb -> 'payload' ->> 'replica' AS replica FROM ledger WHERE event_type = 'LEADER_ELECTED' ORDER BY seq",
      )
    ).rows;
  const sizeAtKill = Number(
    (await db.query<{ n: string }>("SELECT count(*)::text AS n FROM ledger")).rows[0]?.n,
  );
  assert.deepEqual(
    (await elected()).map((r) => r.replica),
    ["replica-a"],
    "one leader while both run",
  );
  a.child.kill("SIGKILL");
  await b.waitFor(/^leading$/);
  const rows = await elected();
  assert.deepEqual(
    rows.map((r) => r.replica),
    ["replica-a", "replica-b"],
  );
  assert.ok(Number(rows[1]?.seq) >= sizeAtKill, "b was elected only after a died");
  const dir = mkdtempSync(path.join(tmpdir(), "maos-leader-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "ledger.db");
  await exportLedgerToSqlite(await pgLedgerSnapshot(url), file);
  assert.equal((await verifyLedger({ path: file, verifierKey: key.verifierKey })).ok, true);
});
