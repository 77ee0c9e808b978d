import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ledgerKeyFromString, loadOrCreateLedgerKey } from "./ledgerKey.ts";
import { generateNoteKey, openNote, signNote } from "./signedNote.ts";

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "ledger-key-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("creates ledger.key (0600) and ledger.vkey on first start, and reloads the same key", (t) => {
  const dir = join(tempDir(t), "home");
  const a = loadOrCreateLedgerKey(dir, "maos-codex");
  assert.equal(statSync(join(dir, "ledger.key")).mode & 0o777, 0o600);
  assert.match(readFileSync(join(dir, "ledger.key"), "utf8"), /^PRIVATE\+KEY\+maos-codex\+/);
  assert.equal(readFileSync(join(dir, "ledger.vkey"), "utf8").trim(), a.verifierKey);
  const b = loadOrCreateLedgerKey(dir, "maos-codex");
  assert.equal(b.verifierKey, a.verifierKey);
  const note = signNote("x\n", a.signer);
  assert.equal(openNote(note, [b.verifier]).sigs.length, 1);
  // A deleted public file is rewritten from the private key.
  unlinkSync(join(dir, "ledger.vkey"));
  loadOrCreateLedgerKey(dir, "maos-codex");
  assert.equal(readFileSync(join(dir, "ledger.vkey"), "utf8").trim(), a.verifierKey);
});

test("refuses a key file readable by others, and a key with another name", (t) => {
  const dir = tempDir(t);
  loadOrCreateLedgerKey(dir, "maos-codex");
  assert.throws(() => loadOrCreateLedgerKey(dir, "someone-else"), { code: "CONFIG_INVALID" });
  chmodSync(join(dir, "ledger.key"), 0o644);
  assert.throws(() => loadOrCreateLedgerKey(dir, "maos-codex"), { code: "PERMISSION_DENIED" });
});

test("a configured key string (MAOS_LEDGER_KEY) loads; a bad one names the variable, not the key", () => {
  const { signerKey, verifierKey } = generateNoteKey("maos-codex");
  assert.equal(ledgerKeyFromString(`${signerKey}\n`).verifierKey, verifierKey);
  const broken = `${signerKey.slice(0, -4)}AAAA`;
  assert.throws(
    () => ledgerKeyFromString(broken),
    (err: Error & { code?: string; hint?: string }) =>
      err.code === "CONFIG_INVALID" &&
      err.message.includes("MAOS_LEDGER_KEY") &&
      !err.message.includes(broken) &&
      !(err.hint ?? "").includes(broken),
  );
});
