import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import { comparePaths, sealRoot } from "../vault/sealRoot.ts";
import { catFiles, gitRead, objectIds } from "./gitRead.ts";
import { checkSignatures } from "./vaultSignatures.ts";

/** What a RUN_SEALED entry says about the vault. */
export interface SealedRecord {
  seq: number;
  runId: string;
  vaultPath: string;
  commit: string;
  sealRoot: string;
}

/** A VAULT_SIGNING_KEY entry: the SSH public key vault commits are signed with from then on (null: unsigned). */
export interface VaultKeyRecord {
  seq: number;
  publicKey: string | null;
}

export interface VaultCustodyProblem {
  /** The ledger entry the problem is about, when there is one. */
  seq?: number;
  /** The run folder (`runs/…`) or commit concerned. */
  subject: string;
  reason: string;
}

export interface VaultCustodyReport {
  ok: boolean;
  head: string | null;
  /** Runs the ledger says were sealed, each checked in the vault. */
  runs: number;
  /** Commits whose signature was checked against the keys recorded in the ledger. */
  signedCommits: number;
  problems: VaultCustodyProblem[];
  /** Signed checkpoint notes the vault holds (SEAL.json copies and checkpoints/ files), for the ledger check. */
  checkpoints: string[];
}

export const VAULT_KEY_EVENT = "VAULT_SIGNING_KEY";

/**
 * The ledger's account of the vault, read from the hashed bytes (`canonical`) of RUN_SEALED and
 * VAULT_SIGNING_KEY entries. The caller verifies those bytes (verifyLedger) before trusting the result.
 */
