import { pgErrorText } from "../../core/pgLocation.ts";

/**
 * A failed ledger write on PostgreSQL, said plainly (WriteFaults' describer): what failed, where, and
 * what to do about that cause. The fault's code field carries the SQLSTATE or errno code.
 */
export function describePgWriteError(
  where: string,
  count: number,
  cause: unknown,
): { message: string; hint: string; sqliteCode: string | undefined; brief: string } {
  const { text, code } = pgErrorText(cause);
  const c = code ?? "";
  let hint: string;
  if (c === "ECONNREFUSED" || c === "ENOTFOUND" || c === "ETIMEDOUT" || c.startsWith("08") || c === "57P01") {
    hint = `PostgreSQL at ${where} is down or unreachable: start it or fix DATABASE_URL; the next append reconnects`;
  } else if (c === "53100") {
    hint = `the PostgreSQL server's disk is full: free space there`;
  } else if (c === "42501") {
    hint =
      "the ledger refused a change (append-only) or the role lacks a privilege: grant it INSERT on the ledger tables";
  } else if (c === "23505") {
    hint = "another writer wrote the same seq outside the write lock: run `maos ledger verify`";
  } else {
    hint = `run \`maos ledger verify\`; check that ${where} is a MAOS ledger database`;
  }
  return {
    message: `could not write ${count} ledger entries to ${where}: ${text}`,
    hint: `${hint}; nothing from this batch was written`,
    sqliteCode: code,
    // /health is open: the code only, never the database's host, port or user (the log has the rest).
    brief: `could not write ${count} ledger entries to PostgreSQL (DATABASE_URL): ${code ?? "no answer"}`,
  };
}
