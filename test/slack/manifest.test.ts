import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** slackapi/manifest-schema's schema and fixtures (MIT), copied in: see test/fixtures/vendor-specs/README.md. */
const specDir = path.resolve(projectRoot, "test/fixtures/vendor-specs/slack");

interface Manifest {
  _metadata?: { major_version?: number };
  display_information: { name: string };
  features: {
    app_home?: { home_tab_enabled?: boolean };
    slash_commands?: { command: string; usage_hint?: string; description: string; should_escape?: boolean }[];
  };
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: {
    event_subscriptions?: { bot_events?: string[]; request_url?: string };
    interactivity?: { is_enabled: boolean };
    org_deploy_enabled?: boolean;
    socket_mode_enabled?: boolean;
    token_rotation_enabled?: boolean;
  };
}

const manifest = parse(readFileSync(path.join(projectRoot, "manifest.yml"), "utf8")) as Manifest;

/**
 * One validator setup for our manifest and Slack's own fixtures. The schema uses two non-standard
 * keywords: `_note` (a comment) and `regex` (meant as `pattern`, on background_color). `regex` is
 * enforced here rather than ignored, so the overlay only ever tightens the published schema.
 */
let cachedValidator: ValidateFunction | undefined;
function manifestValidator(): ValidateFunction {
  if (cachedValidator) return cachedValidator;
  const schema = JSON.parse(readFileSync(path.join(specDir, "schemas_manifest.schema.1.0.0.json"), "utf8"));
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
  ajv.addKeyword({ keyword: "_note", schemaType: "string" });
  ajv.addKeyword({
    keyword: "regex",
    type: "string",
    schemaType: "string",
    validate: (re: string, data: string) => new RegExp(re).test(data),
  });
  ajv.addFormat("uri", (value: string) => URL.canParse(value));
  cachedValidator = ajv.compile(schema);
  return cachedValidator;
}

/** Real Slack bot-token scope names (api.slack.com/scopes); the schema accepts any string up to 50 chars. */
const KNOWN_BOT_SCOPES = new Set([
  "app_mentions:read",
  "bookmarks:read",
  "bookmarks:write",
  "calls:read",
  "calls:write",
  "channels:history",
  "channels:join",
  "channels:manage",
  "channels:read",
  "chat:write",
  "chat:write.customize",
  "chat:write.public",
  "commands",
  "dnd:read",
  "emoji:read",
  "files:read",
  "files:write",
  "groups:history",
  "groups:read",
  "groups:write",
  "im:history",
  "im:read",
  "im:write",
  "incoming-webhook",
  "links:read",
  "links:write",
  "metadata.message:read",
  "mpim:history",
  "mpim:read",
  "mpim:write",
  "pins:read",
  "pins:write",
  "reactions:read",
  "reactions:write",
  "reminders:read",
  "reminders:write",
  "team:read",
  "usergroups:read",
  "usergroups:write",
  "users.profile:read",
  "users:read",
  "users:read.email",
  "users:write",
]);

describe("manifest.yml", () => {
  test("validates against Slack's manifest schema 1.0.0", () => {
    assert.equal(manifest._metadata?.major_version, 1, "manifest major_version 1 selects schema 1.0.0");
    const validate = manifestValidator();
    assert.ok(validate(manifest), JSON.stringify(validate.errors, null, 2));
  });

  test("the same validator accepts Slack's valid fixture and rejects the invalid one", () => {
    const validate = manifestValidator();
    const valid = JSON.parse(
      readFileSync(path.join(specDir, "tests_manifests_v1_manifest.valid.json"), "utf8"),
    );
    const invalid = JSON.parse(
      readFileSync(path.join(specDir, "tests_manifests_v1_manifest.invalid.json"), "utf8"),
    );
    // The fixtures carry a "$schema" pointer the schema itself allows as a property.
    assert.ok(validate(valid), JSON.stringify(validate.errors, null, 2));
    assert.equal(validate(invalid), false);
    assert.ok(
      validate.errors?.some((e) => e.keyword === "additionalProperties" && e.instancePath === "/settings"),
      "the invalid fixture fails on settings.bad_param",
    );
  });

  test("the validator enforces the schema's `regex` on background_color", () => {
    const validate = manifestValidator();
    const bad = structuredClone(manifest) as Manifest & {
      display_information: { background_color?: string };
    };
    bad.display_information.background_color = "blue";
    assert.equal(validate(bad), false);
  });

  test("declares /codex without escaping, with a usage hint", () => {
    const commands = manifest.features.slash_commands ?? [];
    assert.equal(commands.length, 1);
    const codex = commands[0];
    assert.equal(codex?.command, "/codex");
    assert.equal(codex?.should_escape, false);
    assert.ok(codex?.usage_hint?.includes("run <stack>"));
    for (const sub of ["help", "run", "stacks", "status", "ledger", "activate", "seal", "incident"]) {
      assert.ok(codex?.usage_hint?.includes(sub), `usage hint mentions ${sub}`);
    }
  });

  test("every bot scope is a real Slack scope name", () => {
    for (const scope of manifest.oauth_config.scopes.bot) {
      assert.ok(KNOWN_BOT_SCOPES.has(scope), `unknown bot scope ${scope}`);
    }
    assert.equal(new Set(manifest.oauth_config.scopes.bot).size, manifest.oauth_config.scopes.bot.length);
    assert.equal(manifest.oauth_config.scopes.user, undefined, "no user-token scopes");
  });

  test("asks for exactly the scopes the product uses", () => {
    assert.deepEqual([...manifest.oauth_config.scopes.bot].sort(), [
      "chat:write",
      "commands",
      "files:write",
      "reactions:read",
      "usergroups:read",
      "users:read",
      "users:read.email",
    ]);
  });

  test("subscribes to the events the product handles, each covered by its scope", () => {
    const events = manifest.settings.event_subscriptions?.bot_events ?? [];
    assert.deepEqual([...events].sort(), ["app_home_opened", "reaction_added", "reaction_removed"]);
    // reaction events are only delivered with reactions:read; app_home_opened needs no scope.
    assert.ok(manifest.oauth_config.scopes.bot.includes("reactions:read"));
  });

  test("settings: Socket Mode, interactivity, Home tab, no org deploy, no token rotation", () => {
    assert.equal(manifest.settings.socket_mode_enabled, true);
    assert.equal(manifest.settings.interactivity?.is_enabled, true);
    assert.equal(manifest.settings.org_deploy_enabled, false);
    assert.equal(manifest.settings.token_rotation_enabled, false);
    assert.equal(manifest.features.app_home?.home_tab_enabled, true);
    // Socket Mode needs no request URL; one present would be ignored and mislead.
    assert.equal(manifest.settings.event_subscriptions?.request_url, undefined);
  });

  test("documents the HTTP-mode request URL", () => {
    const text = readFileSync(path.join(projectRoot, "manifest.yml"), "utf8");
    assert.match(text, /https:\/\/<host>\/slack\/events/);
  });
});
