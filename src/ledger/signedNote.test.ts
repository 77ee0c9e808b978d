import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { isCodexError } from "../core/CodexError.ts";
import {
  formatCheckpoint,
  generateNoteKey,
  newNoteSigner,
  newNoteVerifier,
  noteKeyId,
  openNote,
  parseCheckpoint,
  signNote,
} from "./signedNote.ts";

const vec = JSON.parse(
  readFileSync(new URL("../../test/fixtures/ledger/sumdb-note-vector.json", import.meta.url), "utf8"),
) as {
  verifierKey: string;
  signerKey: string;
  text: string;
  signedNote: string;
  otherVerifierKey: string;
  otherSignatureLine: string;
};

function kindOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (isCodexError(err)) return (err.details as { kind?: string } | undefined)?.kind ?? err.code;
    throw err;
  }
  return undefined;
}

test("sumdb vector: our signer reproduces the Go signature byte for byte", () => {
  const signer = newNoteSigner(vec.signerKey);
  assert.equal(signer.name, "PeterNeumann");
  assert.equal(signer.keyId, 0xc74f20a3);
  assert.equal(signer.verifierKey, vec.verifierKey);
  assert.equal(signNote(vec.text, signer), vec.signedNote);
});

test("sumdb vector: our verifier accepts the Go note", () => {
  const v = newNoteVerifier(vec.verifierKey);
  assert.equal(v.keyId, 0xc74f20a3);
  const opened = openNote(vec.signedNote, [v]);
  assert.equal(opened.text, vec.text);
  assert.equal(opened.sigs.length, 1);
  assert.equal(opened.sigs[0]?.name, "PeterNeumann");
  // A second signature by an unknown key is kept as unverified; with both keys both verify.
  const both = `${vec.signedNote}${vec.otherSignatureLine}`;
  assert.equal(openNote(both, [v]).unverifiedSigs.length, 1);
  assert.equal(openNote(both, [v, newNoteVerifier(vec.otherVerifierKey)]).sigs.length, 2);
});

test("key id is SHA-256(name || \\n || 0x01 || pub)[:4]", () => {
  const key = Buffer.from(vec.verifierKey.split("+")[2] as string, "base64");
  assert.equal(noteKeyId("PeterNeumann", key).toString(16), "c74f20a3");
});

test("a tampered note fails with a bad signature", () => {
  const v = newNoteVerifier(vec.verifierKey);
  assert.equal(
    kindOf(() => openNote(vec.signedNote.replace("cryptography", "cryptografy"), [v])),
    "bad-signature",
  );
  const sig = vec.signedNote.slice(vec.text.length + 1);
  const bent = `${vec.text}\n${sig.slice(0, 60)}ABCD${sig.slice(60)}`;
  assert.equal(
    kindOf(() => openNote(bent, [v])),
    "bad-signature",
  );
});

test("an unknown key fails", () => {
  assert.equal(
    kindOf(() => openNote(vec.signedNote, [newNoteVerifier(vec.otherVerifierKey)])),
    "unknown-key",
  );
  assert.equal(
    kindOf(() => openNote(vec.signedNote, [])),
    "unknown-key",
  );
  const other = generateNoteKey("PeterNeumann");
  assert.equal(
    kindOf(() => openNote(vec.signedNote, [newNoteVerifier(other.verifierKey)])),
    "unknown-key",
  );
});

test("malformed notes are rejected (the Go test's cases)", () => {
  const v = newNoteVerifier(vec.verifierKey);
  const sig = vec.signedNote.slice(vec.text.length + 1);
  const bad = [
    vec.text,
    `${vec.text}\n`,
    `${vec.text}\n${sig.slice(0, -1)}`,
    `\u0001${vec.text}\n${sig}`,
    `${vec.text}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
    `${vec.text}\n${sig}Unexpected line.\n`,
    `${vec.text}\n${sig.repeat(101)}`,
  ];
  for (const note of bad)
    assert.equal(
      kindOf(() => openNote(note, [v])),
      "malformed",
      JSON.stringify(note.slice(-40)),
    );
  assert.equal(
    kindOf(() => openNote(Buffer.from([0xff, 0x0a, 0x0a]), [v])),
    "malformed",
  );
});

test("mangled verifier and signer keys are refused (every substring, every byte bumped)", () => {
  const mangled = (key: string) => {
    const out: string[] = [];
    for (let i = 0; i <= key.length; i++) {
      for (let j = i + 1; j <= key.length; j++) if (i !== 0 || j !== key.length) out.push(key.slice(i, j));
    }
    for (let i = 0; i < key.length; i++)
      out.push(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1));
    return out;
  };
  for (const k of mangled(vec.verifierKey)) assert.throws(() => newNoteVerifier(k), Error, k);
  for (const k of mangled(vec.signerKey)) assert.throws(() => newNoteSigner(k));
  // Wrong length and unknown algorithm, each with a matching key hash (from the Go test).
  assert.throws(() =>
    newNoteVerifier("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="),
  );
  assert.throws(() => newNoteVerifier("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
});

test("a signer key error never contains the key", () => {
  const broken = `${vec.signerKey.slice(0, -3)}zzz`;
  try {
    newNoteSigner(broken);
    assert.fail("expected an error");
  } catch (err) {
    assert.ok(err instanceof Error);
    assert.ok(!err.message.includes(broken.split("+")[4] as string));
  }
});

test("generated keys sign and verify; a different key's note does not verify", () => {
  const a = generateNoteKey("maos-codex");
  const b = generateNoteKey("maos-codex");
  assert.match(a.verifierKey, /^maos-codex\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  assert.match(a.signerKey, /^PRIVATE\+KEY\+maos-codex\+[0-9a-f]{8}\+/);
  const note = signNote("hello\n", newNoteSigner(a.signerKey));
  assert.equal(openNote(note, [newNoteVerifier(a.verifierKey)]).text, "hello\n");
  assert.notEqual(
    kindOf(() => openNote(note, [newNoteVerifier(b.verifierKey)])),
    undefined,
  );
  assert.throws(() => generateNoteKey("bad name"));
  assert.throws(() => signNote("no newline", newNoteSigner(a.signerKey)));
});

test("tlog-checkpoint bodies format and parse", () => {
  const root = Buffer.alloc(32, 7);
  const body = formatCheckpoint({ origin: "maos-codex/ledger/test", size: 42, root });
  assert.equal(body, `maos-codex/ledger/test\n42\n${root.toString("base64")}\n`);
  const parsed = parseCheckpoint(body);
  assert.deepEqual(
    { ...parsed, root: parsed.root.toString("hex") },
    {
      origin: "maos-codex/ledger/test",
      size: 42,
      root: root.toString("hex"),
      extensions: [],
    },
  );
  assert.deepEqual(parseCheckpoint(`${body}ext line\n`).extensions, ["ext line"]);
  for (const bad of [
    "o\n42\n",
    "o\n042\nAAAA\n",
    `o\n-1\n${root.toString("base64")}\n`,
    `o\n1\n${Buffer.alloc(31).toString("base64")}\n`,
    `\n1\n${root.toString("base64")}\n`,
    body.slice(0, -1),
  ]) {
    assert.throws(() => parseCheckpoint(bad), Error, JSON.stringify(bad));
  }
});
