import assert from "node:assert/strict";
import { test } from "node:test";
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { classifyError, classifyStatus } from "./classifyError.ts";
import { ProviderError } from "./ProviderError.ts";
import { redactSecrets } from "./redactSecrets.ts";

test("statuses map to the hub's error classes", () => {
  const cases: [number, string][] = [
    [400, "bad_request"],
    [401, "auth"],
    [403, "auth"],
    [404, "unknown"],
    [408, "request_timeout"],
    [409, "conflict"],
    [422, "unprocessable"],
    [429, "rate_limited"],
    [500, "server_error"],
    [503, "server_error"],
    [529, "server_error"],
  ];
  for (const [status, cls] of cases) assert.equal(classifyStatus(status), cls, String(status));
});

test("SDK errors are classified by status, headers and class", () => {
  const headers = new Headers({ "retry-after": "3", "retry-after-ms": "2500" });
  const limited = classifyError(APIError.generate(429, { message: "slow down" }, undefined, headers));
  assert.equal(limited.errorClass, "rate_limited");
  assert.equal(limited.status, 429);
  assert.equal(limited.retryAfter, "3");
  assert.equal(limited.retryAfterMs, "2500");
  assert.equal(classifyError(new APIConnectionTimeoutError()).errorClass, "timeout");
  assert.equal(classifyError(new APIUserAbortError()).errorClass, "timeout");
  assert.equal(classifyError(new APIConnectionError({ message: "Connection error." })).errorClass, "network");
  assert.equal(classifyError(new Error("boom")).errorClass, "unknown");
  const own = new ProviderError("invalid_output", "not JSON");
  assert.equal(classifyError(own), own);
});

test("secrets never survive into a classified message", () => {
  const err = APIError.generate(
    401,
    { message: "Incorrect API key provided: sk-abc***wxyz." },
    undefined,
    new Headers(),
  );
  const out = classifyError(err, ["sk-live-supersecretvalue"]);
  assert.doesNotMatch(out.message, /sk-abc/);
  assert.equal(
    redactSecrets("key sk-live-supersecretvalue here", ["sk-live-supersecretvalue"]),
    "key [redacted] here",
  );
  assert.equal(redactSecrets("Authorization: Bearer abc.def"), "Authorization: Bearer [redacted]");
  assert.equal(redactSecrets('{"api_key": "xyz123"}'), '{"api_key": "[redacted]"}');
});
