/**
 * The process the kill -9 test kills: it opens the app on MAOS_HOME (from its environment, pointed at
 * the loopback fakes) and delivers the outbox until nothing is pending. Its clock is a ManualClock that
 * jumps through pacing and backoff, so it never waits in real time; the fakes decide when it blocks.
 */
import { createApp } from "../../src/app/createApp.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { REPO } from "../helpers/testApp.ts";

const app = createApp({
  env: loadEnv(process.env, REPO),
  clock: new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: true }),
  log: createLogger({ level: "silent" }),
  random: () => 0.5,
});
process.stdout.write("dispatching\n");
const d = app.relays().dispatcher();
while ((await app.relays().counts()).pending > 0) await d.deliverDue();
await app.close();
process.stdout.write("done\n");
