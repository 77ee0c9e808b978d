import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SimpleGit } from "simple-git";
import type { ObjectFormat } from "./gitObjects.ts";
import type { SshSigningKey } from "./sshSigning.ts";
import { runGit } from "./vaultFiles.ts";

export const AUTHOR_NAME = "MAOS Codex";
export const AUTHOR_EMAIL = "maos-codex@localhost";
const ALLOWED_SIGNERS_FILE = "maos_allowed_signers";
/** gc.auto: loose objects before `git gc --auto` packs them (git's default, 6,700, is ~500 runs). */
const GC_AUTO_LOOSE = 1000;

/** Sets the vault repository's local git config (author, signing, gc); writes only what differs. */
export async function configureVault(
  git: SimpleGit,
  gitDir: string,
  signing: SshSigningKey | undefined,
): Promise<ObjectFormat> {
  const want: [string, string][] = [
    ["user.name", AUTHOR_NAME],
    ["user.email", AUTHOR_EMAIL],
    // The files hashed into a seal must be the bytes committed, on every platform.
    ["core.autocrlf", "false"],
    // Explicitly off when unsigned, so a global commit.gpgsign=true cannot break vault commits.
    ["commit.gpgsign", signing ? "true" : "false"],
    // Loose objects are packed (by gcInBackground) once there are this many: a seal writes ~13.
    ["gc.auto", String(GC_AUTO_LOOSE)],
    ["gc.autoDetach", "false"],
    // The index lists every sealed file: split, a change rewrites only what changed since the last
    // shared index (see splitIndex.ts), in a version that module reads.
    ["core.splitIndex", "true"],
    ["index.version", "2"],
  ];
  if (signing) {
    const signers = join(gitDir, ALLOWED_SIGNERS_FILE);
    await writeFile(signers, `${AUTHOR_EMAIL} namespaces="git" ${signing.publicKey}\n`);
    want.push(
      ["gpg.format", "ssh"],
      ["user.signingkey", signing.keyPath],
      ["gpg.ssh.allowedsignersfile", signers],
    );
  }
  const current = new Map<string, string>();
  for (const entry of (
    await runGit(git, ["config", "--local", "--list", "-z"], "read the vault's git config")
  ).split("\0")) {
    const nl = entry.indexOf("\n");
    if (nl > 0) current.set(entry.slice(0, nl).toLowerCase(), entry.slice(nl + 1));
  }
  // Only what differs is written: reopening a configured vault spawns no extra git processes.
  for (const [key, value] of want) {
    if (current.get(key.toLowerCase()) !== value) {
      await runGit(git, ["config", "--local", key, value], `set ${key} in the vault's git config`);
    }
  }
  return current.get("extensions.objectformat") === "sha256" ? "sha256" : "sha1";
}
