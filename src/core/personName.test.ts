import assert from "node:assert/strict";
import { test } from "node:test";
import { personName } from "./personName.ts";

test("a Slack user is a mention; anyone else is their identity; never an email", () => {
  assert.equal(personName("slack:U0OPERATOR <operator@example.com>"), "<@U0OPERATOR>");
  assert.equal(personName("slack:U0OPERATOR"), "<@U0OPERATOR>");
  assert.equal(personName({ source: "slack", id: "W0ENTERPRISE", email: "a@b.c" }), "<@W0ENTERPRISE>");
  assert.equal(personName("cli:local:alice"), "cli:local:alice");
  assert.equal(personName("cli:local:alice <alice@example.com>"), "cli:local:alice");
  assert.equal(personName({ source: "system", id: "maos-codex" }), "system:maos-codex");
});
