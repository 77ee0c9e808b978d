import { existsSync } from "node:fs";
import path from "node:path";
import type { App } from "../src/app/createApp.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { Reply } from "../src/core/Reply.ts";
import type { LedgerEntry } from "../src/ledger/Ledger.ts";
import { type VerifyReport, verifyLedger } from "../src/ledger/verifyLedger.ts";
import type { CommandSpec } from "./CommandSpec.ts";

/** `ledger tail [-n N]`: the last N entries, oldest first. */
export function tail(n: number, app: App): LedgerEntry[] {
  requireLedger(app);
  return app.ledger().tail(n);
}

/**
 * `ledger verify`: replays the chain, rebuilds the Merkle root and checks every signed checkpoint,
 * including the copies sealed into the vault, which survive anyone rewriting the database.
 */
export async function verify(app: App): Promise<VerifyReport & { vaultCheckpoints: number }> {
  requireLedger(app);
  const vaultDir = path.join(app.home, "vault");
  const checkpoints = existsSync(path.join(vaultDir, ".git"))
    ? await (await app.vault()).readCheckpoints()
    : [];
  const report = verifyLedger({
    path: app.ledgerPath(),
    verifierKey: app.ledgerKey().verifierKey,
    checkpoints,
  });
  return { ...report, vaultCheckpoints: checkpoints.length };
}

function requireLedger(app: App): void {
  if (!existsSync(app.ledgerPath())) {
    throw new CodexError("NOT_FOUND", `there is no ledger at ${app.ledgerPath()} yet`, {
      hint: "run a stack first (maos run marketing_ops …), or point MAOS_HOME at the folder that holds ledger.db",
    });
  }
}

const DEFAULT_TAIL = 10;
/** A chat message holds this many entry lines comfortably; `maos ledger tail -n` has no cap. */
const MAX_TAIL = 100;

/** `/codex ledger [tail [N]|verify]`. */
export const ledgerCommand: CommandSpec = {
  name: "ledger",
  usage: "ledger [tail [N]|verify]",
  summary: `the last N ledger entries (default ${DEFAULT_TAIL}), or verify the whole chain`,
  async run(args, ctx) {
    const [sub = "tail", ...rest] = args;
    if (sub === "verify") {
      if (rest.length > 0) throw new CodexError("USAGE", "/codex ledger verify takes no arguments");
      return verifyReply(await verify(ctx.app));
    }
    if (sub !== "tail") throw new CodexError("USAGE", `unknown ledger subcommand "${sub}"`);
    if (rest.length > 1) throw new CodexError("USAGE", "/codex ledger tail takes at most one number");
    const n = rest[0] === undefined ? DEFAULT_TAIL : Number(rest[0]);
    if (!Number.isInteger(n) || n < 1 || n > MAX_TAIL) {
      throw new CodexError("USAGE", `N must be a whole number from 1 to ${MAX_TAIL}, got "${rest[0]}"`);
    }
    return tailReply(tail(n, ctx.app));
  },
};

export function tailReply(entries: LedgerEntry[]): Reply {
  const lines = entries.map(
    (e) =>
      `${String(e.seq).padStart(5)}  ${e.timestampCt}  ${e.eventType.padEnd(20)} ${e.level.padEnd(5)} ${e.actorIdentity}  ${e.entryHash.slice(0, 12)}`,
  );
  return {
    summary: `the last ${entries.length} ledger entries`,
    ephemeral: true,
    parts: [
      { kind: "header", text: `Ledger: last ${entries.length} entries` },
      { kind: "text", text: `\`\`\`\n${lines.join("\n")}\n\`\`\`` },
      { kind: "context", text: "seq · time (America/Chicago) · event · level · actor · entry hash" },
    ],
  };
}

export function verifyReply(r: VerifyReport & { vaultCheckpoints: number }): Reply {
  if (!r.ok) {
    const text = `ledger BROKEN at seq ${r.firstBad?.seq}: ${r.firstBad?.reason}`;
    return {
      summary: text,
      isError: true,
      parts: [
        { kind: "header", text: "Ledger verification FAILED" },
        { kind: "text", text },
        {
          kind: "context",
          text: `${r.size} entries read, ${r.checkpointsChecked} signed checkpoints checked`,
        },
      ],
    };
  }
  return {
    summary: `ledger intact: ${r.size} entries, head ${r.head.hash.slice(0, 12)}`,
    parts: [
      { kind: "header", text: "Ledger intact" },
      {
        kind: "fields",
        fields: [
          { label: "Entries", value: String(r.size) },
          { label: "Head", value: `\`${r.head.hash}\` (seq ${r.head.seq})` },
          { label: "Merkle root", value: `\`${r.root}\`` },
          {
            label: "Signed checkpoints",
            value: `${r.checkpointsChecked} verified (${r.vaultCheckpoints} copies from the vault)`,
          },
        ],
      },
      {
        kind: "context",
        text:
          r.unattestedTail > 0
            ? `chain and Merkle root rebuilt from every row; the ${r.unattestedTail} newest entries are not yet covered by a checkpoint`
            : "chain and Merkle root rebuilt from every row; every entry is covered by a signed checkpoint",
      },
    ],
  };
}
