import { utcIso } from "../../../core/timestamps.ts";
import { type PgTableDeps, q } from "./pgTable.ts";

/** `seals` on PostgreSQL: the MVP seals, each the seal service's JSON. */
export class PgSeals {
  readonly #t: PgTableDeps;

  constructor(t: PgTableDeps) {
    this.#t = t;
  }

  async insert(version: string, record: unknown): Promise<void> {
    await q(this.#t, "INSERT INTO seals (version, record, sealed_at) VALUES ($1, $2, $3)", [
      version,
      JSON.stringify(record),
      utcIso(this.#t.clock.now()),
    ]);
  }

  /** The latest seal (of one version, or of any), or undefined before the first. */
  async latest<T>(version?: string): Promise<{ version: string; record: T; sealedAt: string } | undefined> {
    const r = await (version
      ? q<SealRow>(
          this.#t,
          "SELECT version, record, sealed_at FROM seals WHERE version = $1 ORDER BY n DESC LIMIT 1",
          [version],
        )
      : q<SealRow>(this.#t, "SELECT version, record, sealed_at FROM seals ORDER BY n DESC LIMIT 1"));
    const row = r.rows[0];
    return row
      ? { version: row.version, record: JSON.parse(row.record) as T, sealedAt: row.sealed_at }
      : undefined;
  }
}

interface SealRow {
  version: string;
  record: string;
  sealed_at: string;
}
