import { utcIso } from "../../core/timestamps.ts";
import type { TableDeps } from "./table.ts";

export interface ClientRow<T = unknown> {
  key: string;
  name: string;
  pageId: string;
  record: T;
  syncedAt: string;
}

/** `clients`: the MASTER CLIENT OPERATIONAL MATRIX as last synced from Notion. */
export class Clients {
  readonly #t: TableDeps;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  /** Replaces the synced client matrix in one transaction: rows gone from Notion are gone here too. */
  replace(rows: readonly { key: string; name: string; pageId: string; record: unknown }[]): void {
    const { db, clock } = this.#t;
    const at = utcIso(clock.now());
    const insert = db.prepare(
      "INSERT INTO clients (key, name, page_id, record, synced_at) VALUES (?, ?, ?, ?, ?)",
    );
    db.transaction(() => {
      db.prepare("DELETE FROM clients").run();
      for (const r of rows) insert.run(r.key, r.name, r.pageId, JSON.stringify(r.record), at);
    })();
  }

  list<T = unknown>(): ClientRow<T>[] {
    const rows = this.#t.db
      .prepare("SELECT key, name, page_id, record, synced_at FROM clients ORDER BY name")
      .all() as {
      key: string;
      name: string;
      page_id: string;
      record: string;
      synced_at: string;
    }[];
    return rows.map((r) => ({
      key: r.key,
      name: r.name,
      pageId: r.page_id,
      record: JSON.parse(r.record) as T,
      syncedAt: r.synced_at,
    }));
  }
}
