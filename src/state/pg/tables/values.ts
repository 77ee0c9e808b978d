import { CodexError } from "../../../core/CodexError.ts";
import { utcIso } from "../../../core/timestamps.ts";
import type { StateKey } from "../../stateKey.ts";
import { inTransaction, type PgTableDeps, q } from "./pgTable.ts";

/** How often `modify` starts over after another replica created the same key between its read and its insert. */
const MODIFY_ATTEMPTS = 8;

/** `autonomy_kv` on PostgreSQL: small current values, JSON-encoded, by typed key, shared by replicas. */
export class PgValues {
  readonly #t: PgTableDeps;

  constructor(t: PgTableDeps) {
    this.#t = t;
  }

  async get<T>(key: StateKey<T>): Promise<T | undefined> {
    return (await this.read(key)) as T | undefined;
  }

  async set<T>(key: StateKey<T>, value: T): Promise<void> {
    await this.write(key, value);
  }

  async delete(key: StateKey<unknown>): Promise<void> {
    await this.remove(key);
  }

  /** The typed form of `modify`. */
  update<T>(key: StateKey<T>, decide: (current: T | undefined) => T | undefined): Promise<boolean> {
    return this.modify(key, decide as (current: unknown) => unknown);
  }

  /** By a plain string key: the value's type is the caller's word (PgStateStore.getValue). */
  async read(key: string): Promise<unknown> {
    const r = await q<{ value: string }>(this.#t, "SELECT value FROM autonomy_kv WHERE key = $1", [key]);
    const row = r.rows[0];
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  async write(key: string, value: unknown): Promise<void> {
    await q(
      this.#t,
      "INSERT INTO autonomy_kv (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      [key, JSON.stringify(value), utcIso(this.#t.clock.now())],
    );
  }

  async remove(key: string): Promise<void> {
    await q(this.#t, "DELETE FROM autonomy_kv WHERE key = $1", [key]);
  }

  /**
   * A compare-and-set across replicas, what SQLite's `StateStore.transaction` gives the loop lease:
   * reads the key's value, asks `decide` for the next one (undefined: leave it as it is), and writes it,
   * with the row locked (`SELECT … FOR UPDATE`) from the read to the write, so no other replica's write
   * to the key lands in between. A key that does not exist yet has no row to lock: the insert is then
   * `ON CONFLICT DO NOTHING`, and when another replica created the key meanwhile, it starts over and
   * decides on that value. `decide` must be synchronous and free of effects: it may run more than once.
   * True when this call wrote.
   */
  async modify(key: string, decide: (current: unknown) => unknown): Promise<boolean> {
    for (let attempt = 0; attempt < MODIFY_ATTEMPTS; attempt++) {
      const outcome = await inTransaction(this.#t, async (c) => {
        const r = await c.query<{ value: string }>(
          "SELECT value FROM autonomy_kv WHERE key = $1 FOR UPDATE",
          [key],
        );
        const row = r.rows[0];
        const next = decide(row ? (JSON.parse(row.value) as unknown) : undefined);
        if (next === undefined) return false;
        const at = utcIso(this.#t.clock.now());
        if (row) {
          await c.query("UPDATE autonomy_kv SET value = $2, updated_at = $3 WHERE key = $1", [
            key,
            JSON.stringify(next),
            at,
          ]);
          return true;
        }
        const inserted = await c.query(
          "INSERT INTO autonomy_kv (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
          [key, JSON.stringify(next), at],
        );
        return inserted.rowCount === 1 ? true : "raced";
      });
      if (outcome !== "raced") return outcome;
    }
    throw new CodexError("INTERNAL", `the value ${key} kept changing under a compare-and-set`, {
      hint: "another replica creates and deletes it in a loop: check the replicas sharing DATABASE_URL",
    });
  }
}
