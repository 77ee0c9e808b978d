/**
 * The secrets relay and the redaction scan: known secret values are planted in the environment and in
 * the fake Notion secrets registry; start-up loads the registry (the environment wins), then a full
 * activation, a stack run whose input carries a secret, and an evidence item that quotes one go through
 * the ledger, the vault, the outbox and both relays. Every log line, every byte under MAOS_HOME (ledger,
 * outbox and state databases with their WAL files, vault files) and every body Notion and Teamwork
 * received is then scanned: none may contain any planted value.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import { createApp } from "../../src/app/createApp.ts";
import { loadEnv, secretValues } from "../../src/config/loadEnv.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { clearRegisteredSecretValues } from "../../src/core/secretRegistry.ts";
import { loadNotionSecrets } from "../../src/secrets/loadNotionSecrets.ts";
import { REPO } from "../helpers/testApp.ts";
import { startRelayFakes, TEAMWORK_KEY, testCause } from "./relayKit.ts";

const operator: Actor = { source: "shell", id: "local:olive" };

const ENV_SECRETS = {
  ANTHROPIC_API_KEY: "sk-ant-planted-in-env-0123456789abcdef",
  OPENAI_API_KEY: "sk-planted-env-wins-0123456789abcdef",
  MAOS_RELAY_TOKEN: "relay-token-planted-in-env-4242",
};
const REGISTRY_SECRETS = {
  // Teamwork's key comes only from the registry: the relay must work with it and never show it.
  TEAMWORK_API_KEY: TEAMWORK_KEY,
  CLIENT_PORTAL_PASSWORD: "registry-only-portal-pass-8c1d",
  // Also set in the environment: the environment wins, and this losing value is still a secret.
  OPENAI_API_KEY: "sk-registry-loses-to-env-fedcba987654",
};
const REFUSED_VALUE = "refused-row-value-still-secret-77";

function filesUnder(dir: string, skip: (p: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (skip(p)) continue;
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, skip));
    else out.push(p);
  }
  return out;
}

test("secrets from the environment and the Notion registry never reach logs, ledger, outbox, state, vault or the sinks", {}, async (t) => {
  const fakes = await startRelayFakes();
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-secrets-"));
  t.after(async () => {
    clearRegisteredSecretValues();
    await fakes.close();
    rmSync(home, { recursive: true, force: true });
  });
  const registry = fakes.notion.addDataSource({
    name: "Secrets registry",
    schema: { Name: "title", Value: "rich_text" },
    rows: [
      ...Object.entries(REGISTRY_SECRETS).map(([name, value]) => ({
        Name: { title: [{ type: "text", text: { content: name } }] },
        Value: { rich_text: [{ type: "text", text: { content: value } }] },
      })),
      {
        Name: { title: [{ type: "text", text: { content: "not a valid name" } }] },
        Value: { rich_text: [{ type: "text", text: { content: REFUSED_VALUE } }] },
      },
    ],
  });
  cpSync(path.join(REPO, "test/fixtures/autonomy/charter.yml"), path.join(home, "charter.yml"));
  const { TEAMWORK_API_KEY: _fromRegistryOnly, ...fakeEnv } = fakes.env;
  const source: NodeJS.ProcessEnv = {
    MAOS_HOME: path.join(home, "data"),
    MAOS_CHARTER: path.join(home, "charter.yml"),
    MAOS_STACKS: path.join(REPO, "stacks"),
    LOG_LEVEL: "debug",
    NOTION_SECRETS_DATA_SOURCE_ID: registry.id,
    ...fakeEnv,
    ...ENV_SECRETS,
  };

  // Start-up, as main.ts does it: the registry first, then the environment is read and validated.
  const load = await loadNotionSecrets({ source });
  assert.equal(load.status, "loaded", load.detail);
  assert.deepEqual(load.loaded.sort(), ["CLIENT_PORTAL_PASSWORD", "TEAMWORK_API_KEY"]);
  assert.deepEqual(load.kept, ["OPENAI_API_KEY"], "the environment wins");
  assert.equal(load.refused[0]?.row, "not a valid name");
  assert.equal(source.OPENAI_API_KEY, ENV_SECRETS.OPENAI_API_KEY);
  assert.equal(source.TEAMWORK_API_KEY, TEAMWORK_KEY);
  const env = loadEnv(source, REPO);
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: true, autoAdvanceMaxMs: 5000 });
  const log = createLogger({ level: "debug", secrets: secretValues(env), destination });
  const app = createApp({ env, clock, log, random: () => 0.5 });
  t.after(() => app.close());
  const kernel = app.autonomy();
  kernel.configure({ mode: "headless", publisher: app.relays().publisher() });
  await kernel.startLoop();
  const d = app.relays().dispatcher();

  // A full activation, a stack run with a secret in its input, and evidence that quotes secrets.
  const activation = replyToText(await dispatch("activate", { app, actor: operator }));
  assert.match(activation, /Notion secrets registry: 2 loaded from the Notion registry/);
  await clock.advance(60_000);
  await kernel.idle();
  const run = replyToText(
    await dispatch(`run marketing_ops event="Expo (portal ${REGISTRY_SECRETS.CLIENT_PORTAL_PASSWORD})"`, {
      app,
      actor: operator,
    }),
  );
  assert.match(run, /score/i);
  await app
    .relays()
    .publisher()
    .publish(
      {
        kind: "incident",
        title: `leak attempt ${ENV_SECRETS.MAOS_RELAY_TOKEN}`,
        reply: {
          summary: `token ${ENV_SECRETS.ANTHROPIC_API_KEY}`,
          parts: [{ kind: "text", text: REFUSED_VALUE }],
        },
        markdown: `# Leak attempt\n\n${REGISTRY_SECRETS.OPENAI_API_KEY} and ${ENV_SECRETS.OPENAI_API_KEY} and ${TEAMWORK_KEY}\n`,
        correlationId: "secrets-scan",
        occurredAt: clock.now(),
        channel: "signals",
      },
      testCause("secrets-scan"),
    );
  for (let i = 0; i < 20 && (await app.relays().counts()).pending > 0; i++) {
    const r = await d.deliverDue();
    if (r.nextDueAt) await clock.advance(Math.max(1, r.nextDueAt.getTime() - clock.now().getTime()));
  }
  assert.equal((await app.relays().counts()).pending, 0);
  assert.equal((await app.relays().counts()).dead, 0, "Teamwork accepted the registry's key");
  assert.ok(fakes.teamwork.tasks.length > 0 && fakes.notion.pagesIn(fakes.ledgerDs.id).length >= 2);
  await app.close();

  const planted = [
    ...Object.values(ENV_SECRETS),
    ...Object.values(REGISTRY_SECRETS),
    REFUSED_VALUE,
    fakes.env.NOTION_TOKEN as string,
  ];
  const leaks: string[] = [];
  const scan = (where: string, text: string) => {
    for (const s of planted) if (text.includes(s)) leaks.push(`${where} contains ${s.slice(0, 10)}…`);
  };
  assert.ok(lines.length > 0, "logs were written");
  lines.forEach((l, i) => {
    scan(`log line ${i + 1}`, l);
  });
  // Every byte under MAOS_HOME: ledger.db (ledger rows, checkpoints, the outbox), state.db, WAL files,
  // keys and the vault's files (git's own objects are compressed; the working tree holds what it commits).
  const files = filesUnder(env.MAOS_HOME, (p) => p.endsWith(`${path.sep}.git`));
  assert.ok(
    files.some((f) => f.endsWith("ledger.db")) && files.some((f) => f.includes(`${path.sep}runs${path.sep}`)),
  );
  for (const f of files) scan(path.relative(env.MAOS_HOME, f), readFileSync(f).toString("latin1"));
  // What left the process: every request body Notion and Teamwork received (headers carry the keys by design).
  for (const r of [...fakes.notion.requests, ...fakes.teamwork.requests])
    scan(`${r.method} ${r.path} body`, JSON.stringify(r.body ?? ""));
  assert.deepEqual(leaks, []);
  assert.ok(
    fakes.notion.pages.some((p) => JSON.stringify(p).includes("[REDACTED]")),
    "the evidence that quoted secrets was delivered with them redacted",
  );
  assert.deepEqual(fakes.problems(), []);
});
