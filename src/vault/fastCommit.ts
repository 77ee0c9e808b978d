import { spawn } from "node:child_process";
import { appendFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CodexError } from "../core/CodexError.ts";
import { gitEnv } from "./gitClient.ts";
import {
  type ObjectFormat,
  parseTree,
  readObjects,
  SortedTree,
  serializeTree,
  type TreeEntry,
  writeLooseObject,
} from "./gitObjects.ts";
import { headFromFiles } from "./headFromFiles.ts";
import {
  indexDocs,
  readSplitIndex,
  type SplitIndex,
  splitSize,
  stageEntry,
  writeSplitIndex,
} from "./splitIndex.ts";
import { AUTHOR_EMAIL, AUTHOR_NAME } from "./vaultConfig.ts";

/**
 * Vault commits without `git add` and `git commit`, whose cost grows with the vault (both read and
 * rewrite an index of every sealed file; commit also stats them all). Objects are written loose, the
 * root tree is the index's documents plus HEAD's runs/ tree with the new folder, the commit is signed
 * with ssh-keygen as git signs it, the branch moves through its lock file, and the split index gains
 * the new entries. What a seal costs then depends on the run, not on the history (except the runs/ tree
 * itself, one entry per run). Anything unusual (no split index, a detached or missing HEAD) returns
 * undefined and the caller commits through git.
 */

/** Entries beyond the shared index before it is rewritten (each seal adds ~14). */
export const CONSOLIDATE_AT = 3000;

export interface FastResult {
  commit: string;
  /** False when the tree matched HEAD's and no commit was made (`commit` is HEAD). */
  committed: boolean;
  /** The split index has grown enough that it should be folded into a new shared index. */
  consolidate: boolean;
}

interface HeadTrees {
  commit: string;
  rootOid: string;
  root: Map<string, TreeEntry>;
  runs: SortedTree;
}

export class FastCommits {
  readonly #dir: string;
  readonly #gitDir: string;
  readonly #format: ObjectFormat;
  readonly #signingKey: string | undefined;
  /** HEAD's trees as this process last wrote or read them. */
  #head: HeadTrees | undefined;
  /**
   * Trees written during the current commit, so a subtree met twice is written once. Cleared per
   * commit: a tree left unreachable by a failed commit may be pruned by gc later, so no memory of it
   * may outlive the commit.
   */
  readonly #known = new Set<string>();

  constructor(dir: string, gitDir: string, format: ObjectFormat, signingKey: string | undefined) {
    this.#dir = dir;
    this.#gitDir = gitDir;
    this.#format = format;
    this.#signingKey = signingKey;
  }

