/**
 * How messages name a PostgreSQL database and its errors, for every store on DATABASE_URL (the ledger,
 * the state, the outbox): never with the password.
 */

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

/** Whether a PostgreSQL error means the server is down, restarting or out of reach (not the statement's fault). */
export function pgUnreachable(cause: unknown): boolean {
  const { text, code } = pgErrorText(cause);
  const c = code ?? "";
  return (
    [
      "ECONNREFUSED",
      "ENOTFOUND",
      "ETIMEDOUT",
      "ECONNRESET",
      "EHOSTUNREACH",
      "57P01",
      "57P02",
      "57P03",
    ].includes(c) ||
    c.startsWith("08") ||
    /Connection terminated|connection timeout/i.test(text)
  );
}

/**
 * A failed statement of a store on DATABASE_URL (the state, the outbox), said plainly: what failed and
 * where (without the password), PostgreSQL's own words, and the fix for that kind of failure.
 */
export function describePgFailure(
  what: string,
  where: string,
  cause: unknown,
): { message: string; hint: string } {
  const { text } = pgErrorText(cause);
  return {
    message: `${what} failed on ${where}: ${text}`,
    hint: pgUnreachable(cause)
      ? `PostgreSQL at ${where} is down or unreachable: start it or fix DATABASE_URL; the next call reconnects`
      : `check that DATABASE_URL names the replicas' database and that its role may read and write the MAOS tables (every replica runs the same build)`,
  };
}
