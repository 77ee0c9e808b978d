import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gitRead } from "./gitRead.ts";
import type { SealedRecord, VaultCustodyProblem, VaultKeyRecord } from "./vaultCustody.ts";

/** The identity the vault's commits are signed as (the allowed-signers principal). */
const SIGNER_EMAIL = "maos-codex@localhost";

/**
 * With the keys the ledger recorded as an allowed-signers file (in a temporary folder outside the vault,
 * removed afterwards), every commit from the first seal made after the first key record up to HEAD must
 * show %G? = G.
 */
export async function checkSignatures(
  vaultDir: string,
  head: string,
  links: { sealed: readonly SealedRecord[]; keys: readonly VaultKeyRecord[] },
  problems: VaultCustodyProblem[],
  since?: string,
): Promise<number> {
  const firstKey = links.keys.find((k) => k.publicKey !== null);
  if (!firstKey) return 0;
  const firstSigned = links.sealed.find((r) => r.seq > firstKey.seq);
  if (!firstSigned) return 0;
  const keys = [...new Set(links.keys.flatMap((k) => (k.publicKey ? [k.publicKey] : [])))];
  const dir = mkdtempSync(join(tmpdir(), "maos-signers-"));
  try {
    const file = join(dir, "allowed_signers");
    writeFileSync(file, keys.map((k) => `${SIGNER_EMAIL} namespaces="git" ${k}\n`).join(""));
    const log = (
      await gitRead(vaultDir, [
        "-c",
        `gpg.ssh.allowedSignersFile=${file}`,
        "log",
        "--topo-order",
        "--format=%H %G?",
        head,
        ...(since ? [`^${since}`] : []),
      ])
    ).stdout
      .toString("utf8")
      .split("\n")
      .filter(Boolean);
    const walk: { commit: string; status: string }[] = [];
    for (const line of log) {
      const [commit = "", status = ""] = line.split(" ");
      walk.push({ commit, status });
      if (commit === firstSigned.commit) break;
    }
    const unsignedAllowed = signingOff(walk, links);
    walk.forEach(({ commit, status }, i) => {
      if (status !== "G" && !(status === "N" && unsignedAllowed[i])) {
        problems.push({
          subject: commit,
          reason: `vault commit ${commit.slice(0, 12)} is not signed by a vault key the ledger recorded (git %G? = ${status})`,
        });
      }
    });
    return walk.length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Which commits of the walk (newest first) may be unsigned: a VAULT_SIGNING_KEY record with
 * `publicKey: null` turns signing off from then on. A seal commit follows the key in force at its
 * RUN_SEALED; any other commit may be unsigned when the key in force at the nearest seal on either side
 * of it is null (after the newest seal: the newest record), since it was made between the two.
 */
function signingOff(
  walk: readonly { commit: string }[],
  links: { sealed: readonly SealedRecord[]; keys: readonly VaultKeyRecord[] },
): boolean[] {
  const keyAt = (seq: number) => links.keys.filter((k) => k.seq < seq).at(-1)?.publicKey;
  const sealSeq = new Map(links.sealed.map((r) => [r.commit, r.seq]));
  const off = (commit: string) => {
    const seq = sealSeq.get(commit);
    return seq === undefined ? undefined : keyAt(seq) === null;
  };
  const newer: boolean[] = [];
  let state = links.keys.at(-1)?.publicKey === null;
  for (const { commit } of walk) {
    state = off(commit) ?? state;
    newer.push(state);
  }
  const allowed = new Array<boolean>(walk.length).fill(false);
  let older = newer[walk.length - 1] ?? false;
  for (let i = walk.length - 1; i >= 0; i--) {
    const own = off((walk[i] as { commit: string }).commit);
    older = own ?? older;
    allowed[i] = own ?? (older || (newer[i] as boolean));
  }
  return allowed;
}
