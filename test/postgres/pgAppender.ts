/**
 * One appender process for the concurrent-writers test: opens the Postgres ledger at argv[2], appends
 * argv[4] entries as writer argv[3] (in group commits of up to 25 in flight), and prints the seqs it got.
 */
import { ManualClock } from "../../src/core/clock.ts";
import { PgLedger } from "../../src/ledger/pg/PgLedger.ts";
import { newNoteSigner } from "../../src/ledger/signedNote.ts";

const [url, who, countText, signerKey] = process.argv.slice(2) as [string, string, string, string];
const ledger = await PgLedger.open({
  url,
  signer: newNoteSigner(signerKey),
  clock: new ManualClock("2026-12-07T12:00:00.000Z"),
  environment: "test",
  origin: "maos-codex/ledger/test",
});
const seqs: number[] = [];
const count = Number(countText);
for (let i = 0; i < count; i += 25) {
  const batch = Array.from({ length: Math.min(25, count - i) }, (_, j) =>
    ledger.append({
      eventType: "run.step",
      actor: `agent:${who}`,
      correlationId: who,
      payload: { i: i + j },
    }),
  );
  for (const e of await Promise.all(batch)) seqs.push(e.seq);
}
await ledger.close();
process.stdout.write(`${JSON.stringify(seqs)}\n`);
