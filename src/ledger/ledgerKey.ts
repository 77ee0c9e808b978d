import { randomUUID } from "node:crypto";
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CodexError } from "../core/CodexError.ts";
import {
  generateNoteKey,
  type NoteSigner,
  type NoteVerifier,
  newNoteSigner,
  newNoteVerifier,
} from "./signedNote.ts";

export interface LedgerKey {
  signer: NoteSigner;
  verifier: NoteVerifier;
  /** The public `name+hex8+base64` string; safe to print, publish and hand to verifiers. */
  verifierKey: string;
}

export const LEDGER_KEY_FILE = "ledger.key";
export const LEDGER_VKEY_FILE = "ledger.vkey";

/**
 * The ledger signing key from `<dir>/ledger.key` (PRIVATE+KEY form, mode 0600), created on first start
 * along with `<dir>/ledger.vkey` (the public verifier key). Refuses a key file that group or others can
 * read, and a key whose name is not `name`.
 */
export function loadOrCreateLedgerKey(dir: string, name: string): LedgerKey {
  const keyPath = join(dir, LEDGER_KEY_FILE);
  const vkeyPath = join(dir, LEDGER_VKEY_FILE);
  if (!existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { signerKey, verifierKey } = generateNoteKey(name);
    // Written whole to a file of this process's own, then hard-linked into place: link() fails when the
    // name exists, so of several processes starting a fresh home at once exactly one key wins and the
    // others read it (a rename would let a later process replace a key a ledger was already made with).
    const tmp = `${keyPath}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(tmp, `${signerKey}\n`, { mode: 0o600, flag: "wx" });
    let won = false;
    try {
      linkSync(tmp, keyPath);
      won = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      unlinkSync(tmp);
    }
    if (won) {
      writeFileSync(vkeyPath, `${verifierKey}\n`, { mode: 0o644 });
      return keyFromString(signerKey, keyPath);
    }
  }
  const mode = statSync(keyPath).mode;
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new CodexError(
      "PERMISSION_DENIED",
      `${keyPath} can be read by other users (mode ${(mode & 0o777).toString(8)})`,
      {
        hint: `run: chmod 600 ${keyPath}`,
      },
    );
  }
  const key = keyFromString(readFileSync(keyPath, "utf8").trim(), keyPath);
  if (key.signer.name !== name) {
    throw new CodexError("CONFIG_INVALID", `${keyPath} holds a key named ${key.signer.name}, not ${name}`, {
      hint: `keep the ledger key name ${key.signer.name}, or move ${keyPath} away to start a new ledger`,
    });
  }
  // The public half is derived, so a missing or stale ledger.vkey is simply rewritten.
  const vkey = existsSync(vkeyPath) ? readFileSync(vkeyPath, "utf8").trim() : undefined;
  if (vkey !== key.verifierKey) {
    writeFileSync(vkeyPath, `${key.verifierKey}\n`, { mode: 0o644 });
    chmodSync(vkeyPath, 0o644);
  }
  return key;
}

/**
 * A key configured as a string, e.g. MAOS_LEDGER_KEY (the PRIVATE+KEY form). `source` names the env var
 * or file in errors; the key itself never appears in them.
 */
export function ledgerKeyFromString(signerKey: string, source = "MAOS_LEDGER_KEY"): LedgerKey {
  return keyFromString(signerKey.trim(), source);
}

function keyFromString(signerKey: string, source: string): LedgerKey {
  let signer: NoteSigner;
  try {
    signer = newNoteSigner(signerKey);
  } catch (cause) {
    throw new CodexError("CONFIG_INVALID", `${source} does not hold a valid ledger signing key`, {
      hint: `set ${source} to a PRIVATE+KEY+<name>+<8 hex>+<base64> Ed25519 note key (as written to ${LEDGER_KEY_FILE})`,
      cause,
    });
  }
  const verifier = newNoteVerifier(signer.verifierKey);
  return { signer, verifier, verifierKey: signer.verifierKey };
}
