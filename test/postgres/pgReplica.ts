/**
 * A replica for the leader-election test and bench: the shared PostgreSQL ledger (argv[2]) and the
 * leader lock, named argv[3], with a heartbeat of argv[4] ms. Prints one line per change: `standby`,
 * `leading`, `lost …`. Runs until killed.
 */
import { electLeader } from "../../src/autonomy/leaderElection.ts";
import { systemClock } from "../../src/core/clock.ts";
import { PgLedger } from "../../src/ledger/pg/PgLedger.ts";
import { newNoteSigner } from "../../src/ledger/signedNote.ts";

const [url, replica, heartbeatMs, signerKey] = process.argv.slice(2) as [string, string, string, string];
const ledger = await PgLedger.open({
  url,
  signer: newNoteSigner(signerKey),
  clock: systemClock,
  environment: "test",
  origin: "maos-codex/ledger/test",
});
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
electLeader({
  url,
  replica,
  heartbeatMs: Number(heartbeatMs),
  ledger,
  clock: systemClock,
  lead: () => say("leading"),
  stepDown: (reason) => say(`lost ${reason}`),
  onStandby: () => say("standby"),
});
