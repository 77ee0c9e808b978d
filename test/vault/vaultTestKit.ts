import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "vault");

/** A fresh folder under the OS temp dir, and a function that removes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `maos-vault-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Plain git, independent of the code under test; GIT_* from the caller's environment removed. */
export function git(dir: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) env[k] = v;
  return execFileSync("git", args, { cwd: dir, env, encoding: "utf8" });
}

/** The outputs of one marketing_ops run, as the executor passes them to sealRun. */
export function sampleRunFiles(): Record<string, string | Uint8Array> {
  return {
    "agent_strategist.md": fixture("agent_strategist.md"),
    "agent_copywriter.md": fixture("agent_copywriter.md"),
    "agent_reviewer.md": fixture("agent_reviewer.md"),
    "run.json": fixture("run.json"),
    "codex_evaluation.json": fixture("codex_evaluation.json"),
    "codex_digest_report.md": fixture("codex_digest_report.md"),
  };
}

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

/** A ledger state as the executor would pass it; the checkpoint is a signed note of `size` entries. */
export function ledgerState(size: number): { size: number; head: string; root: string; checkpoint: string } {
  const head = createHash("sha256").update(`head ${size}`).digest("hex");
  const root = createHash("sha256").update(`root ${size}`).digest("hex");
  const rootB64 = Buffer.from(root, "hex").toString("base64");
  return {
    size,
    head,
    root,
    checkpoint: `maos-codex/ledger\n${size}\n${rootB64}\n\n— maos-codex AAAAtest${size}signature==\n`,
  };
}

/**
 * RFC 6962 Merkle tree hash written out again here, so the test checks the vault's root against an
 * implementation that shares no code with it.
 */
export function rfc6962Root(leaves: Buffer[]): string {
  const sha = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
  const mth = (items: Buffer[]): Buffer => {
    if (items.length === 0) return sha();
    if (items.length === 1) return sha(Buffer.from([0]), items[0] as Buffer);
    let k = 1;
    while (k * 2 < items.length) k *= 2;
    return sha(Buffer.from([1]), mth(items.slice(0, k)), mth(items.slice(k)));
  };
  return mth(leaves).toString("hex");
}