export function readLedgerLinks(db: Database.Database): { sealed: SealedRecord[]; keys: VaultKeyRecord[] } {
  const rows = db
    .prepare(
      `SELECT seq, json_extract(canonical, '$.event_type'), json_extract(canonical, '$.payload') FROM ledger
       WHERE (event_type || '') IN ('RUN_SEALED', '${VAULT_KEY_EVENT}') ORDER BY seq`,
    )
    .raw()
    .all() as [number, string, string][];
  const sealed: SealedRecord[] = [];
  const keys: VaultKeyRecord[] = [];
  for (const [seq, type, payloadText] of rows) {
    let p: Record<string, unknown>;
    try {
      p = JSON.parse(payloadText) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (type === VAULT_KEY_EVENT) {
      keys.push({ seq, publicKey: typeof p.publicKey === "string" ? p.publicKey : null });
    } else if (
      typeof p.vaultPath === "string" &&
      typeof p.commit === "string" &&
      typeof p.sealRoot === "string"
    ) {
      sealed.push({
        seq,
        runId: typeof p.runId === "string" ? p.runId : "",
        vaultPath: p.vaultPath,
        commit: p.commit,
        sealRoot: p.sealRoot,
      });
    }
  }
  return { sealed, keys };
}

/** The same account from an open LedgerHandle (the bot's own connection), for the heartbeat. */
export function linksFromLedger(ledger: LedgerHandle): { sealed: SealedRecord[]; keys: VaultKeyRecord[] } {
  const sealed: SealedRecord[] = [];
  for (const e of ledger.query({ eventType: "RUN_SEALED" })) {
    const p = (e.payload ?? {}) as Record<string, unknown>;
    if (typeof p.vaultPath === "string" && typeof p.commit === "string" && typeof p.sealRoot === "string") {
      sealed.push({
        seq: e.seq,
        runId: typeof p.runId === "string" ? p.runId : "",
        vaultPath: p.vaultPath,
        commit: p.commit,
        sealRoot: p.sealRoot,
      });
    }
  }
  const keys = ledger.query({ eventType: VAULT_KEY_EVENT }).map((e) => {
    const k = (e.payload as { publicKey?: unknown } | null)?.publicKey;
    return { seq: e.seq, publicKey: typeof k === "string" ? k : null };
  });
  return { sealed, keys };
}

interface SealFile {
  runId?: unknown;
  root?: unknown;
  files?: { path: string; sha256: string; bytes: number }[];
  ledger?: { checkpoint?: unknown };
}

/**
 * Checks the vault against the ledger, reading git objects only (nothing in the folder changes): every
 * run the ledger says was sealed is in HEAD, its folder is the one committed at the recorded commit,
 * that commit is in HEAD's history, SEAL.json names the run and the recorded seal root, the root is
 * rebuilt from SEAL.json's files and every file's committed bytes hash to what SEAL.json says; and, when
 * the ledger records a vault signing key, every commit from the first seal made under it to HEAD carries
 * a good signature by a key the ledger recorded.
 */
export async function checkVaultCustody(
  vaultDir: string,
  links: { sealed: readonly SealedRecord[]; keys: readonly VaultKeyRecord[] },
  opts: {
    checkSignatures?: boolean;
    signaturesSince?: string;
    /** Receives head's history, newest commit first (what the check walked). */
    onHistory?: (commits: readonly string[]) => void;
  } = {},
): Promise<VaultCustodyReport> {
  const problems: VaultCustodyProblem[] = [];
  const report: VaultCustodyReport = {
    ok: false,
    head: null,
    runs: links.sealed.length,
    signedCommits: 0,
    problems,
    checkpoints: [],
  };
  const resolved = await gitRead(vaultDir, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], {
    allowFail: true,
  });
  report.head = resolved.code === 0 ? resolved.stdout.toString("utf8").trim() : null;
  if (report.head === null) {
    if (links.sealed.length > 0) {
      problems.push({
        subject: vaultDir,
        reason: "the vault has no commits, but the ledger records sealed runs",
      });
    }
    report.ok = problems.length === 0;
    return report;
  }
  const head = report.head;
  const order = (await gitRead(vaultDir, ["rev-list", head])).stdout
    .toString("utf8")
    .split("\n")
    .filter(Boolean);
  const history = new Set(order);
  const tree = await listTree(vaultDir, head);
  await checkSealedRuns(
    vaultDir,
    head,
    links.sealed,
    (c) => history.has(c),
    problems,
    report.checkpoints,
    tree,
  );
  report.checkpoints.push(...(await unnamedSealCheckpoints(vaultDir, tree, links.sealed)));
  report.checkpoints.push(...(await vaultCheckpointFiles(vaultDir, head)));
  if (opts.checkSignatures !== false) {
    const since =
      opts.signaturesSince && history.has(opts.signaturesSince) ? opts.signaturesSince : undefined;
    report.signedCommits = await checkSignatures(vaultDir, head, links, problems, since);
  }
  report.ok = problems.length === 0;
  opts.onHistory?.(order);
  return report;
}

/**
 * The checks of checkVaultCustody for some RUN_SEALED entries, against the commit `head`: each run's
 * folder is in `head` and is the one committed at its recorded commit, that commit is in head's history
 * (`inHistory`), SEAL.json names the run and the recorded root, the root is rebuilt from SEAL.json's
 * files, the folder holds exactly those files and each one's committed bytes hash to its entry. Problems
 * are pushed onto `problems`, SEAL.json checkpoint notes onto `checkpoints`. `tree` is head's runs/
 * listing when the caller has it; otherwise only the records' folders are listed. Costs four git
 * processes whatever the number of records (none for none).
 */
