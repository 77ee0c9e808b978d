import {
  createPrivateKey,
  createPublicKey,
  hash,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import { CodexError } from "../core/CodexError.ts";

/**
 * C2SP signed notes (c2sp.org/signed-note), compatible with golang.org/x/mod/sumdb/note, and the
 * tlog-checkpoint body (c2sp.org/tlog-checkpoint). Ed25519 only (signature type 0x01).
 */

export interface NoteSigner {
  readonly name: string;
  /** First 4 bytes of SHA-256(name || "\n" || 0x01 || public key), big-endian. */
  readonly keyId: number;
  /** The matching verifier key string, `name+hex8+base64(0x01||pub)`. */
  readonly verifierKey: string;
  sign(message: Uint8Array): Buffer;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  readonly verifierKey: string;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  base64: string;
}

export interface OpenedNote {
  text: string;
  /** Signatures checked against a known key. */
  sigs: NoteSignature[];
  /** Signatures by keys the caller did not pass (kept, not trusted). */
  unverifiedSigs: NoteSignature[];
}

export interface CheckpointBody {
  origin: string;
  size: number;
  root: Buffer;
  extensions: string[];
}

const ALG_ED25519 = 0x01;
const SIG_PREFIX = "\u2014 "; // EM DASH and a space
const MAX_SIGNATURES = 100; // as in golang.org/x/mod/sumdb/note: bounds the work an attacker can cause
// DER wrappers turning a raw 32-byte Ed25519 seed / public key into PKCS#8 / SPKI for node:crypto.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function noteKeyId(name: string, key: Uint8Array): number {
  const digest = hash("sha256", Buffer.concat([Buffer.from(`${name}\n`, "utf8"), key]), "buffer");
  return digest.readUInt32BE(0);
}

/** A key name: non-empty, well-formed, no whitespace, no "+". */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.isWellFormed() && !/[\s+\u0085\u00a0]/u.test(name);
}

function hex8(id: number): string {
  return id.toString(16).padStart(8, "0");
}

/** Strict standard base64 (with padding), as Go's base64.StdEncoding.DecodeString accepts. */
function decodeBase64Strict(s: string): Buffer | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return undefined;
  const bytes = Buffer.from(s, "base64");
  return bytes.toString("base64") === s ? bytes : undefined;
}

function publicFromSeed(seed: Uint8Array): { privateKey: KeyObject; publicKey: Buffer } {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { privateKey, publicKey: Buffer.from(spki.subarray(SPKI_ED25519_PREFIX.length)) };
}

function keyError(kind: "verifier" | "signer", what: string): CodexError {
  // Never echo the key string: for a signer it is the private key.
  return new CodexError("CONFIG_INVALID", `malformed note ${kind} key: ${what}`, {
    hint:
      kind === "signer"
        ? "use a key of the form PRIVATE+KEY+<name>+<8 hex>+<base64> (as written by generateNoteKey or `loadOrCreateLedgerKey`)"
        : "use a key of the form <name>+<8 hex>+<base64 of 0x01 and the 32-byte Ed25519 public key>",
  });
}

/** Splits at the first "+" like Go's chop: the rest (which may hold "+" from base64) stays whole. */
function chop(s: string): [string, string] | undefined {
  const i = s.indexOf("+");
  return i < 0 ? undefined : [s.slice(0, i), s.slice(i + 1)];
}

export function newNoteVerifier(vkey: string): NoteVerifier {
  const a = chop(vkey);
  const b = a && chop(a[1]);
  if (!a || !b) throw keyError("verifier", "expected name+hash+key");
  const [name] = a;
  const [hash16, key64] = b;
  const key = decodeBase64Strict(key64);
  if (!/^[0-9a-f]{8}$/.test(hash16) || !isValidKeyName(name) || !key || key.length === 0) {
    throw keyError("verifier", "bad name, hash or key encoding");
  }
  if (Number.parseInt(hash16, 16) !== noteKeyId(name, key))
    throw keyError("verifier", "key hash does not match");
  if (key[0] !== ALG_ED25519 || key.length !== 33) throw keyError("verifier", "not an Ed25519 key");
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, key.subarray(1)]),
    format: "der",
    type: "spki",
  });
  const keyId = Number.parseInt(hash16, 16);
  return {
    name,
    keyId,
    verifierKey: vkey,
    verify: (message, signature) => signature.length === 64 && verify(null, message, publicKey, signature),
  };
}

