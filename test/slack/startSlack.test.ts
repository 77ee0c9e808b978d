import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { createApp } from "../../src/app/createApp.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import { CodexError } from "../../src/core/CodexError.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { startSlack } from "../../src/slack/startSlack.ts";
import { startFakeSlack } from "../fakes/slackWebApi.ts";
import { SIGNING_SECRET, TEST_CHARTER } from "./slackTestKit.ts";

test("a bot token Slack refuses stops start-up with CONFIG_INVALID naming SLACK_BOT_TOKEN", async () => {
  const slack = await startFakeSlack({ token: "xoxb-the-right-one" });
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-slack-start-"));
  try {
    const env = loadEnv({
      MAOS_HOME: home,
      MAOS_CHARTER: TEST_CHARTER,
      PORT: "0",
      SLACK_BOT_TOKEN: "xoxb-a-revoked-one",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
    });
    const app = createApp({ env, clock: new ManualClock(), log: createLogger({ level: "silent" }) });
    await assert.rejects(
      startSlack(app, { host: "127.0.0.1" }),
      (err: unknown) =>
        err instanceof CodexError &&
        err.code === "CONFIG_INVALID" &&
        /SLACK_BOT_TOKEN/.test(err.message) &&
        /invalid_auth/.test(err.message),
    );
    assert.deepEqual(
      slack.calls.map((c) => c.method),
      ["auth.test"],
    );
    await app.close();
  } finally {
    await slack.close();
    rmSync(home, { recursive: true, force: true });
  }
});
