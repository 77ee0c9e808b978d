/**
 * A process on the home argv[2] whose vault is shared through the bare remote argv[3] (one replica: a
 * lock no one else takes), for test/executor/sharedLateSeal.test.ts. argv[4] `run`: runs marketing_ops
 * and prints its outcome or error; `reconcile`: settles the runs a stopped process left open
 * (reconcileRuns, as every start does). One JSON line on stdout.
 */
import { join } from "node:path";
import { run } from "../../commands/run.ts";
import { localActor } from "../../src/core/Actor.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { Vault } from "../../src/vault/Vault.ts";
import { testApp } from "../helpers/testApp.ts";

const [home, remote, what] = process.argv.slice(2) as [string, string, string];
const vault = await Vault.open({
  dir: join(home, "vault"),
  clock: new ManualClock(),
  remote,
  shared: { lock: (fn) => fn() },
  pushAttempts: 1,
});
const ta = testApp({ MAOS_HOME: home }, { vault });
if (what === "run") {
  const out = await run(
    { stack: "marketing_ops", inputs: { event: "Expo" } },
    localActor("cli"),
    ta.app,
  ).then(
    (outcome) => ({ outcome }),
    (err: unknown) => ({ error: String(err) }),
  );
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  process.stdout.write(`${JSON.stringify(await ta.app.reconcileRuns())}\n`);
}
await ta.cleanup();
