/**
 * Shared by the auditor's-kit tests (the app's verifier, verify.sh, verify.py, the running bot): how an
 * auditor copies a live database, checksums of a folder (a verifier must write nothing), and the
 * "consistent rewrite" tamper of a sealed run.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sealRoot } from "../../src/vault/sealRoot.ts";

/** git in `dir`, without the GIT_* variables a test runner (or a git hook) may have set. */
export function gitIn(dir: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) env[k] = v;
  return execFileSync("git", args, { cwd: dir, env, encoding: "utf8" });
}

/** `sqlite3 ledger.db ".backup copy.db"`, as AUDITING.md tells an auditor to copy a live database. */
export function backup(from: string, to: string): void {
  execFileSync("sqlite3", [from, `.backup '${to}'`]);
}

/** The newest seq in the ledger at `dir`/ledger.db. */
export function lastSeq(dir: string): number {
  return Number(
    execFileSync("sqlite3", [join(dir, "ledger.db"), "SELECT max(seq) FROM ledger"], { encoding: "utf8" }),
  );
}

/** A harmless commit in the vault, signed with `key` (an SSH key the ledger never recorded). */
export function commitSignedBy(vault: string, key: string): void {
  writeFileSync(join(vault, "NOTES.md"), "harmless\n");
  gitIn(vault, "add", "NOTES.md");
  gitIn(vault, "-c", "gpg.format=ssh", "-c", `user.signingkey=${key}`, "commit", "-q", "-S", "-m", "notes");
}

/** Every file under `dir` with its mtime and SHA-256: equal before and after means nothing was written. */
export function checksums(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p, `${statSync(p).mtimeMs}:${createHash("sha256").update(readFileSync(p)).digest("hex")}`);
    }
  };
  walk(dir);
  return out;
}

/**
 * Appends a blocked claim to the newest sealed run's email, recomputes its SEAL.json entry and root
 * (a rewrite consistent within the vault) and stages it; the caller commits it as its case needs.
 * Returns the run's folder.
 */
export function rewriteNewestSealedRun(vault: string): string {
  const folder = gitIn(vault, "ls-tree", "--name-only", "HEAD", "runs/").trim().split("\n").pop() as string;
  const file = join(vault, folder, "agent_email_writer.md");
  writeFileSync(file, `${readFileSync(file, "utf8")}\nGuaranteed results, risk-free!\n`);
  const sealPath = join(vault, folder, "SEAL.json");
  const seal = JSON.parse(readFileSync(sealPath, "utf8"));
  const bytes = readFileSync(file);
  for (const f of seal.files) {
    if (f.path === "agent_email_writer.md") {
      f.sha256 = createHash("sha256").update(bytes).digest("hex");
      f.bytes = bytes.length;
    }
  }
  seal.root = sealRoot(seal.files);
  writeFileSync(sealPath, `${JSON.stringify(seal, null, 2)}\n`);
  gitIn(vault, "add", folder);
  return folder;
}
