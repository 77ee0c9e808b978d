/**
 * A value now (SQLite answers synchronously) or later (PostgreSQL): callers await either. The ledger's
 * LedgerStore and the state's StateApi describe their backends' calls with it.
 */
export type Awaitable<T> = T | Promise<T>;
