import assert from "node:assert/strict";
import { test } from "node:test";
import { isCodexError } from "../core/CodexError.ts";
import { loadEnv } from "./loadEnv.ts";

const malformed = (vars: Record<string, string>): string => {
  try {
    loadEnv(vars, "/tmp");
  } catch (err) {
    assert.ok(isCodexError(err) && err.code === "CONFIG_INVALID");
    return err.message;
  }
  assert.fail(`${JSON.stringify(vars)} was accepted`);
};

test("well-formed variables are kept, typed and trimmed; unset optional ones are undefined", () => {
  const env = loadEnv(
    {
      PORT: " 8080 ",
      LOG_LEVEL: "debug",
      MAOS_PRIME: "openai:gpt-4o-mini",
      MAOS_BACKUP: "anthropic:claude-x",
      OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
      SLACK_API_URL: "https://slack.example/api/",
      SLACK_BOT_TOKEN: "xoxb-1",
      TEAMWORK_TASKLIST_ID: "42",
      NOTION_LEDGER_DATA_SOURCE_ID: "0123456789abcdef0123456789ABCDEF",
      NOTION_SECRETS_DATA_SOURCE_ID: "01234567-89ab-cdef-0123-456789abcdef",
      MAOS_MCP_TOKENS: `a:${"0".repeat(64)}, b.c:${"f".repeat(64)}`,
      MAOS_MCP_ALLOWED_HOSTS: "codex.example.com, 10.0.0.5,[::1]",
      MAOS_MCP_AUTHORIZATION_SERVERS: "https://auth.example.com, http://127.0.0.1:9000",
      MAOS_EMBEDDINGS: "hash:64",
      MAOS_CLIENT_SYNC_CRON: "0 */2 * * * *",
      MAOS_BIND: "0.0.0.0",
      DATABASE_URL: "postgresql://maos:pw@db.internal:5432/maos",
    },
    "/tmp",
  );
  assert.equal(env.PORT, 8080);
  assert.equal(env.LOG_LEVEL, "debug");
  assert.equal(env.LOG_LEVEL_SET, true);
  assert.equal(env.OPENAI_BASE_URL, "http://127.0.0.1:11434/v1");
  assert.equal(env.MAOS_CLIENT_SYNC_CRON, "0 */2 * * * *");
  assert.equal(env.MAOS_BIND, "0.0.0.0");
  assert.equal(env.DATABASE_URL, "postgresql://maos:pw@db.internal:5432/maos");
  assert.equal(env.ANTHROPIC_BASE_URL, undefined);
  assert.equal(loadEnv({ PORT: "0" }, "/tmp").PORT, 0);
  assert.equal(loadEnv({}, "/tmp").PORT, 8000);
  assert.equal(loadEnv({}, "/tmp").MAOS_PRIME, "offline");
});

test("a malformed variable stops start-up naming it and the fix; every problem is listed", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: "70000" }, /PORT is set but malformed: use a TCP port/],
    [{ PORT: "80.5" }, /PORT is set but malformed/],
    [{ PORT: "http" }, /PORT is set but malformed/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL is set but malformed: use one of fatal/],
    [{ MAOS_PRIME: "gpt-4" }, /MAOS_PRIME is set but malformed: use offline, openai:MODEL/],
    [
      { OPENAI_BASE_URL: "ftp://host/v1" },
      /OPENAI_BASE_URL is set but malformed: set it to an http\(s\) URL/,
    ],
    [{ OPENAI_BASE_URL: "http:host/v1" }, /OPENAI_BASE_URL is set but malformed/],
    [{ NOTION_BASE_URL: "not a url" }, /NOTION_BASE_URL is set but malformed/],
    [{ SLACK_BOT_TOKEN: "xapp-1" }, /SLACK_BOT_TOKEN is set but malformed: use the Bot User OAuth Token/],
    [{ TEAMWORK_TASKLIST_ID: "12a" }, /TEAMWORK_TASKLIST_ID is set but malformed/],
    [
      { NOTION_CLIENT_MATRIX_DATA_SOURCE_ID: "abc" },
      /NOTION_CLIENT_MATRIX_DATA_SOURCE_ID is set but malformed/,
    ],
    [{ MAOS_MCP_TOKENS: "a:1234" }, /MAOS_MCP_TOKENS is set but malformed/],
    [{ MAOS_MCP_ALLOWED_HOSTS: "a b" }, /MAOS_MCP_ALLOWED_HOSTS is set but malformed/],
    [{ MAOS_MCP_AUTHORIZATION_SERVERS: "ftp://x" }, /MAOS_MCP_AUTHORIZATION_SERVERS is set but malformed/],
    [{ MAOS_EMBEDDINGS: "hash:12345" }, /MAOS_EMBEDDINGS is set but malformed/],
    [{ MAOS_CLIENT_SYNC_CRON: "* * *" }, /MAOS_CLIENT_SYNC_CRON is set but malformed/],
    [{ DATABASE_URL: "mysql://db/maos" }, /DATABASE_URL is set but malformed: use a PostgreSQL URL/],
    [{ MAOS_BIND: "my-host" }, /MAOS_BIND is set but malformed: use an IP address/],
  ];
  for (const [vars, expected] of cases) assert.match(malformed(vars), expected, JSON.stringify(vars));
  const both = malformed({ PORT: "x", LOG_LEVEL: "y" });
  assert.match(both, /PORT is set/);
  assert.match(both, /LOG_LEVEL is set/);
});
