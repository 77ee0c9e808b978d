import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CodexError } from "../../src/core/CodexError.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { findOnPath } from "../../src/vault/sshSigning.ts";
import { Vault } from "../../src/vault/Vault.ts";
import { git, ledgerState, sampleRunFiles, tempDir } from "./vaultTestKit.ts";

const sshKeygen = await findOnPath("ssh-keygen");
const skip = sshKeygen ? false : "needs environment: ssh-keygen (OpenSSH), to make SSH-signed commits";

describe("Vault with an SSH signing key", { skip }, () => {
  const tmp = tempDir("signing");
  after(() => tmp.cleanup());

  function freshKey(name: string): string {
    const key = join(tmp.dir, name);
    execFileSync(sshKeygen as string, ["-q", "-t", "ed25519", "-N", "", "-C", "vault-test", "-f", key]);
    return key;
  }

  it("signs every commit so git log shows %G? = G", async () => {
    const key = freshKey("id_ed25519");
    const clock = new ManualClock();
    const vault = await Vault.open({ dir: join(tmp.dir, "vault"), clock, signingKey: key });
    const sealed = await vault.sealRun({
      runId: "5e5e5e5e-signed",
      stack: "marketing_ops",
      startedAt: clock.now(),
      files: sampleRunFiles(),
      ledger: ledgerState(3),
    });
    const doc = await vault.commitFiles(
      { "checkpoints/000003.txt": ledgerState(3).checkpoint },
      "checkpoint: 3",
    );
    assert.equal(await vault.commitSignatureStatus(sealed.commit), "G");
    assert.equal(await vault.commitSignatureStatus(doc), "G");
    // Every commit, the initial README included, read by plain git.
    assert.deepEqual(git(vault.dir, "log", "--format=%G?").trim().split("\n"), ["G", "G", "G"]);
    assert.equal(git(vault.dir, "config", "--local", "gpg.format").trim(), "ssh");
  });

  it("leaves no trace of a seal whose commit fails (the key vanished after open)", async () => {
    const key = freshKey("id_vanishing");
    const clock = new ManualClock();
    const vault = await Vault.open({ dir: join(tmp.dir, "vanishing"), clock, signingKey: key });
    const head = await vault.headCommit();
    rmSync(key);
    rmSync(`${key}.pub`);
    await assert.rejects(
      vault.sealRun({
        runId: "7a7a7a7a-unsigned",
        stack: "marketing_ops",
        startedAt: clock.now(),
        files: sampleRunFiles(),
        ledger: ledgerState(4),
      }),
      (err: unknown) =>
        err instanceof CodexError &&
        err.code === "VAULT_BROKEN" &&
        /MAOS_VAULT_SIGNING_KEY/.test(err.hint ?? ""),
    );
    assert.equal(await vault.headCommit(), head);
    assert.equal(git(vault.dir, "status", "--porcelain"), "");
    assert.equal(existsSync(join(vault.dir, "runs", "20261121T150000Z-marketing_ops-7a7a7a7a")), false);
    assert.deepEqual(await vault.verify(), { ok: true, runs: [] });
  });

  it("reports N for an unsigned vault's commits", async () => {
    const vault = await Vault.open({ dir: join(tmp.dir, "unsigned"), clock: new ManualClock() });
    const head = await vault.headCommit();
    assert.ok(head);
    assert.equal(await vault.commitSignatureStatus(head), "N");
  });

  it("derives the public key when <key>.pub is absent", async () => {
    const key = freshKey("id_nopub");
    execFileSync("rm", [`${key}.pub`]);
    const vault = await Vault.open({
      dir: join(tmp.dir, "nopub"),
      clock: new ManualClock(),
      signingKey: key,
    });
    const head = await vault.headCommit();
    assert.ok(head);
    assert.equal(await vault.commitSignatureStatus(head), "G");
  });

  it("fails naming MAOS_VAULT_SIGNING_KEY when the key file is missing or readable by others", async () => {
    const missing = join(tmp.dir, "no-such-key");
    await assert.rejects(
      Vault.open({ dir: join(tmp.dir, "missing"), clock: new ManualClock(), signingKey: missing }),
      (err: unknown) => {
        assert.ok(err instanceof CodexError);
        assert.equal(err.code, "CONFIG_INVALID");
        assert.match(err.message, /no-such-key does not exist/);
        assert.match(err.hint ?? "", /MAOS_VAULT_SIGNING_KEY/);
        return true;
      },
    );
    const open = freshKey("id_open");
    chmodSync(open, 0o644);
    await assert.rejects(
      Vault.open({ dir: join(tmp.dir, "open-key"), clock: new ManualClock(), signingKey: open }),
      (err: unknown) => err instanceof CodexError && /chmod 600/.test(err.hint ?? ""),
    );
    const notKey = join(tmp.dir, "not-a-key");
    writeFileSync(notKey, "hello\n", { mode: 0o600 });
    writeFileSync(`${notKey}.pub`, "hello\n");
    await assert.rejects(
      Vault.open({ dir: join(tmp.dir, "not-key"), clock: new ManualClock(), signingKey: notKey }),
      (err: unknown) => err instanceof CodexError && /not an SSH key/.test(err.message),
    );
  });
});