export async function checkSealedRuns(
  vaultDir: string,
  head: string,
  sealed: readonly SealedRecord[],
  inHistory: (commit: string) => boolean | Promise<boolean>,
  problems: VaultCustodyProblem[],
  checkpoints: string[],
  tree?: RunTree,
): Promise<void> {
  if (sealed.length === 0) return;
  const listing =
    tree ??
    (await listTree(
      vaultDir,
      head,
      sealed.map((r) => r.vaultPath),
    ));
  const folderOf = (r: SealedRecord) => r.vaultPath.replace(/^runs\//, "");
  const fileId = (r: SealedRecord, path: string) => listing.files.get(folderOf(r))?.get(path);
  const ids = await objectIds(
    vaultDir,
    sealed.map((r) => `${r.commit}:${r.vaultPath}`),
  );
  const seals = await catFiles(
    vaultDir,
    sealed.flatMap((r) => fileId(r, "SEAL.json") ?? []),
  );
  const blobNames: string[] = [];
  const parsed = new Map<SealedRecord, SealFile>();
  for (const r of sealed) {
    const subject = r.vaultPath;
    const at = `(RUN_SEALED at seq ${r.seq})`;
    const inHead = listing.trees.get(folderOf(r));
    const atCommit = ids.get(`${r.commit}:${r.vaultPath}`);
    if (!(await inHistory(r.commit))) {
      problems.push({
        seq: r.seq,
        subject,
        reason: `vault history rewritten: the seal commit ${r.commit.slice(0, 12)} ${at} is not in HEAD's history`,
      });
    }
    if (inHead === undefined) {
      problems.push({
        seq: r.seq,
        subject,
        reason: `sealed run missing from the vault: ${subject} is not in HEAD ${at}`,
      });
      continue;
    }
    if (atCommit !== undefined && atCommit !== inHead) {
      problems.push({
        seq: r.seq,
        subject,
        reason: `sealed run rewritten: ${subject} in HEAD differs from the folder committed at ${r.commit.slice(0, 12)} ${at}`,
      });
    }
    const sealId = fileId(r, "SEAL.json");
    const raw = sealId ? seals.get(sealId) : undefined;
    let seal: SealFile | undefined;
    try {
      seal = raw ? (JSON.parse(raw.toString("utf8")) as SealFile) : undefined;
    } catch {
      seal = undefined;
    }
    if (!seal || !Array.isArray(seal.files)) {
      problems.push({
        seq: r.seq,
        subject,
        reason: `SEAL.json is missing or unreadable in ${subject} ${at}`,
      });
      continue;
    }
    if (seal.root !== r.sealRoot) {
      problems.push({
        seq: r.seq,
        subject,
        reason: `SEAL.json root ${String(seal.root).slice(0, 16)}… is not the seal root ${r.sealRoot.slice(0, 16)}… recorded ${at}`,
      });
    }
    if (r.runId !== "" && seal.runId !== r.runId) {
      problems.push({
        seq: r.seq,
        subject,
        reason: `SEAL.json names run ${String(seal.runId)}, not ${r.runId} ${at}`,
      });
    }
    const files = [...seal.files].map((f) => ({
      path: String(f.path),
      sha256: String(f.sha256),
      bytes: f.bytes,
    }));
    if (sealRoot(files) !== seal.root) {
      problems.push({
        seq: r.seq,
        subject,
        reason: `SEAL.json's root is not the Merkle root of its files list ${at}`,
      });
    }
    const listed = new Set(files.map((f) => f.path));
    const present = [...(listing.files.get(folderOf(r))?.keys() ?? [])].sort(comparePaths);
    for (const p of present) {
      if (p !== "SEAL.json" && !listed.has(p)) {
        problems.push({
          seq: r.seq,
          subject,
          reason: `${subject}/${p} is committed but not in SEAL.json ${at}`,
        });
      }
    }
    if (typeof seal.ledger?.checkpoint === "string" && seal.ledger.checkpoint !== "") {
      checkpoints.push(seal.ledger.checkpoint);
    }
    parsed.set(r, seal);
    for (const f of files) {
      const id = fileId(r, f.path);
      if (id) blobNames.push(id);
    }
  }
  const blobs = await catFiles(vaultDir, [...new Set(blobNames)]);
  let hashed = 0;
  for (const [r, seal] of parsed) {
    for (const f of seal.files ?? []) {
      const id = fileId(r, String(f.path));
      const bytes = id ? blobs.get(id) : undefined;
      const subject = `${r.vaultPath}/${f.path}`;
      if (bytes === undefined) {
        problems.push({ seq: r.seq, subject, reason: `${subject} is listed in SEAL.json but not committed` });
      } else if (bytes.length !== f.bytes || sha256(bytes) !== f.sha256) {
        problems.push({ seq: r.seq, subject, reason: `${subject} does not hash to its SEAL.json entry` });
      }
      // A long pass gives the event loop a turn now and then.
      if (++hashed % 512 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** head's run folders: each folder's tree id, and its files (`/`-separated, inside the folder) → blob id. */
interface RunTree {
  trees: Map<string, string>;
  files: Map<string, Map<string, string>>;
}

/**
 * Files under runs/ (or under the given folders only) in the commit `head`, with their object ids, in
 * one `git ls-tree -r -t`: later reads go by object id, never by `<commit>:<path>` (each such name walks
 * runs/, whose size grows with the runs).
 */
async function listTree(vaultDir: string, head: string, folders?: readonly string[]): Promise<RunTree> {
  const paths = folders ? folders.map((f) => `${f}/`) : ["runs/"];
  const out = (await gitRead(vaultDir, ["ls-tree", "-r", "-t", "-z", head, "--", ...paths])).stdout
    .toString("utf8")
    .split("\0")
    .filter(Boolean);
  const tree: RunTree = { trees: new Map(), files: new Map() };
  for (const record of out) {
    const tab = record.indexOf("\t");
    if (tab < 0) continue;
    const [, type, id] = record.slice(0, tab).split(" ");
    const [top, folder, ...rest] = record.slice(tab + 1).split("/");
    if (top !== "runs" || !folder || !id) continue;
    if (rest.length === 0) {
      if (type === "tree") tree.trees.set(folder, id);
      continue;
    }
    if (type !== "blob") continue;
    const files = tree.files.get(folder) ?? new Map<string, string>();
    files.set(rest.join("/"), id);
    tree.files.set(folder, files);
  }
  return tree;
}

/**
 * The checkpoints in the SEAL.json of run folders no RUN_SEALED names. A ledger rolled back (or cut
 * together with its checkpoint rows) no longer names the runs sealed after the cut, but their seals still
 * carry a checkpoint larger than the ledger: without these, a `git clone` of the vault (which has no
 * staged checkpoints/latest.txt) would let that ledger pass.
 */
async function unnamedSealCheckpoints(
  vaultDir: string,
  tree: RunTree,
  sealed: readonly SealedRecord[],
): Promise<string[]> {
  const named = new Set(sealed.map((r) => r.vaultPath));
  const names = [...tree.files.entries()].flatMap(([folder, files]) => {
    const id = files.get("SEAL.json");
    return !named.has(`runs/${folder}`) && id ? [id] : [];
  });
  const out: string[] = [];
  for (const raw of (await catFiles(vaultDir, names)).values()) {
    try {
      const cp = (JSON.parse(raw?.toString("utf8") ?? "null") as SealFile | null)?.ledger?.checkpoint;
      if (typeof cp === "string" && cp !== "") out.push(cp);
    } catch {
      // An unreadable SEAL.json of a run the ledger does not name carries no checkpoint to check.
    }
  }
  return out;
}

/** Checkpoint notes under checkpoints/: those committed in `head` and those in the working tree. */
export async function vaultCheckpointFiles(vaultDir: string, head: string): Promise<string[]> {
  const names = (
    await gitRead(vaultDir, ["ls-tree", "-r", "-z", "--name-only", head, "--", "checkpoints/"])
  ).stdout
    .toString("utf8")
    .split("\0")
    .filter(Boolean);
  const committed = await catFiles(
    vaultDir,
    names.map((n) => `${head}:${n}`),
  );
  const notes = [...committed.values()].flatMap((b) => (b ? [b.toString("utf8")] : []));
  let working: string[] = [];
  try {
    working = readdirSync(join(vaultDir, "checkpoints")).map((f) =>
      readFileSync(join(vaultDir, "checkpoints", f), "utf8"),
    );
  } catch {
    working = [];
  }
  return [...new Set([...notes, ...working])];
}

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}
