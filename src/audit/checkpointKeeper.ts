import { existsSync } from "node:fs";
import path from "node:path";
import type { Checkpoint } from "../ledger/Ledger.ts";
import { VAULT_CHECKPOINT_FILE, type Vault } from "../vault/Vault.ts";
import type { AuditDeps } from "./AuditDeps.ts";
import { gitRead } from "./gitRead.ts";
import { VAULT_KEY_EVENT } from "./vaultCustody.ts";

type Deps = Pick<AuditDeps, "home" | "ledger" | "state" | "vault">;

/** state.db key of the newest signed checkpoint this home has seen: the high-water mark a start compares with. */
export const KNOWN_CHECKPOINT_KEY = "ledger.knownCheckpoint";

interface Known {
  size: number;
  root: string;
  note: string;
}

/**
 * Makes sure a signed checkpoint covers every entry written so far (signing one only when entries are
 * uncovered) and remembers it in state.db, which a rolled-back or truncated ledger.db cannot take back
 * with it. Awaited before a governed act's reply goes out (commands/dispatch.ts), so the act is covered.
 */
export async function coverLedger(app: Deps): Promise<Checkpoint> {
  const ledger = app.ledger();
  const latest = ledger.latestCheckpoint();
  const cp = latest !== undefined && latest.size === ledger.size() ? latest : await ledger.checkpoint();
  await remember(app, cp);
  return cp;
}

/** Keeps the newest checkpoint in state.db; a smaller one never replaces a larger one. */
export async function remember(app: Deps, cp: Checkpoint): Promise<void> {
  const state = app.state();
  const known = await state.getValue<Known>(KNOWN_CHECKPOINT_KEY);
  // Never lowered, nor replaced at the same size: a rolled-back ledger must not rewrite what was seen.
  if (known !== undefined && known.size >= cp.size) return;
  await state.setValue(KNOWN_CHECKPOINT_KEY, { size: cp.size, root: cp.root, note: cp.note } satisfies Known);
}

/** The signed checkpoints this home keeps outside ledger.db (state.db's high-water mark). */
export async function knownCheckpoints(app: Deps): Promise<string[]> {
  if (!existsSync(path.join(app.home, "state.db"))) return [];
  const known = await app.state().getValue<Known>(KNOWN_CHECKPOINT_KEY);
  return known ? [known.note] : [];
}

/**
 * Covers the ledger and puts the checkpoint into the vault: staged (so the next commit, a run's seal or
 * a heartbeat's, carries it) or, with `commitIfSealUnanchored`, committed at once when a RUN_SEALED entry
 * is not yet covered by a checkpoint committed in the vault. That closes the anchor chain: run N's seal
 * commit is named by RUN_SEALED, which is covered by a checkpoint committed with run N+1's seal or by the
 * next heartbeat.
 */
export async function anchorInVault(
  app: Deps,
  opts: { commitIfSealUnanchored?: boolean; ifVaultFree?: boolean } = {},
): Promise<{ checkpoint: Checkpoint; committed: string | null; deferred?: true }> {
  const cp = await coverLedger(app);
  if (!existsSync(path.join(app.home, "vault", ".git"))) return { checkpoint: cp, committed: null };
  const vault = await app.vault();
  if (opts.ifVaultFree) {
    // A seal (here or in another process) holds the vault: state.db already keeps the checkpoint, and
    // the next heartbeat puts it in the vault, rather than this one waiting for the seal.
    const done = await vault.ifFree(() => putInVault(app, vault, cp, opts));
    return done.ran ? done.value : { checkpoint: cp, committed: null, deferred: true };
  }
  return putInVault(app, vault, cp, opts);
}

/** anchorInVault's vault part, for the checkpoint `cp` already signed and kept in state.db. */
async function putInVault(
  app: Deps,
  vault: Vault,
  cp: Checkpoint,
  opts: { commitIfSealUnanchored?: boolean },
): Promise<{ checkpoint: Checkpoint; committed: string | null }> {
  if (opts.commitIfSealUnanchored) {
    const lastSeal = app.ledger().query({ eventType: "RUN_SEALED", newestFirst: true, limit: 1 })[0];
    const committedSize = await committedCheckpointSize(vault);
    if (lastSeal !== undefined && !(committedSize > lastSeal.seq)) {
      const commit = await vault.commitFiles(
        { [VAULT_CHECKPOINT_FILE]: cp.note },
        `checkpoint: ledger size ${cp.size} root ${cp.root.slice(0, 16)}`,
      );
      return { checkpoint: cp, committed: commit };
    }
  }
  await vault.stageFiles({ [VAULT_CHECKPOINT_FILE]: cp.note });
  return { checkpoint: cp, committed: null };
}

/** The size of the checkpoint committed in HEAD, per HEAD commit: one git process only when HEAD moved. */
const committedSizes = new WeakMap<Vault, { head: string; size: number }>();
async function committedCheckpointSize(vault: Vault): Promise<number> {
  const head = await vault.headCommit();
  const known = committedSizes.get(vault);
  if (head !== undefined && known?.head === head) return known.size;
  const r = await gitRead(vault.dir, ["cat-file", "blob", `${head ?? "HEAD"}:${VAULT_CHECKPOINT_FILE}`], {
    allowFail: true,
  });
  const size = r.code === 0 ? Number(r.stdout.toString("utf8").split("\n")[1]) : -1;
  if (head !== undefined) committedSizes.set(vault, { head, size });
  return size;
}

/**
 * Records the vault's signing key in the ledger when it differs from the last one recorded (or none
 * was), so the signed ledger vouches for the key that `maos vault verify` and the auditor check
 * commit signatures against. `publicKey: null` records that commits are unsigned from here on.
 */
export async function recordVaultKey(app: Deps): Promise<void> {
  const vault = await app.vault();
  const last = app.ledger().query({ eventType: VAULT_KEY_EVENT, newestFirst: true, limit: 1 })[0];
  const recorded = last ? ((last.payload as { publicKey?: string | null }).publicKey ?? null) : undefined;
  const current = vault.signingPublicKey;
  if (recorded === current || (recorded === undefined && current === null)) return;
  await app.ledger().append({
    eventType: VAULT_KEY_EVENT,
    level: "info",
    actor: "system:maos-codex",
    correlationId: "vault-signing-key",
    payload: {
      publicKey: current,
      ...(recorded !== undefined ? { previous: recorded } : {}),
      allowedSigners: current ? `maos-codex@localhost namespaces="git" ${current}` : null,
    },
  });
}
