import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { CodexError } from "../core/CodexError.ts";
import { utcIso } from "../core/timestamps.ts";
import type { LedgerEntry } from "../ledger/Ledger.ts";
import { openNote, signNote } from "../ledger/signedNote.ts";
import { headFromFiles } from "../vault/headFromFiles.ts";
import type { AuditDeps } from "./AuditDeps.ts";
import { gitRead, objectIds } from "./gitRead.ts";
import {
  checkSealedRuns,
  type SealedRecord,
  VAULT_KEY_EVENT,
  type VaultCustodyProblem,
  vaultCheckpointFiles,
} from "./vaultCustody.ts";
import type { FullPassResult } from "./vaultFullPass.ts";

type Deps = Pick<AuditDeps, "home" | "clock" | "ledger" | "ledgerKey" | "ledgerPath" | "state" | "vault">;

/** state.db key of the vault's verified mark: the last vault HEAD and RUN_SEALED entry found intact. */
export const VAULT_MARK_KEY = "vault.verifiedMark";
/** A full pass at least this often (injected clock), besides the first check and after any failure. */
export const VAULT_FULL_PASS_MS = 60 * 60_000;
const MARK_HEADER = "maos-codex vault mark v1";
/** Commits of the verified history kept in the mark: a seal recorded late is found among them. */
const RECENT = 512;
const SIGNER_EMAIL = "maos-codex@localhost";

/** What a check established; signed with the ledger key and kept in state.db. */
interface Mark {
  /** The vault HEAD verified. */
  head: string;
  /** Every RUN_SEALED entry up to this seq was verified against the vault. */
  sealedSeq: number;
  /** The last VAULT_SIGNING_KEY entry then (-1: none); a new one means a full pass. */
  keySeq: number;
  /** RUN_SEALED entries verified. */
  runs: number;
  /**
   * Commits must carry a good signature by a recorded key: one is recorded, a seal was made under it, and
   * the last record is not a switch to unsigned commits (publicKey null).
   */
  signing: boolean;
  /** The newest commits of head's history, newest first. */
  recent: string[];
  /** The largest-size signed checkpoint note met in the vault, for the ledger check. */
  note: string | null;
  /** When the last full pass ran (UTC ISO). */
  fullAt: string;
}

export interface VaultCheck {
  ok: boolean;
  /** RUN_SEALED entries verified against the vault. */
  runs: number;
  head: string | null;
  /** "unchanged": nothing new since the mark; "incremental": only what is new was read; "full": all. */
  mode: "unchanged" | "incremental" | "full";
  fullReason?: string;
  problems: VaultCustodyProblem[];
}

/**
 * The vault's custody for heartbeats, checked incrementally: each check reads only what changed since
 * the last verified point (the mark: a vault commit and a ledger seq, signed with the ledger key and
 * kept in state.db, so a restart goes on from it). Committed state only: a run folder HEAD does not
 * have (a seal in progress, here or in another process) is never looked at, and nothing waits for the
 * vault lock.
 *
 * A check with HEAD and the RUN_SEALED entries unchanged costs a file read and a ledger range query. One
 * with new commits lists them with `git log mark..HEAD --name-status` (one process) and requires:
 * - the mark's commit is in HEAD's history (a reset, an amend or a rebase breaks it);
 * - no new commit modifies, deletes or adds to a run folder that existed before it (seals only add new
 *   folders): a rewritten or removed sealed run is caught by the commit that did it;
 * - with a vault signing key recorded, every new commit is signed by a recorded key.
 * Each new RUN_SEALED entry is then checked as checkVaultCustody does (its folder at its commit and in
 * HEAD, SEAL.json, every file's hash). A full pass (checkVaultCustody over every entry, and git status
 * over the committed run folders' working tree) runs in a worker thread, so the event loop never waits
 * for it: on the first check without a mark, hourly, after a failure and when the signing key changes.
 * Not seen until a full pass: a working-tree edit of a committed run folder that is never committed.
 */
export class VaultWatch {
  readonly #app: Deps;
  /** undefined: not loaded yet; null: none (or not valid). */
  #mark: Mark | null | undefined;
  #failed = false;
  #noteGiven = false;

  constructor(app: Deps) {
    this.#app = app;
  }