export function newNoteSigner(skey: string): NoteSigner {
  const parts: string[] = [];
  let rest = skey;
  for (let i = 0; i < 4; i++) {
    const c = chop(rest);
    if (!c) throw keyError("signer", "expected PRIVATE+KEY+name+hash+key");
    parts.push(c[0]);
    rest = c[1];
  }
  const [priv1, priv2, name, hash16] = parts as [string, string, string, string];
  const key = decodeBase64Strict(rest);
  if (
    priv1 !== "PRIVATE" ||
    priv2 !== "KEY" ||
    !/^[0-9a-f]{8}$/.test(hash16) ||
    !isValidKeyName(name) ||
    !key ||
    key.length === 0
  ) {
    throw keyError("signer", "bad prefix, name, hash or key encoding");
  }
  if (key[0] !== ALG_ED25519 || key.length !== 33) throw keyError("signer", "not an Ed25519 key");
  const { privateKey, publicKey } = publicFromSeed(key.subarray(1));
  const pubKeyBytes = Buffer.concat([Buffer.from([ALG_ED25519]), publicKey]);
  const keyId = noteKeyId(name, pubKeyBytes);
  if (Number.parseInt(hash16, 16) !== keyId) throw keyError("signer", "key hash does not match");
  return {
    name,
    keyId,
    verifierKey: `${name}+${hex8(keyId)}+${pubKeyBytes.toString("base64")}`,
    sign: (message) => sign(null, message, privateKey),
  };
}

/** Verifier key string for a raw 32-byte Ed25519 public key. */
export function ed25519VerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw keyError("verifier", "invalid name");
  if (publicKey.length !== 32) throw keyError("verifier", "an Ed25519 public key is 32 bytes");
  const key = Buffer.concat([Buffer.from([ALG_ED25519]), publicKey]);
  return `${name}+${hex8(noteKeyId(name, key))}+${key.toString("base64")}`;
}

/** A fresh Ed25519 key pair as note key strings. The signer key is secret: store it 0600, never log it. */
export function generateNoteKey(name: string): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name)) {
    throw new CodexError("CONFIG_INVALID", `note key name ${JSON.stringify(name)} is not valid`, {
      hint: "a key name is non-empty and has no spaces and no '+'",
    });
  }
  const seed = randomBytes(32);
  const { publicKey } = publicFromSeed(seed);
  const verifierKey = ed25519VerifierKey(name, publicKey);
  const id = verifierKey.split("+")[1] as string;
  const signerKey = `PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.from([ALG_ED25519]), seed]).toString("base64")}`;
  return { signerKey, verifierKey };
}

function noteError(kind: "malformed" | "unknown-key" | "bad-signature" | "ambiguous-key", message: string) {
  return new CodexError("LEDGER_BROKEN", message, {
    hint:
      kind === "unknown-key" || kind === "ambiguous-key"
        ? "pass the verifier key (ledger.vkey under MAOS_HOME) of the key that signed the note"
        : "the note was altered or is not a signed note; fetch an intact copy (the ledger's checkpoints table or the vault)",
    details: { kind },
  });
}

/** No ASCII control character other than newline, and well-formed Unicode. */
function isValidNoteText(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  return text.isWellFormed() && !/[\u0000-\u0009\u000b-\u001f]/.test(text);
}

/** Signs `text` (which must end in "\n") and returns the note: text, a blank line, one line per signer. */
export function signNote(text: string, signer: NoteSigner | readonly NoteSigner[]): string {
  if (!text.endsWith("\n") || !isValidNoteText(text)) {
    throw noteError(
      "malformed",
      "malformed note: the text must end in a newline and hold no control characters",
    );
  }
  const message = Buffer.from(text, "utf8");
  let sigs = "";
  for (const s of Array.isArray(signer) ? signer : [signer as NoteSigner]) {
    if (!isValidKeyName(s.name)) throw noteError("malformed", "invalid signer name");
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.keyId >>> 0);
    sigs += `${SIG_PREFIX}${s.name} ${Buffer.concat([id, s.sign(message)]).toString("base64")}\n`;
  }
  return `${text}\n${sigs}`;
}

