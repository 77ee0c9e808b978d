/**
 * A run input that looks like a credential never reaches the ledger, run.json or the vault's history:
 * refused by default (nothing is written but a refusal naming the input and the pattern), or redacted
 * under `guardrails.secret_inputs: redact` — from the CLI (a real process), the shell and Slack alike.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { dispatch } from "../../commands/dispatch.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { REPO, testApp } from "../helpers/testApp.ts";

const SECRET = "sk-live-abcdefghijklmnopqrstuvwx";

/** Every byte MAOS_HOME holds, the ledger and the vault's git objects included, as text to search. */
function everything(home: string): string {
  let out = "";
  const ledger = path.join(home, "ledger.db");
  if (existsSync(ledger)) {
    const db = new Database(ledger, { readonly: true });
    out += (db.prepare("SELECT canonical FROM ledger").pluck().all() as string[]).join("\n");
    db.close();
  }
  const vault = path.join(home, "vault");
  if (existsSync(path.join(vault, ".git"))) {
    out += execFileSync("git", ["-C", vault, "log", "--all", "-p"], { encoding: "utf8", maxBuffer: 1 << 26 });
  }
  return out;
}

test("the CLI refuses a secret-looking input with exit 2 and writes no trace of it", () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-secret-input-"));
  try {
    const r = spawnSync(
      process.execPath,
      [path.join(REPO, "bin/maos.js"), "run", "marketing_ops", "--input", `event=${SECRET}`],
      {
        cwd: home,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? home,
          MAOS_HOME: home,
          MAOS_CHARTER: path.join(REPO, "charter.yml"),
          MAOS_STACKS: path.join(REPO, "stacks"),
        },
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /input event \(openai_api_key\) looks like a credential, so the run was not started/,
    );
    assert.match(r.stderr, /guardrails\.secret_inputs: redact/);
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /abcdefghijklmnop/);
    assert.ok(!everything(home).includes("abcdefghijklmnop"));
    const db = new Database(path.join(home, "ledger.db"), { readonly: true });
    const types = db.prepare("SELECT event_type FROM ledger ORDER BY seq").pluck().all() as string[];
    db.close();
    assert.ok(types.includes("INPUT_REFUSED"));
    assert.ok(!types.includes("RUN_STARTED"));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("the shell and Slack get the same refusal", async () => {
  const t = testApp();
  try {
    for (const actor of [
      { source: "shell", id: "local:alice" },
      { source: "slack", id: "U0MEMBER" },
    ] satisfies Actor[]) {
      const reply = replyToText(
        await dispatch(`run marketing_ops event="Expo ${SECRET}"`, { app: t.app, actor }),
      );
      assert.match(reply, /input event \(openai_api_key\) looks like a credential/);
      assert.doesNotMatch(reply, /abcdefghijklmnop/);
    }
    assert.equal(t.app.ledger().query({ eventType: "RUN_STARTED" }).length, 0);
    assert.ok(!everything(t.home).includes("abcdefghijklmnop"));
  } finally {
    await t.cleanup();
  }
});

test("with guardrails.secret_inputs: redact the run goes on with the value redacted everywhere", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "maos-redact-charter-"));
  const charter = path.join(dir, "charter.yml");
  writeFileSync(
    charter,
    readFileSync(path.join(REPO, "charter.yml"), "utf8").replace(
      "secret_inputs: refuse",
      "secret_inputs: redact",
    ),
  );
  const t = testApp({ MAOS_CHARTER: charter });
  try {
    const reply = replyToText(
      await dispatch(`run marketing_ops event="Expo ${SECRET}"`, {
        app: t.app,
        actor: { source: "shell", id: "local:alice" },
      }),
    );
    assert.match(reply, /marketing_ops: completed/i);
    const started = t.app.ledger().query({ eventType: "RUN_STARTED" })[0]?.payload as {
      inputs: Record<string, string>;
      inputsRedacted: unknown;
    };
    assert.equal(started.inputs.event, "Expo [REDACTED:openai_api_key]");
    assert.deepEqual(started.inputsRedacted, [{ input: "event", patterns: ["openai_api_key"] }]);
    assert.ok(!everything(t.home).includes("abcdefghijklmnop"));
    assert.ok(
      everything(t.home).includes("Expo [REDACTED:openai_api_key]"),
      "run.json in the vault shows the redaction",
    );
  } finally {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
