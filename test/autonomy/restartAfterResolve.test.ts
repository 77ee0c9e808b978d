/**
 * A violation that an incident reported and a person resolved never trips STOP–RESET–REALIGN again,
 * not after a resume and not after a restart of the bot on the same MAOS_HOME (it used to: the first
 * heartbeat of the restarted bot found the resolved violation past its scan mark and opened INC-3).
 */
import assert from "node:assert/strict";
import { appendFileSync, rmSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import { createApp } from "../../src/app/createApp.ts";
import { hostHeadless } from "../../src/app/hostAutonomy.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { REPO } from "../helpers/testApp.ts";
import { RELAY_TOKEN, startAutonomyHarness } from "./autonomyHarness.ts";

const operator: Actor = { source: "shell", id: "local:olive" };
const approver: Actor = { source: "shell", id: "local:abe" };

test("a resolved violation does not re-trip the loop after a resume and a restart", async (t) => {
  const h = await startAutonomyHarness();
  t.after(() => rmSync(h.home, { recursive: true, force: true }));
  await h.beat();
  assert.match(replyToText(await dispatch("stop drill", { app: h.app, actor: operator })), /INC-1 is open/);
  // Edited while frozen; the resume attempt (no heartbeat in between) reports it as INC-2.
  appendFileSync(path.join(h.stacksDir, "marketing_ops.yaml"), "\n# edited during the halt\n");
  assert.match(replyToText(await dispatch("resume", { app: h.app, actor: operator })), /resume refused/);
  assert.equal(h.app.ledger().query({ eventType: "GOVERNANCE_VIOLATION" }).length, 1);
  for (const id of ["INC-1", "INC-2"]) {
    assert.match(
      replyToText(await dispatch(`incident approve ${id}`, { app: h.app, actor: approver })),
      /approved/i,
    );
    assert.match(
      replyToText(
        await dispatch(`incident resolve ${id} reviewed the stack edit and kept it`, {
          app: h.app,
          actor: approver,
        }),
      ),
      /resolved/,
    );
  }
  assert.match(replyToText(await dispatch("resume", { app: h.app, actor: operator })), /RUNNING again/);
  const stoppedAt = h.clock.now();
  await h.app.close();

  // The restart: a new process's app on the same home and config files.
  const clock = new ManualClock(new Date(stoppedAt.getTime() + 5 * 60_000), {
    autoAdvance: true,
    autoAdvanceMaxMs: 5_000,
  });
  const env = loadEnv(
    {
      MAOS_HOME: path.join(h.home, "data"),
      MAOS_CHARTER: h.charterFile,
      MAOS_STACKS: h.stacksDir,
      PORT: "0",
      LOG_LEVEL: "silent",
      MAOS_RELAY_TOKEN: RELAY_TOKEN,
    },
    REPO,
  );
  const app = createApp({ env, clock, log: createLogger({ level: "silent" }), random: () => 0 });
  t.after(() => app.close());
  await hostHeadless(app);
  const kernel = app.autonomy();
  for (let i = 0; i < 3; i++) {
    const beat = await kernel.heartbeat("schedule");
    assert.equal(beat.incident, undefined, `heartbeat ${i + 1} after the restart opened ${beat.incident}`);
  }
  assert.equal((await kernel.srr()).state, "RUNNING");
  assert.deepEqual(
    (await kernel.incidents.list(undefined, 10)).map((i) => i.id),
    ["INC-2", "INC-1"],
  );
});