  /** Stages documents (paths outside runs/, as they are in the working tree); false if git must. */
  async stage(docs: string[]): Promise<boolean> {
    const index = await readSplitIndex(this.#gitDir, this.#format);
    if (!index) return false;
    await this.#stageDocs(index, docs);
    await writeSplitIndex(this.#gitDir, this.#format, index);
    return true;
  }

  /**
   * Commits the index's documents plus `docs` (staged first) and, when given, a new run folder (its
   * files already written under runs/). With `run` absent and nothing changed, makes no commit.
   */
  async commit(o: {
    docs: string[];
    run?: { relPath: string; files: { path: string; bytes: Uint8Array }[] };
    subject: string;
    body?: string;
    seconds: number;
    beforeBranch?: () => Promise<void>;
  }): Promise<FastResult | undefined> {
    this.#known.clear();
    const index = await readSplitIndex(this.#gitDir, this.#format);
    const head = await headFromFiles(this.#gitDir);
    const ref = await this.#branchRef();
    if (!index || !head || !ref) return undefined;
    const trees = await this.#headTrees(head);

    await this.#stageDocs(index, o.docs);
    const root = await this.#buildTree(indexDocs(index).map((e) => ({ ...e, mode: e.mode.toString(8) })));
    let runs = trees.runs;
    if (o.run) {
      const folder = o.run.relPath.slice("runs/".length);
      const files: { path: string; mode: string; oid: string }[] = [];
      for (const f of o.run.files) {
        const oid = await writeLooseObject(this.#gitDir, this.#format, "blob", f.bytes);
        const path = `${o.run.relPath}/${f.path}`;
        stageEntry(
          index,
          this.#format,
          { path, mode: 0o100644, oid },
          await stat(join(this.#dir, path), { bigint: true }),
        );
        files.push({ path: f.path, mode: "100644", oid });
      }
      runs = runs.with({
        mode: "40000",
        name: folder,
        oid: await this.#writeTree(await this.#buildTree(files)),
      });
    }
    const headRuns = trees.root.get("runs");
    if (o.run) {
      const body = runs.serialize();
      const oid = await writeLooseObject(this.#gitDir, this.#format, "tree", body, this.#known);
      root.set("runs", { mode: "40000", name: "runs", oid });
    } else if (headRuns) {
      root.set("runs", headRuns);
    }
    const rootOid = await this.#writeTree(root);

    if (rootOid === trees.rootOid && !o.run) {
      await writeSplitIndex(this.#gitDir, this.#format, index);
      return { commit: head, committed: false, consolidate: splitSize(index) > CONSOLIDATE_AT };
    }
    const who = `${AUTHOR_NAME} <${AUTHOR_EMAIL}> ${o.seconds} +0000`;
    const headers = `tree ${rootOid}\nparent ${head}\nauthor ${who}\ncommitter ${who}\n`;
    const message = cleanMessage(o.body ? `${o.subject}\n\n${o.body}` : o.subject);
    const unsigned = `${headers}\n${message}`;
    const text = this.#signingKey
      ? `${headers}gpgsig ${(await sshSign(this.#signingKey, unsigned)).trimEnd().split("\n").join("\n ")}\n\n${message}`
      : unsigned;
    const commit = await writeLooseObject(this.#gitDir, this.#format, "commit", Buffer.from(text, "utf8"));
    await o.beforeBranch?.();
    await this.#moveBranch(ref, head, commit, `${who}\tcommit: ${o.subject}`);
    this.#head = { commit, rootOid, root, runs };
    // After the branch moved, so the commit stands whatever happens here: an index left behind HEAD
    // (a stop in between, another git holding index.lock) is reset to HEAD by the caller or recoverIndex.
    const indexWritten = await writeSplitIndex(this.#gitDir, this.#format, index).then(
      () => true,
      () => false,
    );
    return {
      commit,
      committed: true,
      consolidate: !indexWritten || splitSize(index) > CONSOLIDATE_AT,
    };
  }

  async #stageDocs(index: SplitIndex, docs: string[]): Promise<void> {
    for (const path of docs) {
      const abs = join(this.#dir, path);
      const bytes = await readFile(abs);
      const oid = await writeLooseObject(this.#gitDir, this.#format, "blob", bytes);
      stageEntry(index, this.#format, { path, mode: 0o100644, oid }, await stat(abs, { bigint: true }));
    }
  }

  /** HEAD's root and runs/ trees: remembered from this process's last commit, else read (one git process). */
  async #headTrees(head: string): Promise<HeadTrees> {
    if (this.#head?.commit === head) return this.#head;
    const got = await readObjects(this.#dir, gitEnv(), [`${head}^{tree}`, `${head}:runs`]);
    const root = got.get(`${head}^{tree}`);
    if (root?.type !== "tree") {
      throw new CodexError("VAULT_BROKEN", `the vault's HEAD ${head} has no readable tree`, {
        hint: "run git fsck in MAOS_HOME/vault",
      });
    }
    const runsObj = got.get(`${head}:runs`);
    const runs = runsObj?.type === "tree" ? SortedTree.parse(runsObj.body, this.#format) : SortedTree.empty();
    this.#head = { commit: head, rootOid: root.oid, root: parseTree(root.body, this.#format), runs };
    return this.#head;
  }

  /** Top-level entries for files at nested paths, their subtrees written. */
  async #buildTree(files: { path: string; mode: string; oid: string }[]): Promise<Map<string, TreeEntry>> {
    const top = new Map<string, TreeEntry>();
    const dirs = new Map<string, { path: string; mode: string; oid: string }[]>();
    for (const f of files) {
      const slash = f.path.indexOf("/");
      if (slash < 0) {
        top.set(f.path, { mode: f.mode, name: f.path, oid: f.oid });
        continue;
      }
      const name = f.path.slice(0, slash);
      const list = dirs.get(name) ?? [];
      dirs.set(name, list);
      list.push({ ...f, path: f.path.slice(slash + 1) });
    }
    for (const [name, list] of dirs) {
      top.set(name, { mode: "40000", name, oid: await this.#writeTree(await this.#buildTree(list)) });
    }
    return top;
  }

  async #writeTree(entries: Map<string, TreeEntry>): Promise<string> {
    const body = serializeTree(entries.values());
    const oid = await writeLooseObject(this.#gitDir, this.#format, "tree", body, this.#known);
    return oid;
  }

  /** `refs/heads/<branch>` HEAD points at, or undefined for a detached HEAD. */
  async #branchRef(): Promise<string | undefined> {
    const head = (await readFile(join(this.#gitDir, "HEAD"), "utf8").catch(() => "")).trim();
    return head.startsWith("ref: refs/heads/") ? head.slice(5) : undefined;
  }

  /** Moves the branch from `from` to `to` through git's lock file, and logs it as git commit does. */
  async #moveBranch(ref: string, from: string, to: string, logTail: string): Promise<void> {
    const file = join(this.#gitDir, ref);
    const lock = `${file}.lock`;
    await mkdir(dirname(file), { recursive: true });
    try {
      await lockFile(lock, `${to}\n`);
    } catch (cause) {
      throw new CodexError(
        "VAULT_BROKEN",
        `${lock} exists: another git command is updating the vault's branch`,
        {
          hint: `if no git command runs in ${this.#dir}, delete ${lock}`,
          cause,
        },
      );
    }
    try {
      if ((await headFromFiles(this.#gitDir)) !== from) {
        throw new CodexError("VAULT_BROKEN", `the vault's ${ref} moved during a commit`, {
          hint: "another program committed in MAOS_HOME/vault outside the vault lock; check git log there",
        });
      }
      await rename(lock, file);
    } catch (err) {
      await rm(lock, { force: true });
      throw err;
    }
    const line = `${from} ${to} ${logTail}\n`;
    for (const log of [join(this.#gitDir, "logs", ref), join(this.#gitDir, "logs", "HEAD")]) {
      // The reflog is a convenience (git log -g); the branch has moved, so a failure here is not one.
      await mkdir(dirname(log), { recursive: true }).catch(() => {});
      await appendFile(log, line).catch(() => {});
    }
  }
}

/**
 * Creates a git lock file, retrying for up to 2 s while another git holds it (a background `git gc`
 * packs refs and expires reflogs under the branch's lock), as git's own core.filesRefLockTimeout does.
 */
async function lockFile(path: string, text: string): Promise<void> {
  for (let waited = 0; ; waited += 20) {
    try {
      await writeFile(path, text, { flag: "wx" });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || waited >= 2_000) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** git commit's default cleanup of a -m message: no trailing spaces, no runs of blank lines, one final newline. */
function cleanMessage(text: string): string {
  const lines = text.split("\n").map((l) => l.trimEnd());
  const out: string[] = [];
  for (const l of lines) if (!(l === "" && (out.length === 0 || out[out.length - 1] === ""))) out.push(l);
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return `${out.join("\n")}\n`;
}

/** An SSH signature in git's namespace over `payload` (what `git commit -S` with gpg.format=ssh makes). */
function sshSign(keyPath: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("ssh-keygen", ["-Y", "sign", "-n", "git", "-f", keyPath], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && out.includes("BEGIN SSH SIGNATURE")) resolve(out);
      else
        reject(
          new CodexError(
            "VAULT_BROKEN",
            `ssh-keygen could not sign a vault commit: ${err.trim() || `exit ${code}`}`,
            {
              hint: "check MAOS_VAULT_SIGNING_KEY (an unencrypted SSH private key, chmod 600)",
            },
          ),
        );
    });
    child.stdin.end(payload);
  });
}
