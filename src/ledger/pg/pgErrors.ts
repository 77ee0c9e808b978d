/** The database a URL names, without its password: what messages and logs may show. */
export function pgLocation(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return `postgres://${u.username ? `${u.username}@` : ""}${u.host}${u.pathname}`;
  } catch {
    return "the DATABASE_URL database (the URL does not parse)";
  }
}

/** PostgreSQL's or the socket's own words for an error: the message and its SQLSTATE or errno code. */
export function pgErrorText(cause: unknown): { text: string; code: string | undefined } {
  const err = cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === "string" ? err.code : undefined;
  const text = typeof err?.message === "string" && err.message !== "" ? err.message : String(cause);
  return { text: `${text}${code ? ` (${code})` : ""}`, code };
}

/**
 * A failed ledger write on PostgreSQL, said plainly (WriteFaults' describer): what failed, where, and
 * what to do about that cause. The fault's code field carries the SQLSTATE or errno code.
 */
export function describePgWriteError(
  where: string,
  count: number,
  cause: unknown,
): { message: string; hint: string; sqliteCode: string | undefined } {
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
  };
}
