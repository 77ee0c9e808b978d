import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import { SLACK_CALL_TIMEOUT_MS, slackWebClientOptions } from "./webClientOptions.ts";

describe("slackWebClientOptions", () => {
  test("turns the client's own rate-limit sleeping and retrying off", () => {
    assert.deepEqual(slackWebClientOptions(), {
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: SLACK_CALL_TIMEOUT_MS,
    });
    assert.equal(
      slackWebClientOptions({ apiUrl: "" }).slackApiUrl,
      undefined,
      "empty SLACK_API_URL means Slack's",
    );
    assert.equal(slackWebClientOptions({ timeoutMs: 500 }).timeout, 500);
  });

  test("SLACK_API_URL gets the trailing slash WebClient needs", () => {
    assert.equal(
      slackWebClientOptions({ apiUrl: "http://127.0.0.1:4000/api" }).slackApiUrl,
      "http://127.0.0.1:4000/api/",
    );
    assert.equal(
      slackWebClientOptions({ apiUrl: "https://slack.com/api/" }).slackApiUrl,
      "https://slack.com/api/",
    );
  });

  test("a malformed SLACK_API_URL is a configuration error naming the variable", () => {
    for (const apiUrl of ["slack.com/api", "ftp://slack.com/api/"]) {
      assert.throws(
        () => slackWebClientOptions({ apiUrl }),
        (err: unknown) =>
          err instanceof CodexError && err.code === "CONFIG_INVALID" && err.message.includes("SLACK_API_URL"),
      );
    }
  });
});
