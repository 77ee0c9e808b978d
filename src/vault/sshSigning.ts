import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import { promisify } from "node:util";
import { CodexError } from "../core/CodexError.ts";

const run = promisify(execFile);

export interface SshSigningKey {
  /** Absolute path of the private key, as git's `user.signingkey` wants it. */
  keyPath: string;
  /** `<type> <base64>` of the public half, for the allowed-signers file. */
  publicKey: string;
}

/**
 * Checks what git's SSH signing needs before the first commit tries it: ssh-keygen on PATH, the key
 * file present and private to its owner, and its public half (from `<key>.pub`, else derived).
 */
export async function prepareSshSigning(keyPath: string): Promise<SshSigningKey> {
  const abs = resolve(keyPath);
  const info = await stat(abs).catch(() => undefined);
  if (!info?.isFile()) {
    throw new CodexError("CONFIG_INVALID", `vault signing key ${abs} does not exist`, {
      hint: "set MAOS_VAULT_SIGNING_KEY to the path of an SSH private key (ssh-keygen -t ed25519 -f <path>), or unset it to commit unsigned",
    });
  }
  // ssh-keygen refuses to sign with a key others can read ("UNPROTECTED PRIVATE KEY FILE").
  if ((info.mode & 0o077) !== 0) {
    throw new CodexError("CONFIG_INVALID", `vault signing key ${abs} is readable by other users`, {
      hint: `run chmod 600 ${abs} (the key named by MAOS_VAULT_SIGNING_KEY)`,
    });
  }
  const sshKeygen = await findOnPath("ssh-keygen");
  if (!sshKeygen) {
    throw new CodexError("CONFIG_INVALID", "ssh-keygen is not installed, so vault commits cannot be signed", {
      hint: "install OpenSSH (ssh-keygen), or unset MAOS_VAULT_SIGNING_KEY to commit unsigned",
    });
  }
  return { keyPath: abs, publicKey: await publicHalf(abs, sshKeygen) };
}

async function publicHalf(keyPath: string, sshKeygen: string): Promise<string> {
  let text = await readFile(`${keyPath}.pub`, "utf8").catch(() => undefined);
  if (text === undefined) {
    try {
      // -P "" fails at once on a passphrase-protected key instead of prompting on a terminal.
      text = (await run(sshKeygen, ["-y", "-P", "", "-f", keyPath], { timeout: 10_000 })).stdout;
    } catch (cause) {
      throw new CodexError("CONFIG_INVALID", `cannot read the public half of vault signing key ${keyPath}`, {
        hint: "MAOS_VAULT_SIGNING_KEY must name an unencrypted SSH private key; put its public key beside it as <key>.pub",
        cause,
      });
    }
  }
  const [type, base64] = text.trim().split(/\s+/);
  if (!type || !base64 || !/^(ssh-|ecdsa-|sk-)/.test(type)) {
    throw new CodexError(
      "CONFIG_INVALID",
      `the public key for vault signing key ${keyPath} is not an SSH key`,
      {
        hint: `regenerate ${keyPath}.pub with ssh-keygen -y -f ${keyPath} (the key named by MAOS_VAULT_SIGNING_KEY)`,
      },
    );
  }
  return `${type} ${base64}`;
}

/** First executable named `name` on PATH, without spawning a shell. */
export async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}
