// better-sqlite3 reads SQLITE_USE_URI once, when its native addon first loads in the process: with it, a
// `file:…?immutable=1` name opens a ledger copy in place without creating -wal/-shm files beside it (see
// openReadOnly.ts). Imported for this effect by the modules that open ledgers, so it is set before the first
// database opens; set only when unset. Should the addon load without it, those opens fall back to a
// snapshot in memory. Only names starting with `file:` read differently, and no MAOS path does.
process.env.SQLITE_USE_URI ??= "1";
