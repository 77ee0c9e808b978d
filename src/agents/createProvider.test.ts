import assert from "node:assert/strict";
import { test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import { createProvider, LOCAL_DUMMY_KEY, parseProviderSpec } from "./createProvider.ts";
import { providersFromEnv } from "./providersFromEnv.ts";

function codexError(code: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof CodexError);
    assert.equal(err.code, code);
    assert.match(err.toUserText(), pattern);
    return true;
  };
}

test("specs parse into kind and model; the model keeps its colons", () => {
  assert.deepEqual(parseProviderSpec("offline"), { kind: "offline", model: "offline-v1" });
  assert.deepEqual(parseProviderSpec(" openai:gpt-4o-mini "), { kind: "openai", model: "gpt-4o-mini" });
  assert.deepEqual(parseProviderSpec("openai:llama3.1:8b"), { kind: "openai", model: "llama3.1:8b" });
  assert.deepEqual(parseProviderSpec("Anthropic:claude-sonnet-5"), {
    kind: "anthropic",
    model: "claude-sonnet-5",
  });
});

test("a malformed spec is CONFIG_INVALID naming the variables and the accepted forms", () => {
  for (const bad of ["", "openai", "openai:", "gemini:pro", "openai:gpt 4", "anthropic"]) {
    assert.throws(
      () => createProvider(bad, {}),
      codexError("CONFIG_INVALID", /MAOS_PRIME \/ MAOS_BACKUP.*openai:MODEL.*anthropic:MODEL/s),
      bad,
    );
  }
});

test("providers are built with their model and spec", () => {
  const offline = createProvider("offline", {});
  assert.equal(offline.kind, "offline");
  assert.equal(offline.model, "offline-v1");
  const openai = createProvider("openai:gpt-4o-mini", { OPENAI_API_KEY: "sk-test-0000000000" });
  assert.equal(openai.spec, "openai:gpt-4o-mini");
  assert.equal(openai.kind, "openai");
  const claude = createProvider("anthropic:claude-sonnet-5", { ANTHROPIC_API_KEY: "sk-ant-test-000000" });
  assert.equal(claude.spec, "anthropic:claude-sonnet-5");
  assert.equal(claude.model, "claude-sonnet-5");
});

test("missing keys name OPENAI_API_KEY or ANTHROPIC_API_KEY", () => {
  assert.throws(
    () => createProvider("openai:gpt-4o-mini", {}),
    codexError("CONFIG_INVALID", /OPENAI_API_KEY/),
  );
  assert.throws(
    () => createProvider("openai:gpt-4o-mini", { OPENAI_API_KEY: "  " }),
    codexError("CONFIG_INVALID", /OPENAI_API_KEY/),
  );
  assert.throws(
    () => createProvider("anthropic:claude-x", {}),
    codexError("CONFIG_INVALID", /ANTHROPIC_API_KEY/),
  );
});

test("a local OpenAI-compatible server needs no key; a bad base URL is named", () => {
  const local = createProvider("openai:llama3.1:8b", { OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" });
  assert.equal(local.model, "llama3.1:8b");
  assert.equal(LOCAL_DUMMY_KEY.length > 0, true);
  assert.throws(
    () => createProvider("openai:m", { OPENAI_BASE_URL: "not a url" }),
    codexError("CONFIG_INVALID", /OPENAI_BASE_URL/),
  );
  assert.throws(
    () => createProvider("anthropic:m", { ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: "ftp://x" }),
    codexError("CONFIG_INVALID", /ANTHROPIC_BASE_URL/),
  );
});

test("providersFromEnv defaults to offline with no backup and names the variable at fault", () => {
  const none = providersFromEnv({});
  assert.equal(none.prime.spec, "offline");
  assert.equal(none.backup, undefined);
  assert.equal(providersFromEnv({ MAOS_BACKUP: "none" }).backup, undefined);
  const both = providersFromEnv({
    MAOS_PRIME: "openai:gpt-4o-mini",
    OPENAI_API_KEY: "sk-test-0000000000",
    MAOS_BACKUP: "offline",
  });
  assert.equal(both.prime.spec, "openai:gpt-4o-mini");
  assert.equal(both.backup?.spec, "offline");
  assert.throws(
    () => providersFromEnv({ MAOS_BACKUP: "claude" }),
    codexError("CONFIG_INVALID", /Set MAOS_BACKUP/),
  );
  assert.throws(
    () => providersFromEnv({ MAOS_PRIME: "x:y" }),
    codexError("CONFIG_INVALID", /Set MAOS_PRIME/),
  );
});
