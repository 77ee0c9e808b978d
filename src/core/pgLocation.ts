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