  /**
   * Signed checkpoint notes of the vault for the ledger check: the working tree's checkpoints/ files
   * (each newer than any check before it was written), and on the first call the largest note a vault
   * check met. Not every SEAL.json's: that grew with the runs, and a note older than what the ledger
   * check already verified makes it start over with a full pass.
   */
  async notes(): Promise<string[]> {
    const mark = await this.#load();
    const vaultDir = join(this.#app.home, "vault");
    const out: string[] = mark?.note && !this.#noteGiven ? [mark.note] : [];
    this.#noteGiven = true;
    // The working tree's checkpoints/ (staged, not yet committed): a few small files.
    const dir = join(vaultDir, "checkpoints");
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const text = await readFile(join(dir, name), "utf8").catch(() => undefined);
      if (text !== undefined) out.push(text);
    }
    return [...new Set(out)];
  }

  /** Checks what changed since the mark (or everything, see the class comment). */
  async check(opts: { full?: string } = {}): Promise<VaultCheck> {
    const app = this.#app;
    const mark = await this.#load();
    const vault = await app.vault();
    // The ledger first, then the vault: a RUN_SEALED entry is written after its commit is in the vault
    // (pushed, with replicas), so every entry up to upTo has its commit in what is read after it.
    const upTo = app.ledger().sync().head().seq;
    if (vault.shared) {
      try {
        await vault.sync();
      } catch (err) {
        // Other replicas' seals cannot be checked without the remote; the mark stays where it is.
        const reason = err instanceof Error ? err.message : String(err);
        return {
          ok: false,
          runs: mark?.runs ?? 0,
          head: null,
          mode: "unchanged",
          problems: [{ subject: "MAOS_VAULT_REMOTE", reason }],
        };
      }
    }
    const head = (await headFromFiles(vault.gitDir)) ?? (await vault.headCommit()) ?? null;
    const since = mark ? app.clock.now().getTime() - Date.parse(mark.fullAt) : 0;
    const full =
      opts.full ??
      (mark === null
        ? "no verified mark yet"
        : this.#failed
          ? "the last check failed"
          : !(since < VAULT_FULL_PASS_MS)
            ? "hourly"
            : undefined);
    if (full !== undefined || mark === null || head === null)
      return this.#full(full ?? "no vault HEAD", upTo);

    const ledger = app.ledger();
    const keys = ledger
      .query({ eventType: VAULT_KEY_EVENT, afterSeq: mark.keySeq })
      .filter((e) => e.seq <= upTo);
    if (keys.length > 0) return this.#full("the vault signing key changed", upTo);
    const sealedEntries = ledger
      .query({ eventType: "RUN_SEALED", afterSeq: mark.sealedSeq })
      .filter((e) => e.seq <= upTo);
    const sealed = sealedEntries.flatMap(toRecord);
    if (head === mark.head && sealedEntries.length === 0) {
      return { ok: true, runs: mark.runs, head, mode: "unchanged", problems: [] };
    }
    if (!mark.signing && sealed.length > 0 && this.#signingKeyInForce()) {
      return this.#full("the first seal under a vault signing key", upTo);
    }

    const problems: VaultCustodyProblem[] = [];
    const newCommits = head === mark.head ? [] : await this.#newCommits(vault.dir, mark, head, problems);
    const known = new Set([...newCommits, ...mark.recent, mark.head]);
    const checkpoints: string[] = [];
    if (problems.length === 0) {
      await checkSealedRuns(
        vault.dir,
        head,
        sealed,
        async (c) => known.has(c) || (await isAncestor(vault.dir, c, head)),
        problems,
        checkpoints,
      );
    }
    if (problems.length > 0) {
      this.#failed = true;
      return { ok: false, runs: mark.runs + sealed.length, head, mode: "incremental", problems };
    }
    if (newCommits.length > 0) checkpoints.push(...(await vaultCheckpointFiles(vault.dir, head)));
    const next: Mark = {
      ...mark,
      head,
      sealedSeq: Math.max(mark.sealedSeq, ...sealedEntries.map((e) => e.seq)),
      runs: mark.runs + sealed.length,
      recent: [...newCommits, ...mark.recent].slice(0, RECENT),
      note: largestNote([...(mark.note ? [mark.note] : []), ...checkpoints]),
    };
    await this.#save(next);
    return { ok: true, runs: next.runs, head, mode: "incremental", problems: [] };
  }

