import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CodexError } from "../core/CodexError.ts";
import { openLedgerReadOnly } from "../ledger/openReadOnly.ts";
import { type NoteVerifier, newNoteVerifier, openNote, parseCheckpoint } from "../ledger/signedNote.ts";
import { verifyLedgerOffThread } from "../ledger/verifyInWorker.ts";
import type { VerifyReport } from "../ledger/verifyLedger.ts";
import { consistencyFromDb } from "./proofs.ts";
import { checkVaultCustody, readLedgerLinks, type VaultCustodyReport } from "./vaultCustody.ts";

export interface AuditOptions {
  /** The verifier key text (`name+hex8+base64`), e.g. read from ledger.vkey. */
  verifierKey: string;
  /** Where the key came from, for messages. */
  keySource: string;
  db: string;
  vault?: string;
  /** A signed checkpoint note received out of band, and where it came from. */
  checkpoint?: { note: string; source: string };
}

export interface CheckpointConsistency {
  source: string;
  ok: boolean;
  size?: number;
  root?: string;
  /** RFC 6962 consistency proof (hex) from the checkpoint's tree to the ledger's, when it is a prefix. */
  proof?: string[];
  problem?: string;
}

export interface AuditReport extends VerifyReport {
  /** The ledger, the vault and the out-of-band checkpoint all verify. */
  ok: boolean;
  /** The ledger's own verification (chain, Merkle root, signed checkpoints) passed. */
  ledgerOk: boolean;
  /** Checkpoint copies read from the vault (kept for the old JSON form). */
  vaultCheckpoints: number;
  vault?: VaultCustodyReport;
  checkpoint?: CheckpointConsistency;
  /** Every failure, each naming what failed. */
  failures: string[];
}

/**
 * Read-only verification from a public key: the ledger file (every hash, link, root and signed
 * checkpoint; the checkpoint copies the vault keeps are checked against the rows too), the vault against
 * the ledger's RUN_SEALED and VAULT_SIGNING_KEY records, and a checkpoint received out of band, which the
 * ledger must extend. Nothing is created, changed or deleted in any of the given paths.
 */
export async function auditVerify(opts: AuditOptions): Promise<AuditReport> {
  const verifier = verifierFrom(opts.verifierKey, opts.keySource);
  if (!existsSync(opts.db)) {
    throw new CodexError("NOT_FOUND", `no ledger at ${opts.db}`, {
      hint: 'pass --db FILE (a copy made with: sqlite3 ledger.db ".backup copy.db"), or set MAOS_HOME',
    });
  }
  let vault: VaultCustodyReport | undefined;
  if (opts.vault !== undefined) {
    if (!existsSync(join(opts.vault, ".git"))) {
      throw new CodexError("NOT_FOUND", `${opts.vault} is not a vault (it has no .git)`, {
        hint: "pass --vault DIR naming a copy of MAOS_HOME/vault with its .git folder",
      });
    }
    const { db } = openLedgerReadOnly(opts.db);
    let links: ReturnType<typeof readLedgerLinks>;
    try {
      links = readLedgerLinks(db);
    } finally {
      db.close();
    }
    vault = await checkVaultCustody(opts.vault, links);
  }
  const extras = [...(opts.checkpoint ? [opts.checkpoint.note] : []), ...(vault?.checkpoints ?? [])];
  const ledger = (
    await verifyLedgerOffThread({ path: opts.db, verifierKey: verifier.verifierKey, checkpoints: extras })
  ).report;
  const failures: string[] = [];
  if (!ledger.ok && ledger.firstBad) {
    failures.push(`ledger: seq ${ledger.firstBad.seq}: ${ledger.firstBad.reason}`);
  }
  for (const p of vault?.problems ?? []) failures.push(`vault: ${p.reason}`);
  let checkpoint: CheckpointConsistency | undefined;
  if (opts.checkpoint) {
    checkpoint = checkOutOfBand(opts.checkpoint, verifier, ledger, opts.db);
    if (!checkpoint.ok) failures.push(`checkpoint ${opts.checkpoint.source}: ${checkpoint.problem}`);
  }
  const report: AuditReport = {
    ...ledger,
    ok: failures.length === 0,
    ledgerOk: ledger.ok,
    vaultCheckpoints: vault?.checkpoints.length ?? 0,
    failures,
  };
  if (vault) report.vault = vault;
  if (checkpoint) report.checkpoint = checkpoint;
  return report;
}

function verifierFrom(key: string, source: string): NoteVerifier {
  try {
    return newNoteVerifier(key.trim());
  } catch (cause) {
    throw new CodexError("CONFIG_INVALID", `${source} does not hold a ledger verifier key`, {
      hint: "pass --key with the ledger's public key file (ledger.vkey: one line <name>+<8 hex>+<base64>)",
      cause,
    });
  }
}

/** Reads a verifier key file, refusing anything that looks like the private key. */
export function readKeyFile(path: string): string {
  if (!existsSync(path)) {
    throw new CodexError("NOT_FOUND", `no key file at ${path}`, {
      hint: "pass --key with the ledger's public key file (MAOS_HOME/keys/ledger.vkey)",
    });
  }
  const text = readFileSync(path, "utf8").trim();
  if (text.startsWith("PRIVATE+KEY+")) {
    throw new CodexError("REFUSED", `${path} holds the ledger's PRIVATE key`, {
      hint: "verification needs only the public key: pass ledger.vkey, and keep ledger.key secret",
    });
  }
  return text;
}

/** The out-of-band checkpoint: signed by the key, and the ledger an append-only extension of it. */
function checkOutOfBand(
  cp: { note: string; source: string },
  verifier: NoteVerifier,
  ledger: VerifyReport,
  db: string,
): CheckpointConsistency {
  const out: CheckpointConsistency = { source: cp.source, ok: false };
  let body: ReturnType<typeof parseCheckpoint>;
  try {
    body = parseCheckpoint(openNote(cp.note, [verifier]).text);
  } catch (err) {
    out.problem = `not a checkpoint signed by this key: ${err instanceof Error ? err.message : String(err)}`;
    return out;
  }
  out.size = body.size;
  out.root = body.root.toString("hex");
  if (ledger.origin !== undefined && body.origin !== ledger.origin) {
    out.problem = `names origin ${JSON.stringify(body.origin)}, not the ledger's ${JSON.stringify(ledger.origin)}`;
    return out;
  }
  if (body.size > ledger.size) {
    out.problem = `the checkpoint covers ${body.size} entries but the ledger holds ${ledger.size}: entries ${ledger.size}..${body.size - 1} are gone (truncated or rolled back)`;
    return out;
  }
  const proof = consistencyFromDb(db, body.size, ledger.size);
  if (proof.oldRoot !== out.root) {
    out.problem = `the ledger's first ${body.size} entries have root ${proof.oldRoot}, the checkpoint signed ${out.root}: an entry in seq 0..${body.size - 1} differs from what was signed`;
    return out;
  }
  out.proof = proof.proof;
  out.ok = true;
  return out;
}
