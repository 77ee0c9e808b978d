import { utcIso } from "../../core/timestamps.ts";
import type { StateKey } from "../stateKey.ts";
import type { TableDeps } from "./table.ts";

/** `autonomy_kv`: small current values (SRR state, last band, leases, marks), JSON-encoded, by typed key. */
export class Values {
  readonly #t: TableDeps;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  get<T>(key: StateKey<T>): T | undefined {
    return this.read(key) as T | undefined;
  }

  set<T>(key: StateKey<T>, value: T): void {
    this.write(key, value);
  }

  delete(key: StateKey<unknown>): void {
    this.remove(key);
  }

  /** By a plain string key: the value's type is the caller's word (StateStore.getValue). */
  read(key: string): unknown {
    const row = this.#t.db.prepare("SELECT value FROM autonomy_kv WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  write(key: string, value: unknown): void {
    this.#t.db
      .prepare(
        "INSERT INTO autonomy_kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      )
      .run(key, JSON.stringify(value), utcIso(this.#t.clock.now()));
  }

  remove(key: string): void {
    this.#t.db.prepare("DELETE FROM autonomy_kv WHERE key = ?").run(key);
  }
}
