import { existsSync } from "node:fs";
import path from "node:path";
import type { WatchMark } from "../ledger/LedgerWatch.ts";
import { newNoteVerifier, openNote, signNote } from "../ledger/signedNote.ts";
import type { AuditDeps } from "./AuditDeps.ts";

type Deps = Pick<AuditDeps, "home" | "ledgerKey" | "log" | "state">;

/** state.db key of the last ledger verification that passed (a LedgerWatch mark, signed by the ledger key). */
export const VERIFIED_MARK_KEY = "ledger.verifiedMark";

const HEADER = "maos-codex ledger verified mark v1";

/**
 * Keeps what the last passing verification established, so the next process (`maos status`, a restarted
 * bot) checks only the entries written since instead of every row. Signed with the ledger key: a mark
 * that someone without the key wrote into state.db does not open, and a full pass runs instead.
 */
export async function saveVerifiedMark(app: Deps, mark: WatchMark): Promise<void> {
  await app
    .state()
    .setValue(VERIFIED_MARK_KEY, signNote(`${HEADER}\n${JSON.stringify(mark)}\n`, app.ledgerKey().signer));
}

/** The kept mark when it is there and signed by this ledger's key; undefined otherwise (a full pass then). */
export async function loadVerifiedMark(app: Deps): Promise<WatchMark | undefined> {
  if (!existsSync(path.join(app.home, "state.db"))) return undefined;
  const note = await app.state().getValue<string>(VERIFIED_MARK_KEY);
  if (typeof note !== "string") return undefined;
  try {
    const [header, body] = openNote(note, [newNoteVerifier(app.ledgerKey().verifierKey)]).text.split("\n");
    if (header !== HEADER || body === undefined) return undefined;
    return JSON.parse(body) as WatchMark;
  } catch (err) {
    app.log.warn({ err }, "the kept ledger verification mark does not open; verifying every entry");
    return undefined;
  }
}

/**
 * LedgerWatch's `resume` and `onVerified` over the kept mark. LedgerWatch tells of a pass synchronously,
 * so the mark's write is not awaited: it only saves work (without it the next process verifies every
 * entry), and a failed write is logged.
 */
export async function watchMarkOptions(
  app: Deps,
): Promise<{ resume?: WatchMark; onVerified: (mark: WatchMark) => void }> {
  const resume = await loadVerifiedMark(app);
  return {
    ...(resume ? { resume } : {}),
    onVerified: (mark) => {
      saveVerifiedMark(app, mark).catch((err: unknown) =>
        app.log.warn({ err }, "could not keep the ledger verification mark"),
      );
    },
  };
}
