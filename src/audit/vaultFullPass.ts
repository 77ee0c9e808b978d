import Database from "better-sqlite3";
import { gitRead } from "./gitRead.ts";
import {
  checkVaultCustody,
  readLedgerLinks,
  type VaultCustodyProblem,
  type VaultCustodyReport,
} from "./vaultCustody.ts";

export interface FullPassResult {
  report: VaultCustodyReport;
  /** Committed run folders whose working tree differs from HEAD. */
  workingTree: VaultCustodyProblem[];
  /** The ledger's last seq when its RUN_SEALED entries were read (-1: empty). */
  sealedSeq: number;
  /** The last VAULT_SIGNING_KEY entry's seq (-1: none). */
  keySeq: number;
  /** Commits must be signed (a key is recorded and a seal was made under it). */
  signing: boolean;
  /** HEAD's history, newest first (at most 512). */
  recent: string[];
}

/**
 * Every RUN_SEALED entry checked against the vault (checkVaultCustody), and the working tree of every
 * committed run folder against HEAD (`git status`, which re-hashes only files whose stat changed).
 * Folders HEAD does not have (a seal in progress, or one a crash cut short) are not custody evidence
 * and are left out. Runs in a worker thread (vaultFullPassWorker.ts) for the heartbeat.
 */
export async function fullVaultPass(input: {
  vaultDir: string;
  ledgerPath: string;
  /** Only entries up to this seq (read before the vault was): a later one may name a commit not fetched yet. */
  upTo?: number;
}): Promise<FullPassResult> {
  const db = new Database(input.ledgerPath, { readonly: true, fileMustExist: true });
  let links: ReturnType<typeof readLedgerLinks>;
  let lastSeq: number;
  try {
    ({ links, lastSeq } = db.transaction(() => ({
      links: readLedgerLinks(db),
      lastSeq: (db.prepare("SELECT max(seq) FROM ledger").pluck().get() as number | null) ?? -1,
    }))());
  } finally {
    db.close();
  }
  const upTo = input.upTo;
  if (upTo !== undefined && lastSeq > upTo) {
    lastSeq = upTo;
    links = {
      sealed: links.sealed.filter((r) => r.seq <= upTo),
      keys: links.keys.filter((k) => k.seq <= upTo),
    };
  }
  let recent: readonly string[] = [];
  const report = await checkVaultCustody(input.vaultDir, links, {
    onHistory: (commits) => {
      recent = commits.slice(0, 512);
    },
  });
  const workingTree: VaultCustodyProblem[] = [];
  if (report.head) {
    const committed = new Set(
      (await gitRead(input.vaultDir, ["ls-tree", "-z", "--name-only", report.head, "--", "runs/"])).stdout
        .toString("utf8")
        .split("\0")
        .filter(Boolean),
    );
    const status = (
      await gitRead(input.vaultDir, [
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--",
        "runs/",
      ])
    ).stdout
      .toString("utf8")
      .split("\0")
      .filter(Boolean);
    for (const line of status) {
      const xy = line.slice(0, 2);
      const path = line.slice(3);
      const folder = path.split("/").slice(0, 2).join("/");
      if (!committed.has(folder)) continue;
      const what =
        xy === "??"
          ? "is in the working tree but not in the sealed run"
          : xy.includes("D")
            ? "is missing from the working tree"
            : "differs from its sealed copy in the working tree";
      workingTree.push({ subject: path, reason: `${path} ${what} (git status ${xy.trim()})` });
    }
  }
  const firstKey = links.keys.find((k) => k.publicKey !== null);
  return {
    report,
    workingTree,
    sealedSeq: lastSeq,
    keySeq: links.keys.at(-1)?.seq ?? -1,
    signing:
      firstKey !== undefined &&
      links.sealed.some((r) => r.seq > firstKey.seq) &&
      links.keys.at(-1)?.publicKey !== null,
    recent: [...recent],
  };
}
