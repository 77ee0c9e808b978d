import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import { slackMode } from "./slackMode.ts";

const BOT = "xoxb-1-abc";
const APP = "xapp-1-abc";
const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

function refusedNaming(variable: string) {
  return (err: unknown) =>
    err instanceof CodexError && err.code === "CONFIG_INVALID" && err.toUserText().includes(variable);
}

describe("slackMode", () => {
  test("an app token means Socket Mode; a signing secret alone means HTTP mode", () => {
    assert.deepEqual(
      slackMode({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, SLACK_SIGNING_SECRET: undefined }),
      {
        kind: "socket",
        botToken: BOT,
        appToken: APP,
      },
    );
    assert.equal(
      slackMode({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, SLACK_SIGNING_SECRET: SECRET }).kind,
      "socket",
    );
    assert.deepEqual(
      slackMode({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: undefined, SLACK_SIGNING_SECRET: SECRET }),
      {
        kind: "http",
        botToken: BOT,
        signingSecret: SECRET,
      },
    );
  });

  test("an invalid combination stops start-up naming the variable to set", () => {
    assert.throws(
      () => slackMode({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: undefined, SLACK_SIGNING_SECRET: undefined }),
      refusedNaming("SLACK_SIGNING_SECRET"),
    );
    assert.throws(
      () => slackMode({ SLACK_BOT_TOKEN: undefined, SLACK_APP_TOKEN: APP, SLACK_SIGNING_SECRET: undefined }),
      refusedNaming("SLACK_BOT_TOKEN"),
    );
    assert.throws(
      () =>
        slackMode({ SLACK_BOT_TOKEN: undefined, SLACK_APP_TOKEN: undefined, SLACK_SIGNING_SECRET: SECRET }),
      refusedNaming("SLACK_BOT_TOKEN"),
    );
    assert.throws(
      () => slackMode({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: undefined, SLACK_SIGNING_SECRET: "'short'" }),
      refusedNaming("SLACK_SIGNING_SECRET"),
    );
  });
});
