import assert from "node:assert/strict";
import crypto from "node:crypto";
import { describe, test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import { slackSignatureHeaders, verifySlackSignature } from "./verifySlackSignature.ts";

// Slack's documented worked example (api.slack.com/authentication/verifying-requests-from-slack).
const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const TS = "1531420618";
const BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const NOW = Number(TS);

const base = { signingSecret: SECRET, timestamp: TS, signature: SIG, rawBody: BODY, nowSeconds: NOW };

describe("verifySlackSignature", () => {
  test("accepts Slack's worked example", () => {
    assert.deepEqual(verifySlackSignature(base), { ok: true });
  });

  test("accepts the raw body as a Buffer", () => {
    assert.deepEqual(verifySlackSignature({ ...base, rawBody: Buffer.from(BODY) }), { ok: true });
  });

  test("accepts up to 5 minutes of skew either way, refuses beyond", () => {
    assert.deepEqual(verifySlackSignature({ ...base, nowSeconds: NOW + 300 }), { ok: true });
    assert.deepEqual(verifySlackSignature({ ...base, nowSeconds: NOW - 300 }), { ok: true });
    assert.deepEqual(verifySlackSignature({ ...base, nowSeconds: NOW + 301 }), {
      ok: false,
      reason: "stale_timestamp",
    });
    assert.deepEqual(verifySlackSignature({ ...base, nowSeconds: NOW - 301 }), {
      ok: false,
      reason: "stale_timestamp",
    });
  });

  test("honours a custom tolerance", () => {
    assert.deepEqual(verifySlackSignature({ ...base, nowSeconds: NOW + 61, toleranceSeconds: 60 }), {
      ok: false,
      reason: "stale_timestamp",
    });
  });

  test("refuses a wrong signature of the right length", () => {
    const wrong = `v0=${"0".repeat(64)}`;
    assert.deepEqual(verifySlackSignature({ ...base, signature: wrong }), {
      ok: false,
      reason: "bad_signature",
    });
  });

  test("refuses a tampered body", () => {
    const tampered = BODY.replace("user_name=roadrunner", "user_name=coyote");
    assert.deepEqual(verifySlackSignature({ ...base, rawBody: tampered }), {
      ok: false,
      reason: "bad_signature",
    });
  });

  test("refuses a signature made with another secret", () => {
    assert.deepEqual(verifySlackSignature({ ...base, signingSecret: "another-secret" }), {
      ok: false,
      reason: "bad_signature",
    });
  });

  test("refuses a timestamp replayed with a valid old signature", () => {
    assert.deepEqual(verifySlackSignature({ ...base, timestamp: String(NOW + 1) }), {
      ok: false,
      reason: "bad_signature",
    });
  });

  test("missing headers", () => {
    assert.deepEqual(verifySlackSignature({ ...base, timestamp: undefined }), {
      ok: false,
      reason: "missing_headers",
    });
    assert.deepEqual(verifySlackSignature({ ...base, signature: undefined }), {
      ok: false,
      reason: "missing_headers",
    });
    assert.deepEqual(verifySlackSignature({ ...base, signature: "" }), {
      ok: false,
      reason: "missing_headers",
    });
  });

  test("malformed headers", () => {
    for (const timestamp of ["abc", "1531420618.5", "-1531420618", "1e9", " 1531420618"]) {
      assert.deepEqual(
        verifySlackSignature({ ...base, timestamp }),
        { ok: false, reason: "malformed" },
        timestamp,
      );
    }
    assert.deepEqual(verifySlackSignature({ ...base, signature: SIG.replace("v0=", "v1=") }), {
      ok: false,
      reason: "malformed",
    });
  });

  test("a signature of another length is refused without throwing", () => {
    for (const signature of ["v0=", "v0=abc", `${SIG}00`, `${SIG}é`, SIG.slice(0, -1)]) {
      assert.deepEqual(verifySlackSignature({ ...base, signature }), { ok: false, reason: "bad_signature" });
    }
  });

  test("compares in constant time through crypto.timingSafeEqual", (t) => {
    const spy = t.mock.method(crypto, "timingSafeEqual");
    verifySlackSignature({ ...base, signature: `v0=${"f".repeat(64)}` });
    assert.equal(spy.mock.callCount(), 1, "an equal-length wrong signature goes through timingSafeEqual");
    verifySlackSignature(base);
    assert.equal(spy.mock.callCount(), 2, "the right signature goes through timingSafeEqual too");
    assert.equal(spy.mock.calls[1]?.result, true);
  });

  test("an empty signing secret is a configuration error naming the variable", () => {
    assert.throws(
      () => verifySlackSignature({ ...base, signingSecret: "" }),
      (err: unknown) =>
        err instanceof CodexError &&
        err.code === "CONFIG_INVALID" &&
        /SLACK_SIGNING_SECRET/.test(err.hint ?? ""),
    );
  });

  test("slackSignatureHeaders reads Node's lower-cased headers; a repeated one counts as missing", () => {
    const headers = { "x-slack-request-timestamp": TS, "x-slack-signature": SIG, "content-type": "x" };
    assert.deepEqual(slackSignatureHeaders(headers), { timestamp: TS, signature: SIG });
    assert.deepEqual(
      verifySlackSignature({ ...base, ...slackSignatureHeaders({ "x-slack-signature": [SIG, SIG] }) }),
      { ok: false, reason: "missing_headers" },
    );
  });
});