  /**
   * The commits in HEAD's history after the mark's, newest first, with their changed paths and (when
   * commits must be signed) signature status; pushes what breaks custody onto `problems`.
   */
  async #newCommits(
    vaultDir: string,
    mark: Mark,
    head: string,
    problems: VaultCustodyProblem[],
  ): Promise<string[]> {
    const signers = mark.signing ? allowedSigners(this.#keysRecorded()) : undefined;
    try {
      const log = await gitRead(
        vaultDir,
        [
          ...(signers ? ["-c", `gpg.ssh.allowedSignersFile=${signers.file}`] : []),
          "log",
          "--topo-order",
          "--no-renames",
          "--name-status",
          "-z",
          `--format=%x01%H %P%x02${signers ? "%G?" : "-"}`,
          head,
          `^${mark.head}`,
        ],
        { allowFail: true },
      );
      if (log.code !== 0) {
        problems.push({
          subject: mark.head,
          reason: `vault history rewritten: the last verified commit ${mark.head.slice(0, 12)} is not in HEAD's history (${log.stderr.split("\n")[0] ?? ""})`,
        });
        return [];
      }
      const commits = parseLog(log.stdout.toString("utf8"));
      if (!commits.some((c) => c.parents.includes(mark.head))) {
        problems.push({
          subject: mark.head,
          reason: `vault history rewritten: the last verified commit ${mark.head.slice(0, 12)} is not in HEAD's history (reset, amended or rebased)`,
        });
        return [];
      }
      // A path added under runs/<folder>/ is fine only if that folder did not exist before the commit.
      const added: { commit: string; parent: string; folder: string }[] = [];
      for (const c of commits) {
        if (signers && c.signature !== "G") {
          problems.push({
            subject: c.id,
            reason: `vault commit ${c.id.slice(0, 12)} is not signed by a vault key the ledger recorded (git %G? = ${c.signature})`,
          });
        }
        const folders = new Set<string>();
        for (const { status, path } of c.changes) {
          const [top, folder] = path.split("/");
          if (top !== "runs" || !folder) continue;
          const subject = `runs/${folder}`;
          if (status === "D") {
            problems.push({
              subject,
              reason: `sealed run missing from the vault: ${path} was deleted by commit ${c.id.slice(0, 12)}`,
            });
          } else if (status !== "A") {
            problems.push({
              subject,
              reason: `sealed run rewritten: ${path} was changed by commit ${c.id.slice(0, 12)}`,
            });
          } else if (!folders.has(folder)) {
            folders.add(folder);
            if (c.parents[0]) added.push({ commit: c.id, parent: c.parents[0], folder });
          }
        }
      }
      const before = await objectIds(
        vaultDir,
        added.map((a) => `${a.parent}:runs/${a.folder}`),
      );
      for (const a of added) {
        if (before.get(`${a.parent}:runs/${a.folder}`) !== undefined) {
          problems.push({
            subject: `runs/${a.folder}`,
            reason: `sealed run rewritten: commit ${a.commit.slice(0, 12)} adds files to runs/${a.folder}, sealed before it`,
          });
        }
      }
      return commits.map((c) => c.id);
    } finally {
      if (signers) rmSync(signers.dir, { recursive: true, force: true });
    }
  }

  async #full(reason: string, upTo: number): Promise<VaultCheck> {
    const app = this.#app;
    const vault = await app.vault();
    const result = await runFullPass({
      vaultDir: vault.dir,
      ledgerPath: app.ledgerPath(),
      upTo,
    });
    const problems = [...result.report.problems, ...result.workingTree];
    const ok = problems.length === 0;
    this.#failed = !ok;
    if (ok && result.report.head) {
      await this.#save({
        head: result.report.head,
        sealedSeq: result.sealedSeq,
        keySeq: result.keySeq,
        runs: result.report.runs,
        signing: result.signing,
        recent: result.recent.slice(0, RECENT),
        note: largestNote(result.report.checkpoints),
        fullAt: utcIso(app.clock.now()),
      });
    }
    return {
      ok,
      runs: result.report.runs,
      head: result.report.head,
      mode: "full",
      fullReason: reason,
      problems,
    };
  }

  /** The last VAULT_SIGNING_KEY record names a key (null: commits are unsigned from then on). */
  #signingKeyInForce(): boolean {
    const last = this.#app.ledger().query({ eventType: VAULT_KEY_EVENT, newestFirst: true, limit: 1 })[0];
    return typeof (last?.payload as { publicKey?: unknown } | null)?.publicKey === "string";
  }

  #keysRecorded(): string[] {
    const keys = this.#app.ledger().query({ eventType: VAULT_KEY_EVENT });
    return [
      ...new Set(
        keys.flatMap((e) => {
          const k = (e.payload as { publicKey?: unknown } | null)?.publicKey;
          return typeof k === "string" ? [k] : [];
        }),
      ),
    ];
  }

  /** The mark from state.db, when its signature by the ledger key holds; else null (a full pass). */
  async #load(): Promise<Mark | null> {
    if (this.#mark !== undefined) return this.#mark;
    const stored = await this.#app.state().getValue<{ note?: unknown }>(VAULT_MARK_KEY);
    this.#mark = null;
    if (typeof stored?.note === "string") {
      try {
        const opened = openNote(stored.note, [this.#app.ledgerKey().verifier]);
        const [header, body] = opened.text.split("\n");
        if (header === MARK_HEADER && body) this.#mark = JSON.parse(body) as Mark;
      } catch {
        this.#mark = null;
      }
    }
    return this.#mark;
  }

  async #save(mark: Mark): Promise<void> {
    this.#mark = mark;
    const note = signNote(`${MARK_HEADER}\n${JSON.stringify(mark)}\n`, this.#app.ledgerKey().signer);
    await this.#app.state().setValue(VAULT_MARK_KEY, { note });
  }
}

function toRecord(e: LedgerEntry): SealedRecord[] {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  if (typeof p.vaultPath !== "string" || typeof p.commit !== "string" || typeof p.sealRoot !== "string") {
    return [];
  }
  return [
    {
      seq: e.seq,
      runId: typeof p.runId === "string" ? p.runId : "",
      vaultPath: p.vaultPath,
      commit: p.commit,
      sealRoot: p.sealRoot,
    },
  ];
}

interface LoggedCommit {
  id: string;
  parents: string[];
  signature: string;
  changes: { status: string; path: string }[];
}

/** `git log -z --name-status --format=%x01%H %P%x02%G?` output, one record per commit. */
function parseLog(text: string): LoggedCommit[] {
  const out: LoggedCommit[] = [];
  for (const record of text.split("\x01").slice(1)) {
    const sep = record.indexOf("\x02");
    const [id = "", ...parents] = record.slice(0, sep).split(" ").filter(Boolean);
    const rest = record.slice(sep + 1);
    const nl = rest.indexOf("\n");
    const signature = (nl < 0 ? rest : rest.slice(0, nl)).replace(/\0+$/, "");
    const fields = (nl < 0 ? "" : rest.slice(nl + 1))
      .split("\0")
      .filter((f, i, a) => f !== "" || i < a.length - 1);
    const changes: { status: string; path: string }[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = (fields[i] ?? "").replace(/^\n+/, "");
      const path = fields[i + 1] ?? "";
      if (status !== "" && path !== "") changes.push({ status: status.slice(0, 1), path });
    }
    out.push({ id, parents, signature, changes });
  }
  return out;
}

async function isAncestor(vaultDir: string, commit: string, head: string): Promise<boolean> {
  const r = await gitRead(vaultDir, ["merge-base", "--is-ancestor", commit, head], { allowFail: true });
  return r.code === 0;
}

function allowedSigners(keys: readonly string[]): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "maos-signers-"));
  const file = join(dir, "allowed_signers");
  writeFileSync(file, keys.map((k) => `${SIGNER_EMAIL} namespaces="git" ${k}\n`).join(""));
  return { dir, file };
}

/** The note with the largest ledger size on its second line. */
function largestNote(notes: readonly string[]): string | null {
  let best: { note: string; size: number } | null = null;
  for (const note of notes) {
    const size = Number(note.split("\n")[1]);
    if (Number.isSafeInteger(size) && (best === null || size > best.size)) best = { note, size };
  }
  return best?.note ?? null;
}

/** The full pass in a worker thread: its git processes and hashing never hold this event loop. */
function runFullPass(input: { vaultDir: string; ledgerPath: string; upTo: number }): Promise<FullPassResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./vaultFullPassWorker.ts", import.meta.url), { workerData: input });
    worker.once("message", (m: { ok: true; result: FullPassResult } | { ok: false; error: string }) => {
      if (m.ok) resolve(m.result);
      else
        reject(
          new CodexError("VAULT_BROKEN", `the vault's full custody pass failed: ${m.error}`, {
            hint: "check the vault's git repository under MAOS_HOME/vault and the ledger under MAOS_HOME",
          }),
        );
      void worker.terminate();
    });
    worker.once("error", (err) =>
      reject(
        new CodexError("VAULT_BROKEN", `the vault's full custody pass failed: ${err.message}`, {
          cause: err,
        }),
      ),
    );
  });
}
