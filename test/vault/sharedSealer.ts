/**
 * One replica for test/vault/vault.sharedProcesses.test.ts: opens the vault clone argv[2] shared through
 * the bare remote argv[3] under PostgreSQL's advisory lock (url argv[4], key argv[5]), signed with the
 * SSH key argv[6] when given, waits for a line on stdin (so both replicas start together), seals
 * argv[7] runs named after argv[8], and prints one JSON line per seal.
 */
import { createInterface } from "node:readline";
import { systemClock } from "../../src/core/clock.ts";
import { withAdvisoryLock } from "../../src/state/pg/advisoryLock.ts";
import { Vault } from "../../src/vault/Vault.ts";
import { ledgerState, sampleRunFiles } from "./vaultTestKit.ts";

const [dir, remote, url, key, signingKey, count, name] = process.argv.slice(2) as string[];
const vault = await Vault.open({
  dir: dir as string,
  clock: systemClock,
  remote: remote as string,
  ...(signingKey ? { signingKey } : {}),
  shared: { lock: (fn) => withAdvisoryLock(url as string, Number(key), fn) },
});
process.stdout.write("ready\n");
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once("line", () => resolve()));
for (let i = 0; i < Number(count); i++) {
  const sealed = await vault.sealRun({
    runId: `${name}${String(i).padStart(4, "0")}-run`,
    stack: "marketing_ops",
    startedAt: new Date(Date.UTC(2026, 11, 7, 12, 0, i)),
    files: sampleRunFiles(),
    ledger: ledgerState(i + 2),
  });
  process.stdout.write(
    `${JSON.stringify({ runId: sealed.runId, relPath: sealed.relPath, commit: sealed.commit, root: sealed.seal.root })}\n`,
  );
}
process.exit(0);
