import assert from "node:assert/strict";
import { test } from "node:test";
import { loadEnv } from "../config/loadEnv.ts";
import { EgressGuard, isEgressRefusal } from "./EgressGuard.ts";
import { egressAllowlist, hostLabel } from "./egressAllowlist.ts";

test("the allowlist holds exactly the hosts the configuration implies", () => {
  const none = egressAllowlist(loadEnv({}, "/"));
  assert.deepEqual(none, [], "offline: no outbound host at all");
  const env = loadEnv(
    {
      SLACK_BOT_TOKEN: "xoxb-test-token",
      NOTION_TOKEN: "ntn_secret",
      TEAMWORK_SITE: "https://acme.teamwork.com",
      MAOS_PRIME: "openai:gpt-4o-mini",
      OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
      MAOS_BACKUP: "anthropic:claude",
      MAOS_VAULT_REMOTE: "git@github.com:acme/vault.git",
    },
    "/",
  );
  assert.deepEqual(egressAllowlist(env).map(hostLabel), [
    "slack.com",
    "*.slack.com",
    "api.notion.com",
    "acme.teamwork.com",
    "127.0.0.1:11434",
    "api.anthropic.com",
    "github.com",
  ]);
});

test("a request to an unlisted host or port is refused before any socket opens, and reported", async () => {
  const sent: string[] = [];
  const refused: string[] = [];
  const guard = new EgressGuard({
    allowed: [
      { host: "api.notion.com", port: undefined, protocol: "https:", why: "NOTION_TOKEN" },
      { host: "*.slack.com", port: undefined, protocol: "https:", why: "SLACK_BOT_TOKEN" },
      { host: "127.0.0.1", port: 4000, protocol: "http:", why: "OPENAI_BASE_URL" },
    ],
    fetch: (async (input: string | URL | Request) => {
      sent.push(String(input));
      return new Response("ok");
    }) as typeof fetch,
    onRefused: (r) => {
      refused.push(r.host);
    },
  });
  assert.equal((await guard.fetch("https://api.notion.com/v1/pages")).status, 200);
  assert.equal((await guard.fetch("https://files.slack.com/upload/x")).status, 200);
  assert.equal((await guard.fetch("http://127.0.0.1:4000/v1/chat")).status, 200);
  for (const url of [
    "http://127.0.0.1:4001/v1/chat",
    "https://api.notion.com:8443/v1",
    "http://api.notion.com/v1",
    "https://evil.example/x?token=abc",
    "https://notslack.com/",
  ]) {
    await assert.rejects(guard.fetch(url), (err: unknown) => isEgressRefusal(err), url);
  }
  await guard.idle();
  assert.equal(sent.length, 3, "refused requests never reach the network");
  assert.deepEqual(refused, [
    "127.0.0.1:4001",
    "api.notion.com:8443",
    "api.notion.com",
    "evil.example",
    "notslack.com",
  ]);
});
