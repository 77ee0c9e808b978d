import { utcIso } from "../../core/timestamps.ts";
import type { TableDeps } from "./table.ts";

/** `seals`: the MVP seals, each the seal service's JSON (hashes, commit, checkpoint). */
export class Seals {
  readonly #t: TableDeps;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  insert(version: string, record: unknown): void {
    this.#t.db
      .prepare("INSERT INTO seals (version, record, sealed_at) VALUES (?, ?, ?)")
      .run(version, JSON.stringify(record), utcIso(this.#t.clock.now()));
  }

  /** The latest seal (of one version, or of any), or undefined before the first. */
  latest<T>(version?: string): { version: string; record: T; sealedAt: string } | undefined {
    const { db } = this.#t;
    const row = (
      version
        ? db.prepare("SELECT * FROM seals WHERE version = ? ORDER BY n DESC LIMIT 1").get(version)
        : db.prepare("SELECT * FROM seals ORDER BY n DESC LIMIT 1").get()
    ) as { version: string; record: string; sealed_at: string } | undefined;
    return row
      ? { version: row.version, record: JSON.parse(row.record) as T, sealedAt: row.sealed_at }
      : undefined;
  }
}
