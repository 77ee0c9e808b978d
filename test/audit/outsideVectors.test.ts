import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  generateNoteKey,
  newNoteSigner,
  newNoteVerifier,
  openNote,
  parseCheckpoint,
  signNote,
} from "../../src/ledger/signedNote.ts";
import { REPO } from "../helpers/testApp.ts";

const exec = promisify(execFile);
const VERIFY_SH = join(REPO, "scripts", "audit", "verify.sh");
interface Vector {
  note: string;
  origin: string;
  size: number;
  rootBase64: string;
  signatureKeyId: string;
  verifierKey: string;
  otherVerifierKey: string;
  signedNote: string;
}
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(REPO, "test", "fixtures", "ledger", name), "utf8")) as Vector;
const c2sp = fixture("c2sp-tlog-checkpoint-example.json");
const sumdb = fixture("sumdb-note-vector.json");

const dir = mkdtempSync(join(tmpdir(), "maos-vectors-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function shellNote(vkey: string, note: string): Promise<{ code: number; out: string }> {
  const k = join(dir, `k${Math.random().toString(36).slice(2)}.vkey`);
  const n = join(dir, `n${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(k, `${vkey}\n`);
  writeFileSync(n, note);
  try {
    const r = await exec("bash", [VERIFY_SH, "--key", k, "--note", n]);
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, out: e.stdout ?? "" };
  }
}

describe("outside vectors, through the app's code and through scripts/audit/verify.sh", () => {
  it("C2SP tlog-checkpoint example: the body parses to the spec's origin, size and root", () => {
    const text = c2sp.note.slice(0, c2sp.note.indexOf("\n\n") + 1);
    const body = parseCheckpoint(text);
    assert.equal(body.origin, c2sp.origin);
    assert.equal(body.size, c2sp.size);
    assert.equal(body.root.toString("base64"), c2sp.rootBase64);
    assert.equal(
      body.root.toString("hex"),
      "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62",
    );
  });

  it("C2SP example: its signature, by a key we do not hold, is ignored, not trusted", async () => {
    const ours = generateNoteKey("example.com/behind-the-sofa");
    assert.throws(
      () => openNote(c2sp.note, [newNoteVerifier(ours.verifierKey)]),
      (err: Error & { details?: { kind?: string } }) => err.details?.kind === "unknown-key",
    );
    const sh = await shellNote(ours.verifierKey, c2sp.note);
    assert.equal(sh.code, 1);
    assert.match(sh.out, /not signed by example\.com\/behind-the-sofa\+/);
  });

  it("C2SP example cosigned by a key we hold: both verifiers accept ours and ignore the spec's", async () => {
    const ours = generateNoteKey("maos-witness");
    const text = c2sp.note.slice(0, c2sp.note.indexOf("\n\n") + 1);
    const ourLine = signNote(text, newNoteSigner(ours.signerKey)).slice(text.length + 1);
    const cosigned = `${c2sp.note}${ourLine}`;
    const opened = openNote(cosigned, [newNoteVerifier(ours.verifierKey)]);
    assert.equal(opened.sigs.length, 1);
    assert.equal(opened.unverifiedSigs[0]?.keyId.toString(16).padStart(8, "0"), c2sp.signatureKeyId);
    const sh = await shellNote(ours.verifierKey, cosigned);
    assert.equal(sh.code, 0, sh.out);
    assert.match(
      sh.out,
      /checkpoint body: origin example\.com\/behind-the-sofa, size 20852163, root 0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62/,
    );
  });

  it("Go sumdb/note vector: verify.sh accepts PeterNeumann's signature and no other key", async () => {
    const good = await shellNote(sumdb.verifierKey, sumdb.signedNote);
    assert.equal(good.code, 0, good.out);
    const other = await shellNote(sumdb.otherVerifierKey, sumdb.signedNote);
    assert.equal(other.code, 1);
    const forged = sumdb.signedNote.replace("answer", "answex");
    const bad = await shellNote(sumdb.verifierKey, forged);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /bad signature/);
  });
});
