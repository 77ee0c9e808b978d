import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { App } from "../src/app/App.ts";
import { type AuditReport, auditVerify, readKeyFile } from "../src/audit/auditVerify.ts";
import {
  type CheckpointJson,
  type ConsistencyProofJson,
  consistencyFromDb,
  type InclusionProofJson,
  inclusionFromDb,
  latestCheckpointFromDb,
} from "../src/audit/proofs.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { Reply } from "../src/core/Reply.ts";
import { LEDGER_VKEY_FILE, ledgerKeyFromString } from "../src/ledger/ledgerKey.ts";
import { requireLedger } from "./requireLedger.ts";

export interface VerifyArgs {
  /** The ledger's public key file (ledger.vkey). Default: MAOS_HOME/keys/ledger.vkey, or MAOS_LEDGER_KEY's public half. */
  key?: string;
  /** The ledger file. Default: MAOS_HOME/ledger.db. */
  db?: string;
  /** The vault folder. Default: MAOS_HOME/vault when --db is not given and it exists. */
  vault?: string;
  /** A signed checkpoint note file received out of band. */
  checkpoint?: string;
}

/**
 * `ledger verify`: replays the chain, rebuilds the Merkle root and checks every signed checkpoint
 * (including the copies kept in the vault, which survive anyone rewriting the database), and checks the
 * vault against the ledger's seal records. Read-only: it never creates a key or touches a file, so it
 * runs as well on an auditor's copies (`--key ledger.vkey --db ledger.db --vault vault`).
 */
export async function verify(
  app: Pick<App, "env" | "home" | "ledgerPath">,
  args: VerifyArgs = {},
): Promise<AuditReport> {
  const db = args.db ? path.resolve(args.db) : app.ledgerPath();
  if (!args.db) requireLedger(app);
  const homeVault = path.join(app.home, "vault");
  const vault = args.vault
    ? path.resolve(args.vault)
    : !args.db && existsSync(path.join(homeVault, ".git"))
      ? homeVault
      : undefined;
  const key = args.key
    ? { text: readKeyFile(path.resolve(args.key)), source: args.key }
    : homeVerifierKey(app);
  return auditVerify({
    verifierKey: key.text,
    keySource: key.source,
    db,
    ...(vault ? { vault } : {}),
    ...(args.checkpoint
      ? { checkpoint: { note: readNoteFile(path.resolve(args.checkpoint)), source: args.checkpoint } }
      : {}),
  });
}

/** The home's public key, without ever creating one: MAOS_LEDGER_KEY's public half, else keys/ledger.vkey. */
function homeVerifierKey(app: Pick<App, "env" | "home">): { text: string; source: string } {
  if (app.env.MAOS_LEDGER_KEY) {
    return { text: ledgerKeyFromString(app.env.MAOS_LEDGER_KEY).verifierKey, source: "MAOS_LEDGER_KEY" };
  }
  const vkey = path.join(app.home, "keys", LEDGER_VKEY_FILE);
  if (!existsSync(vkey)) {
    throw new CodexError("NOT_FOUND", `no public key at ${vkey}`, {
      hint: "pass --key FILE with the ledger's public key (ledger.vkey), published out of band",
    });
  }
  return { text: readKeyFile(vkey), source: vkey };
}

function readNoteFile(file: string): string {
  if (!existsSync(file)) {
    throw new CodexError("NOT_FOUND", `no checkpoint file at ${file}`, {
      hint: "pass --checkpoint FILE holding a signed note as `maos ledger checkpoint` prints it",
    });
  }
  // A note pasted from chat may have lost its final newline, gained blank lines around it or \r\n; the
  // signed text is LF-only and ends with exactly one newline after the last signature line.
  const text = readFileSync(file, "utf8").replace(/\r\n/g, "\n");
  return `${text.replace(/^\s*\n/, "").trimEnd()}\n`;
}

/** `ledger proof inclusion SEQ [--size N]`. */
export function inclusionProof(
  app: Pick<App, "ledgerPath">,
  seq: number,
  opts: { size?: number; db?: string },
): InclusionProofJson {
  return inclusionFromDb(ledgerFile(app, opts.db), seq, opts.size);
}

/** `ledger proof consistency OLD NEW`. */
export function consistency(
  app: Pick<App, "ledgerPath">,
  oldSize: number,
  newSize: number,
  opts: { db?: string },
): ConsistencyProofJson {
  return consistencyFromDb(ledgerFile(app, opts.db), oldSize, newSize);
}

/** `ledger checkpoint`: the latest signed note. */
export function latestCheckpoint(app: Pick<App, "ledgerPath">, opts: { db?: string } = {}): CheckpointJson {
  const c = latestCheckpointFromDb(ledgerFile(app, opts.db));
  if (!c) {
    throw new CodexError("NOT_FOUND", "the ledger has signed no checkpoint yet", {
      hint: "run a stack (or start the bot: every heartbeat signs one), then ask again",
    });
  }
  return c;
}

function ledgerFile(app: Pick<App, "ledgerPath">, db: string | undefined): string {
  if (db) {
    if (!existsSync(db))
      throw new CodexError("NOT_FOUND", `no ledger at ${db}`, { hint: "pass --db FILE naming a ledger.db" });
    return path.resolve(db);
  }
  requireLedger(app);
  return app.ledgerPath();
}

export function verifyReply(r: AuditReport): Reply {
  if (!r.ok) {
    const text = r.firstBad
      ? `ledger BROKEN at seq ${r.firstBad.seq}: ${r.firstBad.reason}`
      : `custody BROKEN: ${r.failures.join("; ")}`;
    return {
      summary: text,
      isError: true,
      parts: [
        { kind: "header", text: "Ledger verification FAILED" },
        { kind: "text", text },
        {
          kind: "context",
          text: `${r.size} entries read, ${r.checkpointsChecked} signed checkpoints checked`,
        },
      ],
    };
  }
  return {
    summary: `ledger intact: ${r.size} entries, head ${r.head.hash.slice(0, 12)}`,
    parts: [
      { kind: "header", text: "Ledger intact" },
      {
        kind: "fields",
        fields: [
          { label: "Entries", value: String(r.size) },
          { label: "Head", value: `\`${r.head.hash}\` (seq ${r.head.seq})` },
          { label: "Merkle root", value: `\`${r.root}\`` },
          {
            label: "Signed checkpoints",
            value: `${r.checkpointsChecked} verified (${r.vaultCheckpoints} copies from the vault)`,
          },
        ],
      },
      {
        kind: "context",
        text:
          r.unattestedTail > 0
            ? `chain and Merkle root rebuilt from every row; the ${r.unattestedTail} newest entries are not yet covered by a checkpoint`
            : "chain and Merkle root rebuilt from every row; every entry is covered by a signed checkpoint",
      },
    ],
  };
}