/**
 * Parses a signed note and checks every signature made by a key in `verifiers`. Throws (LEDGER_BROKEN,
 * `details.kind`) when the note is malformed, when a known key's signature is invalid, or when no
 * signature is by a known key. Signatures by unknown keys are returned as unverified.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  let msg: string;
  if (typeof note === "string") msg = note;
  else {
    try {
      msg = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(note);
    } catch {
      throw noteError("malformed", "malformed note: not valid UTF-8");
    }
  }
  if (!isValidNoteText(msg))
    throw noteError("malformed", "malformed note: control characters or bad Unicode");
  const split = msg.lastIndexOf("\n\n");
  if (split < 0) throw noteError("malformed", "malformed note: no blank line before the signatures");
  const text = msg.slice(0, split + 1);
  let sigBlock = msg.slice(split + 2);
  if (sigBlock.length === 0 || !sigBlock.endsWith("\n")) {
    throw noteError("malformed", "malformed note: missing or unterminated signature lines");
  }
  const message = Buffer.from(text, "utf8");
  const out: OpenedNote = { text, sigs: [], unverifiedSigs: [] };
  const seenVerified = new Set<string>();
  const seenUnverified = new Set<string>();
  let count = 0;
  while (sigBlock.length > 0) {
    const nl = sigBlock.indexOf("\n");
    let line = sigBlock.slice(0, nl);
    sigBlock = sigBlock.slice(nl + 1);
    if (!line.startsWith(SIG_PREFIX))
      throw noteError("malformed", "malformed note: a signature line lacks '\u2014 '");
    line = line.slice(SIG_PREFIX.length);
    const sp = line.indexOf(" ");
    const name = sp < 0 ? line : line.slice(0, sp);
    const b64 = sp < 0 ? "" : line.slice(sp + 1);
    const raw = decodeBase64Strict(b64);
    if (!raw || b64 === "" || !isValidKeyName(name) || raw.length < 5) {
      throw noteError("malformed", "malformed note: bad signature line");
    }
    if (++count > MAX_SIGNATURES) throw noteError("malformed", "malformed note: too many signatures");
    const keyId = raw.readUInt32BE(0);
    const sig = raw.subarray(4);
    const matches = verifiers.filter((v) => v.name === name && v.keyId === keyId);
    const tag = `${name}+${hex8(keyId)}`;
    if (matches.length === 0) {
      if (!seenUnverified.has(line)) {
        seenUnverified.add(line);
        out.unverifiedSigs.push({ name, keyId, base64: b64 });
      }
      continue;
    }
    if (new Set(matches.map((v) => v.verifierKey)).size > 1)
      throw noteError("ambiguous-key", `ambiguous key ${tag}`);
    if (seenVerified.has(tag)) continue;
    seenVerified.add(tag);
    if (!(matches[0] as NoteVerifier).verify(message, sig)) {
      throw noteError("bad-signature", `invalid signature for key ${tag}`);
    }
    out.sigs.push({ name, keyId, base64: b64 });
  }
  if (out.sigs.length === 0) {
    throw noteError(
      "unknown-key",
      `note has no verifiable signatures (signed by ${out.unverifiedSigs.map((s) => `${s.name}+${hex8(s.keyId)}`).join(", ")})`,
    );
  }
  return out;
}

/** tlog-checkpoint body: origin, decimal size, base64 root hash, then optional extension lines. */
export function formatCheckpoint(c: {
  origin: string;
  size: number;
  root: Uint8Array;
  extensions?: string[];
}): string {
  if (c.origin.length === 0 || c.origin.includes("\n") || !isValidNoteText(c.origin)) {
    throw new CodexError("CONFIG_INVALID", "checkpoint origin must be one non-empty line", {
      hint: "set the ledger origin to a short line such as maos-codex/ledger",
    });
  }
  if (!Number.isSafeInteger(c.size) || c.size < 0)
    throw new RangeError(`checkpoint size ${c.size} is not valid`);
  if (c.root.length !== 32) throw new RangeError("checkpoint root must be a 32-byte hash");
  const ext = (c.extensions ?? []).map((e) => {
    if (e.length === 0 || e.includes("\n"))
      throw new RangeError("checkpoint extension lines are non-empty single lines");
    return `${e}\n`;
  });
  return `${c.origin}\n${c.size}\n${Buffer.from(c.root).toString("base64")}\n${ext.join("")}`;
}

export function parseCheckpoint(text: string): CheckpointBody {
  const bad = (why: string) =>
    new CodexError("LEDGER_BROKEN", `malformed checkpoint: ${why}`, {
      hint: "a checkpoint body is <origin>\\n<size>\\n<base64 root>\\n",
      details: { kind: "malformed" },
    });
  if (!text.endsWith("\n")) throw bad("it must end in a newline");
  const lines = text.slice(0, -1).split("\n");
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined)
    throw bad("fewer than three lines");
  if (origin.length === 0) throw bad("empty origin");
  if (!/^(?:0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw bad("bad size");
  const root = decodeBase64Strict(rootText);
  if (root?.length !== 32) throw bad("the root is not a base64 32-byte hash");
  if (extensions.some((e) => e.length === 0)) throw bad("empty extension line");
  return { origin, size: Number(sizeText), root, extensions };
}
